"""Benchmark: rebuild the order read model from a bulk history, beside a raw DuckDB scan of the same events.

    .venv/bin/python bench/bench_projection_rebuild.py [--events 1000000] [--handler-events 100000]

Builds a history with ``generate_bulk`` (not timed as part of the rebuild), then times, in the same run:
- raw DuckDB scans of the events table (every row read; and every row's JSON parsed once);
- ``runner.rebuild("orders", 2)``: the set-based rebuild (drop, create, fill, checkpoint, catch up);
- the handler path (Python, batch by batch) on the first ``--handler-events`` events, for contrast.
Prints figures only; it asserts nothing about time.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from esengine import Engine
from esengine.demo import generate_bulk


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--handler-events", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "bench.duckdb") as engine:
        seconds, n = timed(lambda: generate_bulk(engine, events=args.events, catch_up=False))
        print(f"history: {n:,} events written in {seconds:.1f} s (bulk load, not part of the rebuild)")
        cur = engine.store.cursor()
        cur.execute("CHECKPOINT")  # the history is on disk before the rebuild starts, as it would be in use
        scan, _ = timed(lambda: cur.execute("SELECT count(*), sum(length(CAST(data AS VARCHAR))), max(occurred_at) "
                                            "FROM events").fetchall())
        parse, _ = timed(lambda: cur.execute("SELECT count(json_extract_string(data, '$.order_id')) "
                                             "FROM events").fetchall())
        rebuild, applied = timed(lambda: engine.projections.rebuild("orders", 2))
        rows = cur.execute("SELECT count(*) FROM rm_orders_v2_orders").fetchall()[0][0]
        upto = min(args.handler_events, n)
        handlers, _ = timed(lambda: engine.projections.replay("orders", 2, "bench", upto=upto))
        print(f"raw DuckDB scan of every event:          {scan:6.2f} s  {n / scan:12,.0f} events/s")
        print(f"raw DuckDB scan parsing every event's JSON: {parse:6.2f} s  {n / parse:12,.0f} events/s")
        print(f"set-based rebuild of orders v2:          {rebuild:6.2f} s  {applied / rebuild:12,.0f} events/s "
              f"({rows:,} orders; {rebuild / scan:.1f}x the plain scan, {rebuild / parse:.1f}x the JSON scan)")
        print(f"handler rebuild (Python), first {upto:,} events: {handlers:6.2f} s  {upto / handlers:12,.0f} events/s")
        print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
