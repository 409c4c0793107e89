"""Benchmark: the state of every stream as of a moment, beside the raw DuckDB QUALIFY query on the same data.

    .venv/bin/python bench/bench_temporal.py [--events 1000000 10000000] [--repeat 3]

Each size is built once (bulk order history, no projection catch-up) into
/tmp/esengine-bench-temporal-<N>.duckdb and reused by later runs. Printed per size, best of ``repeat``:
- baseline: ``SELECT * FROM events WHERE occurred_at <= T QUALIFY row_number() OVER (PARTITION BY stream_id
  ORDER BY version DESC) = 1`` fetched as a DataFrame (the latest event of every stream);
- heads: ``esengine.temporal.stream_heads_as_of`` (version, last event type, created/updated per stream);
- fold: ``esengine.temporal.streams_as_of`` (the same plus the generic fold of every stream's data).
T is the 70% quantile of occurred_at, so most streams exist and many are unfinished.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from esengine import Engine  # noqa: E402
from esengine.demo import generate_bulk  # noqa: E402
from esengine.temporal import stream_heads_as_of, streams_as_of  # noqa: E402

BASELINE = ("SELECT * FROM events WHERE occurred_at <= ? "
            "QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) = 1")


def database(events: int) -> Path:
    path = Path(f"/tmp/esengine-bench-temporal-{events}.duckdb")
    if not path.exists():
        print(f"building {events:,} events into {path} (once) ...", flush=True)
        started = time.perf_counter()
        with Engine(path, domains=()) as engine:
            generate_bulk(engine, events=events, catch_up=False)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def best(work, repeat: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = len(work())
        times.append(time.perf_counter() - started)
    return min(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'events':>12} {'streams':>9} {'baseline':>10} {'heads':>10} {'ratio':>6} {'fold':>10} {'ratio':>6}")
    for n in args.events:
        with Engine(database(n), domains=()) as engine:  # no domain: opening must not catch a projection up
            store = engine.store
            cur = store.cursor()
            total = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
            at = cur.execute("SELECT quantile_disc(occurred_at, 0.7) FROM events").fetchall()[0][0]
            base, streams = best(lambda: cur.sql(BASELINE, params=[at]).df(), args.repeat)
            heads, heads_rows = best(lambda: stream_heads_as_of(store, at), args.repeat)
            fold, fold_rows = best(lambda: streams_as_of(store, at), args.repeat)
            assert streams == heads_rows == fold_rows, (streams, heads_rows, fold_rows)
            print(f"{total:>12,} {streams:>9,} {base * 1000:>8.0f}ms {heads * 1000:>8.0f}ms {heads / base:>5.2f}x "
                  f"{fold * 1000:>8.0f}ms {fold / base:>5.2f}x", flush=True)


if __name__ == "__main__":
    main()
