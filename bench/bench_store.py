"""Event store benchmarks: appends (single, concurrent with group commit, bulk), aggregate loads.

    .venv/bin/python bench/bench_store.py [--appends 3000] [--bulk 1000000]

Every figure is printed beside the same work done with raw DuckDB in the same run.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import uuid
from datetime import datetime
from pathlib import Path

import duckdb

from common import median_ms, report, timed

from esengine import Engine
from esengine.core.events import NewEvent
from esengine.demo import generate_bulk, generate_demo
from esengine.store.schema import migrate

END = datetime(2026, 6, 1)


def raw_connection(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    migrate(con)
    return con


def raw_insert_one(cur, position: int, stream: str, version: int) -> None:
    cur.execute("INSERT INTO events VALUES (?, ?, ?, 'thing', ?, 'Thing', 1, ?, '{}', now()::TIMESTAMP, now()::TIMESTAMP, NULL)",
                [position, str(uuid.uuid4()), stream, version, json.dumps({"n": version})])


def bench_single_appends(tmp: Path, n: int) -> None:
    with Engine(tmp / "single.duckdb", domains=()) as e:
        secs = timed(lambda: [e.store.append(f"s-{i % 100}", [NewEvent("Thing", {"n": i})], i // 100)
                              for i in range(n)])
    raw = raw_connection(tmp / "single-raw.duckdb")
    raw_secs = timed(lambda: [raw_insert_one(raw, i + 1, f"s-{i % 100}", i // 100 + 1) for i in range(n)])
    raw.close()
    report(f"single-event appends, one thread ({n:,})", n / secs, n / raw_secs, "appends/s")


def bench_group_commit(tmp: Path, n: int, threads: int = 8) -> None:
    per = n // threads
    with Engine(tmp / "group.duckdb", domains=()) as e:
        def work(t):
            for k in range(per):
                e.store.append(f"t{t}", [NewEvent("Thing", {"n": k})], k)
        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        secs = timed(lambda: ([p.start() for p in pool], [p.join() for p in pool]))
        commits = e.writer.commits
    raw = raw_connection(tmp / "group-raw.duckdb")
    lock, counter = threading.Lock(), iter(range(1, n + 1))

    def raw_work(t):
        cur = raw.cursor()
        for k in range(per):
            with lock:  # positions must be gap-free: one writer at a time, as without group commit
                raw_insert_one(cur, next(counter), f"t{t}", k + 1)
    pool = [threading.Thread(target=raw_work, args=(t,)) for t in range(threads)]
    raw_secs = timed(lambda: ([p.start() for p in pool], [p.join() for p in pool]))
    raw.close()
    report(f"appends from {threads} threads ({per * threads:,}, {commits:,} commits)",
           per * threads / secs, per * threads / raw_secs, "appends/s")


def bench_bulk(tmp: Path, n: int) -> None:
    with Engine(tmp / "bulk.duckdb") as e:
        secs = timed(lambda: generate_bulk(e, events=n, end=END, catch_up=False))
        table = e.store.read_arrow()
    raw = raw_connection(tmp / "bulk-raw.duckdb")
    raw.register("src", table)
    raw_secs = timed(lambda: raw.execute("INSERT INTO events SELECT *, NULL FROM src"))
    raw.close()
    report(f"bulk path: generate + insert ({n:,} events)", n / secs, n / raw_secs, "events/s")


def bench_demo_and_loads(tmp: Path) -> None:
    with Engine(tmp / "demo.duckdb") as e:
        secs = timed(lambda: generate_demo(e, end=END))
        n = e.store.count()
        table = e.store.read_arrow()
        orders = [r[0] for r in e.store.cursor().execute(
            "SELECT stream_id FROM events WHERE stream_type = 'order' GROUP BY 1 ORDER BY 1").fetchall()]
        rng = random.Random(1)
        sample = [rng.choice(orders) for _ in range(300)]
        repo = e.repositories["order"]
        it = iter(sample * 2)
        load_ms = median_ms(lambda: repo.load(next(it)), repeat=300)
        it2 = iter(sample * 2)
        raw_ms = median_ms(lambda: e.store.cursor().execute(
            "SELECT * FROM events WHERE stream_id = ? ORDER BY version", [next(it2)]).fetchall(), repeat=300)
    raw = raw_connection(tmp / "demo-raw.duckdb")
    raw.register("src", table)
    raw_secs = timed(lambda: raw.execute("INSERT INTO events SELECT *, NULL FROM src"))
    raw.close()
    report(f"demo history through the command handlers ({n:,})", n / secs, n / raw_secs, "events/s")
    report("load one order aggregate (median)", load_ms, raw_ms, "ms", higher_is_better=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--appends", type=int, default=3000)
    ap.add_argument("--bulk", type=int, default=1_000_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_single_appends(tmp, a.appends)
        bench_group_commit(tmp, a.appends)
        bench_demo_and_loads(tmp)
        bench_bulk(tmp, a.bulk)


if __name__ == "__main__":
    main()
