"""Benchmark: time travel on a long stream, beside a raw-DuckDB read of the same events.

    .venv/bin/python bench/bench_time_travel.py [--events 10000] [--samples 200] [--seed 3]

Builds, in a temporary database, a product repriced ``events - 1`` times through the command bus (so
snapshots are taken by the product's policy, every 20 events) and an imported stream of the same length
whose type no code knows. Prints, each beside its raw-DuckDB baseline and the ratio:

- the state at a random version, with snapshots and without (median and 95th percentile);
- the generic fold of the whole imported stream, in events per second.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from esengine import Engine
from esengine.domains.orders.samples import repriced_product
from esengine.timetravel import state_at


def imported_stream(engine, n: int, stream_id: str = "ticket-bench") -> str:
    """``n`` events of a type no code knows, bulk-inserted like an import."""
    start = datetime(2026, 1, 1)
    datas = [json.dumps({"case": stream_id, "status": f"step {i % 7}", "owner": {"team": f"T{i % 5}"},
                         "amount": i * 1.5, "tags": ["a", "b"][: i % 3]}) for i in range(n)]
    table = pa.table({
        "event_id": [str(uuid.uuid4()) for _ in range(n)], "stream_id": [stream_id] * n,
        "stream_type": ["ticket"] * n, "version": list(range(1, n + 1)), "event_type": ["TicketUpdated"] * n,
        "schema_version": [1] * n, "data": datas, "metadata": ["{}"] * n,
        "occurred_at": [start + timedelta(minutes=i) for i in range(n)]})
    engine.writer.bulk_insert(table)
    return stream_id


CPU: dict[str, list[float]] = {}  # CPU seconds of this process per call, by label: unlike wall time, it does not
# count the time spent waiting for a core that other processes hold (the machine is shared)


def timed(fn, repeat: int, label: str = "") -> list[float]:
    out = []
    for _ in range(repeat):
        c, t = time.process_time(), time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        CPU.setdefault(label, []).append(time.process_time() - c)
    return out


def cpu(label: str) -> str:
    return f"cpu median {statistics.median(CPU[label]) * 1000:7.2f} ms"


def ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(samples) * 1000:7.2f} ms  p95 {p95 * 1000:7.2f} ms"


def raw_read(engine, stream_id: str, version: int):
    """The baseline: the same events read from DuckDB as Arrow, no decoding and no fold."""
    return engine.store.cursor().execute(
        "SELECT version, event_type, CAST(data AS VARCHAR) AS data FROM events "
        "WHERE stream_id = ? AND version <= ? ORDER BY version", [stream_id, version]).to_arrow_table()


def raw_snapshot_read(engine, stream_id: str, version: int):
    """The baseline for a replay through snapshots: the newest snapshot row at or below the version and
    the events after it, read as Arrow (no JSON decoding, no fold)."""
    cur = engine.store.cursor()
    snap = cur.execute("SELECT version, CAST(state AS VARCHAR) FROM snapshots WHERE stream_id = ? AND version <= ? "
                       "ORDER BY version DESC LIMIT 1", [stream_id, version]).fetchall()
    after = snap[0][0] if snap else 0
    return cur.execute("SELECT version, event_type, CAST(data AS VARCHAR) AS data FROM events "
                       "WHERE stream_id = ? AND version > ? AND version <= ? ORDER BY version",
                       [stream_id, after, version]).to_arrow_table()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000, help="events per stream (default 10000)")
    ap.add_argument("--samples", type=int, default=200, help="random versions to time (default 200)")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "bench.duckdb") as engine:
        t = time.perf_counter()
        product = repriced_product(engine, args.events - 1)
        ticket = imported_stream(engine, args.events)
        snapshots = len(engine.snapshots.versions(product))
        print(f"setup: product stream of {args.events:,} events ({snapshots} snapshots) and an imported stream "
              f"of {args.events:,} events, built in {time.perf_counter() - t:.1f} s")
        versions = [rng.randint(1, args.events) for _ in range(args.samples)]
        for v in versions[:5]:  # warm the caches and the connection
            state_at(engine, product, version=v)

        with_snap, without, raw_same, raw_snap = [], [], [], []
        for v in versions:
            with_snap += timed(lambda v=v: state_at(engine, product, version=v), 1, "snap")
            raw_snap += timed(lambda v=v: raw_snapshot_read(engine, product, v), 1, "raw_snap")
            raw_same += timed(lambda v=v: raw_read(engine, product, v), 1, "raw")
        for v in versions[: max(10, args.samples // 10)]:
            without += timed(lambda v=v: state_at(engine, product, version=v, use_snapshots=False), 1, "nosnap")
        print("\nstate at a random version of the product stream")
        print(f"  state_at, with snapshots                        {ms(with_snap)}  {cpu('snap')}")
        print(f"  state_at, without snapshots                     {ms(without)}  {cpu('nosnap')}")
        print(f"  raw DuckDB: snapshot row + the events after it  {ms(raw_snap)}  {cpu('raw_snap')}")
        print(f"  raw DuckDB: events 1..N                         {ms(raw_same)}  {cpu('raw')}")
        print(f"  ratio state_at with snapshots / raw snapshot read {statistics.median(with_snap) / statistics.median(raw_snap):.2f}x")
        print(f"  ratio state_at without snapshots / raw read 1..N  {statistics.median(without) / statistics.median(raw_same):.2f}x")

        fold = timed(lambda: state_at(engine, ticket), 9, "fold")
        raw = timed(lambda v=v: raw_read(engine, ticket, args.events), 9, "fold_raw")
        fold_rate, raw_rate = args.events / statistics.median(fold), args.events / statistics.median(raw)
        fold_cpu = args.events / statistics.median(CPU["fold"])
        print(f"\ngeneric fold of the whole imported stream ({args.events:,} events, through state_at)")
        print(f"  generic fold                    {fold_rate:12,.0f} events/s  ({ms(fold)}  {cpu('fold')}: "
              f"{fold_cpu:,.0f} events per CPU second)")
        print(f"  raw DuckDB read of the events   {raw_rate:12,.0f} events/s  ({ms(raw)}  {cpu('fold_raw')})")
        print(f"  ratio (fold / raw read)         {fold_rate / raw_rate:.2f}x")


if __name__ == "__main__":
    main()
