"""PostgreSQL store benchmarks: appends from 1 and 8 connections and from 4 processes, and the replica's sync rate.

    .venv/bin/python bench/bench_postgres.py [--url postgresql://...] [--appends 1000] [--sync 200000]

Without ``--url`` it starts a throwaway cluster (tests/pgserver.py; Debian's postgresql). Each figure is printed
beside raw psycopg doing the same work in the same run: one transaction per event that takes
``LOCK TABLE events IN EXCLUSIVE MODE``, checks the stream's version, inserts at ``max(position) + 1`` and commits
(the ``eventsourcing`` library's way, without esengine's replica, hash chain and idempotency check).
"""
from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading
import uuid
from pathlib import Path

from common import timed

import psycopg

from esengine import Engine
from esengine.core.events import NewEvent
from esengine.demo import generate_bulk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.pgserver import Databases, throwaway


def report(name: str, ours: float, raw: float, unit: str) -> None:
    ratio = ours / raw if raw else float("nan")
    print(f"{name:<48} {ours:>12,.0f} {unit:<9} raw psycopg {raw:>12,.0f} {unit:<9} ratio {ratio:5.2f} of raw",
          flush=True)


# -- esengine -------------------------------------------------------------------------------------------
def esengine_appends(url: str, stream: str, n: int, ready=None) -> None:
    with Engine(url, domains=()) as engine:
        if ready is not None:
            ready.wait()  # every process has started and opened its engine: the clock starts now
        for i in range(n):
            engine.store.append(stream, [NewEvent("Thing", {"n": i})], i)


# -- raw psycopg ------------------------------------------------------------------------------------------
RAW_TABLE = """CREATE TABLE IF NOT EXISTS raw_events (position BIGINT PRIMARY KEY, event_id UUID NOT NULL UNIQUE,
    stream_id TEXT NOT NULL, version INTEGER NOT NULL, event_type TEXT NOT NULL, data JSON,
    recorded_at TIMESTAMP NOT NULL DEFAULT now(), UNIQUE (stream_id, version))"""


def raw_appends(url: str, stream: str, n: int, ready=None) -> None:
    with psycopg.connect(url) as con:
        if ready is not None:
            ready.wait()
        for i in range(n):
            with con.transaction():
                con.execute("SET LOCAL lock_timeout = '5s'")
                con.execute("LOCK TABLE raw_events IN EXCLUSIVE MODE")
                version = con.execute("SELECT coalesce(max(version), 0) FROM raw_events WHERE stream_id = %s",
                                      [stream]).fetchall()[0][0]
                if version != i:
                    raise RuntimeError("conflict")
                con.execute("INSERT INTO raw_events (position, event_id, stream_id, version, event_type, data) "
                            "SELECT coalesce(max(position), 0) + 1, %s, %s, %s, 'Thing', %s FROM raw_events",
                            [str(uuid.uuid4()), stream, i + 1, f'{{"n":{i}}}'])


def in_threads(fn, url: str, n: int, writers: int, tag: str) -> float:
    threads = [threading.Thread(target=fn, args=(url, f"{tag}-{w}", n // writers)) for w in range(writers)]
    return timed(lambda: ([t.start() for t in threads], [t.join() for t in threads]))


def in_processes(fn, url: str, n: int, writers: int, tag: str) -> float:
    """Seconds from the moment every process is ready (started, connected) until the last one is done."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(writers + 1)
    procs = [ctx.Process(target=fn, args=(url, f"{tag}-{w}", n // writers, ready)) for w in range(writers)]
    for p in procs:
        p.start()
    ready.wait()
    return timed(lambda: [p.join() for p in procs])


def bench_appends(url: str, n: int) -> None:
    ours = timed(lambda: esengine_appends(url, "one", n))
    with psycopg.connect(url, autocommit=True) as con:  # beside esengine's tables (a database it has made its own)
        con.execute(RAW_TABLE)
    raw = timed(lambda: raw_appends(url, "one", n))
    report(f"appends, 1 connection ({n:,})", n / ours, n / raw, "appends/s")
    with Engine(url, domains=()) as engine:  # the app's way: one engine per process, its threads share the writer
        ours = in_threads(lambda _url, stream, k: [engine.store.append(stream, [NewEvent("Thing", {"n": i})], i)
                                                    for i in range(k)], url, n, 8, "t")
    raw = in_threads(raw_appends, url, n, 8, "t")
    report(f"appends, 8 threads ({n:,}; raw: 8 connections)", n / ours, n / raw, "appends/s")
    ours, raw = in_processes(esengine_appends, url, n, 4, "p"), in_processes(raw_appends, url, n, 4, "p")
    report(f"appends, 4 processes ({n:,})", n / ours, n / raw, "appends/s")


def bench_sync(url: str, n: int) -> None:
    with Engine(url, domains=()) as engine:
        generate_bulk(engine, events=n, seed=5)
        total = engine.store.last_position()
    opened = {}

    def open_engine():
        opened["engine"] = Engine(url, domains=())  # pulls every event into a new in-memory replica
    ours = timed(open_engine)
    replica = opened["engine"]
    try:
        bench_as_of(replica)
    finally:
        replica.close()

    def raw_fetch():
        with psycopg.connect(url) as con:
            con.execute("SELECT position, event_id::text, stream_id, stream_type, version, event_type, "
                        "schema_version, data::text, metadata::text, occurred_at, recorded_at, hash "
                        "FROM events ORDER BY position").fetchall()
    raw = timed(raw_fetch)
    report(f"replica sync from empty ({total:,} events)", total / ours, total / raw, "events/s")


def bench_as_of(replica: Engine) -> None:
    """Every stream as of T (the temporal page's query) on the replica, beside the same on an embedded file."""
    import tempfile

    from common import median_ms

    from esengine.temporal import streams_as_of
    with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "same.duckdb", domains=()) as embedded:
        embedded.writer.bulk_insert(replica.store.read_arrow())
        results = {}
        for name, engine in (("replica", replica), ("file", embedded)):
            engine.projections.catch_up_async()
            lo, hi = engine.store.cursor().execute("SELECT min(occurred_at), max(occurred_at) FROM events").fetchall()[0]
            at = lo + (hi - lo) * 0.7
            results[name] = median_ms(lambda e=engine, t=at: streams_as_of(e.store, t), repeat=5)
    n = replica.store.last_position()
    print(f"{f'every stream as of T ({n:,} events)':<48} {results['replica']:>12,.1f} ms        "
          f"embedded file {results['file']:>10,.1f} ms        ratio {results['replica'] / results['file']:5.2f}x",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a server URL whose user may create databases (default: a throwaway cluster)")
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--sync", type=int, default=200_000)
    args = parser.parse_args()
    server = None if args.url else throwaway()
    url = Databases(args.url or next(server)).fresh()  # type: ignore[arg-type]
    try:
        bench_appends(url, args.appends)
        bench_sync(url, args.sync)
    finally:
        if server is not None:
            server.close()


if __name__ == "__main__":
    main()
