"""Import benchmark: a process-mining log of N events from Parquet and from CSV, beside raw DuckDB.

    .venv/bin/python bench/bench_import.py [--events 1000000] [--with-projections]

The log has the XES column names (case, activity, time with a UTC offset, resource, amount,
lifecycle), about 10 events per case. Our figure is ``import_file`` into a fresh store: read the file,
stage it, map the columns, type the numbers, normalise the times, build the data JSON, assign
versions per stream and positions, check ids and streams, and insert into the events table in one
transaction. The baseline reads the same file with DuckDB's own ``read_parquet`` / ``read_csv`` into
a plain table (no mapping, no constraints) on an unsealed connection. Also printed: an export
round trip (jsonl) beside a raw DuckDB ``COPY ... TO`` of the events table.
"""
from __future__ import annotations

import argparse
import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from common import report, timed  # noqa: E402  (bench/common.py puts the project on sys.path)

from esengine import Engine
from esengine.interchange import export_events
from esengine.interchange.importer import import_file

ACTIVITIES = ["Create Fine", "Send Fine", "Insert Fine Notification", "Add penalty", "Payment",
              "Send for Credit Collection", "Insert Date Appeal to Prefecture", "Send Appeal to Prefecture",
              "Receive Result Appeal from Prefecture", "Notify Result Appeal to Offender"]


def make_log(events: int, seed: int = 5) -> pa.Table:
    rng = random.Random(seed)
    cases, activities, times, resources, amounts, lifecycle = [], [], [], [], [], []
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    case = 0
    while len(cases) < events:
        case += 1
        t = start + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        for step in range(min(rng.randint(5, 15), events - len(cases))):
            t += timedelta(hours=rng.uniform(1, 300))
            offset = timezone(timedelta(hours=2 if 3 < t.month < 11 else 1))
            cases.append(f"N{case:07d}")
            activities.append(ACTIVITIES[step % len(ACTIVITIES)])
            times.append(t.astimezone(offset).isoformat(sep=" ", timespec="milliseconds"))
            resources.append(str(rng.randrange(1, 600)) if rng.random() < 0.8 else None)
            amounts.append(round(rng.uniform(10, 500), 2) if step == 0 else None)
            lifecycle.append("complete")
    return pa.table({"case:concept:name": cases, "concept:name": activities, "time:timestamp": times,
                     "org:resource": resources, "amount": pa.array(amounts, pa.float64()),
                     "lifecycle:transition": lifecycle})


def ours(path: Path, db: Path, with_projections: bool) -> tuple[float, int]:
    with Engine(db, domains=("orders",) if with_projections else ()) as engine:
        result = {}
        seconds = timed(lambda: result.setdefault("r", import_file(engine, path)))
        return seconds, result["r"].events


def raw(path: Path, db: Path, reader: str) -> float:
    con = duckdb.connect(str(db))
    try:
        return timed(lambda: con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}('{path}')"))
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--with-projections", action="store_true",
                        help="wire the Orders domain, so the import also catches its projections up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        log = make_log(args.events)
        pq.write_table(log, tmp / "log.parquet")
        pacsv.write_csv(log, tmp / "log.csv")
        n = log.num_rows
        print(f"{n:,} events in {len(set(log.column(0).to_pylist())):,} cases; CSV "
              f"{(tmp / 'log.csv').stat().st_size / 1e6:.0f} MB, Parquet {(tmp / 'log.parquet').stat().st_size / 1e6:.0f} MB")
        for fmt, reader in (("parquet", "read_parquet"), ("csv", "read_csv")):
            raw_s = raw(tmp / f"log.{fmt}", tmp / f"raw_{fmt}.duckdb", reader)
            our_s, written = ours(tmp / f"log.{fmt}", tmp / f"ours_{fmt}.duckdb", args.with_projections)
            assert written == n
            report(f"import {n:,} events from {fmt.upper()} (events/s)", n / our_s, n / raw_s, "ev/s")
        with Engine(tmp / "ours_parquet.duckdb", domains=()) as engine:
            our_s = timed(lambda: export_events(engine, None, "jsonl", tmp / "out.jsonl"))
        con = duckdb.connect(str(tmp / "ours_parquet.duckdb"))
        raw_s = timed(lambda: con.execute(f"COPY events TO '{tmp / 'raw.jsonl'}' (FORMAT json)"))
        con.close()
        report(f"export {n:,} events as JSON lines (events/s)", n / our_s, n / raw_s, "ev/s")


if __name__ == "__main__":
    main()
