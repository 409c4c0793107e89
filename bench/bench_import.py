"""Import benchmark: a process-mining log of N events from Parquet and from CSV, beside raw DuckDB.

    .venv/bin/python bench/bench_import.py [--events 1000000] [--repeat 1] [--with-projections]

The log has the XES column names (case, activity, time with a UTC offset, resource, amount,
lifecycle), about 10 events per case. Our figure is ``import_file`` into a fresh store: read the file,
stage it, map the columns, type the numbers, normalise the times, build the data JSON, assign
versions per stream and positions, check ids and streams, and insert into the events table in one
transaction. Two baselines, on unsealed connections: DuckDB's own ``read_parquet`` / ``read_csv`` of the
same file into a plain table (the issue's baseline: no mapping, no constraints), and the same import
written by hand as one DuckDB statement into the events table (same schema and unique constraints).
Also printed: an export as JSON lines beside a raw DuckDB ``COPY ... TO`` of the events table.
"""
from __future__ import annotations

import argparse
import random
import tempfile
from datetime import datetime, timedelta, timezone, UTC
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from common import report, timed

from esengine import Engine
from esengine.store import chain
from esengine.interchange import export_events
from esengine.interchange.importer import import_file
from esengine.store.schema import migrate

ACTIVITIES = ["Create Fine", "Send Fine", "Insert Fine Notification", "Add penalty", "Payment",
              "Send for Credit Collection", "Insert Date Appeal to Prefecture", "Send Appeal to Prefecture",
              "Receive Result Appeal from Prefecture", "Notify Result Appeal to Offender"]


def make_log(events: int, seed: int = 5) -> pa.Table:
    rng = random.Random(seed)
    cases, activities, times, resources, amounts, lifecycle = [], [], [], [], [], []
    start = datetime(2020, 1, 1, tzinfo=UTC)
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


def chain_share(db: Path) -> float:
    """Seconds the hash chain takes over every event of an imported store (part of the import above):
    extended again in a transaction that is rolled back."""
    with Engine(db, domains=()) as engine:
        def again(cur):
            cur.execute("BEGIN TRANSACTION")
            try:
                chain.extend(cur, 1)
            finally:
                cur.execute("ROLLBACK")
        return timed(lambda: again(engine.store.cursor()))


def raw(path: Path, db: Path, reader: str) -> float:
    """The issue's baseline: DuckDB reads the file into a plain table (no mapping, no constraints)."""
    con = duckdb.connect(str(db))
    try:
        return timed(lambda: con.execute(f"CREATE TABLE raw AS SELECT * FROM {reader}('{path}')"))
    finally:
        con.close()


def raw_events(path: Path, db: Path, reader: str) -> float:
    """The same work done by hand in one DuckDB statement: into the events table (same schema and
    constraints), versions per stream by time, positions by time, times to UTC, attributes as JSON."""
    con = duckdb.connect(str(db))
    migrate(con)
    try:
        return timed(lambda: con.execute(f"""INSERT INTO events
            SELECT row_number() OVER (ORDER BY t, c), uuid(), c, 'log', row_number() OVER (PARTITION BY c ORDER BY t),
                a, 1, json_object('org:resource', r, 'amount', amount, 'lifecycle:transition', l), '{{}}', t,
                now()::TIMESTAMP, NULL
            FROM (SELECT "case:concept:name" AS c, "concept:name" AS a,
                         timezone('UTC', CAST("time:timestamp" AS TIMESTAMPTZ)) AS t, "org:resource" AS r, amount,
                         "lifecycle:transition" AS l FROM {reader}('{path}'))"""))
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs of each figure (noisy machines)")
    parser.add_argument("--with-projections", action="store_true",
                        help="wire the Orders domain, so the import also catches its projections up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        log = make_log(args.events)
        pq.write_table(log, tmp / "log.parquet")
        pacsv.write_csv(log, tmp / "log.csv")
        n = log.num_rows
        sizes = {fmt: (tmp / f"log.{fmt}").stat().st_size / 1e6 for fmt in ("csv", "parquet")}
        print(f"{n:,} events in {len(set(log.column(0).to_pylist())):,} cases; "
              f"CSV {sizes['csv']:.0f} MB, Parquet {sizes['parquet']:.0f} MB")
        for fmt, reader in (("parquet", "read_parquet"), ("csv", "read_csv")):
            raw_s = raw_events_s = our_s = float("inf")
            for i in range(args.repeat):  # fresh files each time; the best run of each is the least disturbed
                raw_s = min(raw_s, raw(tmp / f"log.{fmt}", tmp / f"raw_{fmt}{i}.duckdb", reader))
                raw_events_s = min(raw_events_s, raw_events(tmp / f"log.{fmt}", tmp / f"raw_events_{fmt}{i}.duckdb",
                                                            reader))
                seconds, written = ours(tmp / f"log.{fmt}", tmp / f"ours_{fmt}{i}.duckdb", args.with_projections)
                assert written == n
                our_s = min(our_s, seconds)
                for stale in tmp.glob(f"*_{fmt}{i}.duckdb*"):
                    if i < args.repeat - 1 or "raw" in stale.name:
                        stale.unlink()
            report(f"import {n:,} from {fmt.upper()} vs {reader} to a plain table", n / our_s, n / raw_s, "ev/s")
            report(f"import {n:,} from {fmt.upper()} vs {reader} to events", n / our_s, n / raw_events_s, "ev/s")
            chain_s = chain_share(tmp / f"ours_{fmt}{args.repeat - 1}.duckdb")
            print(f"  of which the hash chain over the {n:,} events: {chain_s:.2f} s "
                  f"({chain_s / our_s:.0%} of the import)")
        last = tmp / f"ours_parquet{args.repeat - 1}.duckdb"
        with Engine(last, domains=()) as engine:
            our_s = timed(lambda: export_events(engine, None, "jsonl", tmp / "out.jsonl"))
        con = duckdb.connect(str(last))
        raw_s = timed(lambda: con.execute(f"COPY events TO '{tmp / 'raw.jsonl'}' (FORMAT json)"))
        con.close()
        report(f"export {n:,} events as JSON lines (events/s)", n / our_s, n / raw_s, "ev/s")


if __name__ == "__main__":
    main()
