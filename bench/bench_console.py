"""Benchmark: the SQL console's limits (hostile queries) and its latency (ordinary ones), beside raw DuckDB.

    .venv/bin/python bench/bench_console.py [--events 1000000] [--limit 2] [--memory-mb 512] [--repeat 5]
                                            [--part all|hostile|latency]

Databases, built once and reused: the demo (20k events, as the app creates it) and a bulk order history of
``--events`` events (``generate_bulk``), in /tmp/esengine-bench-console-*.duckdb.

Hostile queries, on the large database, each in a fresh process (the figures are that process's alone):
it opens the engine, runs one ordinary query (so a worker is ready, as for a person's second query), then
the hostile query with ``--limit`` seconds (the wide result, which should be answered, the app's 10 s)
and ``--memory-mb`` MB. Printed: how long until the console
answered (beside the limit), what it answered, the worker's peak resident memory (VmHWM) beside the cap
(the OS limit on its private memory) and the size of the table files it maps (shared with the page
cache, counted in its RSS but not in the cap), and how much the app process's own peak grew. Before this console ran in a worker, the 2 GB string ran 23 s
past a 5 s limit and took 4 GB of the app's memory (issue 12).

Ordinary queries, on both databases: the first run on a newly opened engine (it starts the worker and
writes the tables the query names as Arrow files), the median of ``--repeat`` repeated runs, and the
first run after one event was appended (only the new event is written for ``events``; a read-model
table is rewritten); beside the same query on the engine's own connection (raw DuckDB, to a DataFrame).
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import report, timed
from esengine import Engine
from esengine.console import run_query
from esengine.console.sandbox import sandbox_for
from esengine.core.events import NewEvent
from esengine.errors import QueryRejected

HOSTILE = {
    "2 GB string": "SELECT length(repeat('x', 2000000000))",
    "huge aggregate": "SELECT stream_id, version, i, count(*) FROM events, range(100) t(i) GROUP BY ALL",
    "cross join": "SELECT count(*) FROM events a, events b",
    "wide result (byte cap)": "SELECT position, repeat(data::VARCHAR, 50) AS big FROM events",
}
LIMITS = {"wide result (byte cap)": 10.0}
"""Queries not meant to be stopped run with the app's own limit (10 s), not ``--limit``."""
ORDINARY = {
    "events per type": "SELECT event_type, count(*) AS events FROM events GROUP BY event_type ORDER BY events DESC",
    "latest 100 events": "SELECT * FROM events ORDER BY position DESC LIMIT 100",
    "one stream's history": "SELECT version, event_type, data FROM events WHERE stream_id = '{stream}' ORDER BY version",
    "orders read model": "SELECT count(*) AS orders FROM {orders}",
}


def demo_database() -> Path:
    from esengine.demo import create_demo_database
    path = Path("/tmp/esengine-bench-console-demo.duckdb")
    create_demo_database(path)
    return path


def bulk_database(events: int) -> Path:
    path = Path(f"/tmp/esengine-bench-console-{events}.duckdb")
    if not path.exists():
        from esengine.demo import generate_bulk
        print(f"building {events:,} events into {path} (once) ...", flush=True)
        with Engine(path) as engine:
            generate_bulk(engine, events=events)
    return path


def hostile_one(path: Path, name: str, limit: float, memory_mb: int) -> dict:
    """Run in a fresh process: one ordinary query, then the hostile one; the figures as a dict."""
    with Engine(path) as engine:
        run_query(engine, "SELECT count(*) FROM events", memory_mb=memory_mb)
        app_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        try:
            frame = run_query(engine, HOSTILE[name], timeout_s=LIMITS.get(name, limit), memory_mb=memory_mb)
            answer, peak = frame.attrs["cut_message"] or f"{len(frame)} rows", frame.attrs["peak_memory_mb"]
        except QueryRejected as e:
            answer, peak = str(e), getattr(e, "peak_memory_mb", float("nan"))
        took = time.perf_counter() - started
        grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - app_before) / 1024
        mapped = sum(p.stat().st_size for p in sandbox_for(engine).directory.glob("*.arrow")) / 2**20
    return {"took": took, "answer": answer, "peak_mb": peak, "app_grew_mb": grew, "mapped_mb": mapped}


def hostile(path: Path, limit: float, memory_mb: int) -> None:
    print(f"\nHostile queries on {path.name}: limit {limit:g} s, memory cap {memory_mb} MB")
    for name in HOSTILE:
        out = subprocess.run([sys.executable, __file__, "--one", name, "--db", str(path), "--limit", str(limit),
                              "--memory-mb", str(memory_mb)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        limit_s = LIMITS.get(name, limit)
        print(f"  {name:<24} answered after {r['took']:5.2f} s (limit {limit_s:g} s, {r['took'] / limit_s:4.2f}x)  "
              f"worker peak RSS {r['peak_mb']:4.0f} MB (cap {memory_mb} MB private + {r['mapped_mb']:.0f} MB "
              f"tables mapped)  app peak grew {r['app_grew_mb']:3.0f} MB")
        print(f"  {'':<24} -> {r['answer'][:110]}")


def latency(path: Path, repeat: int) -> None:
    print(f"\nOrdinary queries on {path.name} (ms)")
    with Engine(path) as engine:
        cur = engine.connection.cursor()
        stream = cur.execute("SELECT stream_id FROM events WHERE stream_type = 'order' LIMIT 1").fetchall()[0][0]
        orders = cur.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'rm_orders_%_orders'"
                             ).fetchall()[0][0]
        queries = {name: sql.format(stream=stream, orders=orders) for name, sql in ORDINARY.items()}
        first = {name: timed(lambda sql=sql: run_query(engine, sql)) for name, sql in queries.items()}
        engine.store.append(f"note-bench-{time.time_ns()}", [NewEvent("Noted", {"n": 1})], 0, "note")
        appended = {name: timed(lambda sql=sql: run_query(engine, sql)) for name, sql in queries.items()}
        for name, sql in queries.items():
            ours = statistics.median(timed(lambda sql=sql: run_query(engine, sql)) for _ in range(repeat)) * 1000
            raw = statistics.median(timed(lambda sql=sql: cur.sql(sql).limit(10_001).to_arrow_table().to_pandas())
                                    for _ in range(repeat)) * 1000
            report(f"  {name}: repeated", ours, raw, "ms", higher_is_better=False)
            print(f"  {'':<20} first on a new engine {first[name] * 1000:8,.0f} ms, "
                  f"first after one appended event {appended[name] * 1000:8,.0f} ms")
        cur.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--limit", type=float, default=2.0)
    parser.add_argument("--memory-mb", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--part", choices=("all", "hostile", "latency"), default="all")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(hostile_one(Path(args.db), args.one, args.limit, args.memory_mb)))
        return
    demo, bulk = demo_database(), bulk_database(args.events)
    if args.part in ("all", "hostile"):
        hostile(bulk, args.limit, args.memory_mb)
    if args.part in ("all", "latency"):
        for path in (demo, bulk):
            latency(path, args.repeat)


if __name__ == "__main__":
    main()
