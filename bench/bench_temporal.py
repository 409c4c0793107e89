"""Benchmark: the state of every stream as of a moment, beside the raw DuckDB QUALIFY query on the same data.

    .venv/bin/python bench/bench_temporal.py [--events 1000000 10000000] [--repeat 3]

Each size is built once (bulk order history, no projection catch-up) into
/tmp/esengine-bench-temporal-<N>.duckdb and reused by later runs. Printed per size, best of ``repeat`` (the four take turns):
- baseline: ``SELECT * FROM events WHERE occurred_at <= T QUALIFY row_number() OVER (PARTITION BY stream_id
  ORDER BY version DESC) = 1`` (the latest event of every stream), fetched as Arrow and as a DataFrame
  (the functions below return DataFrames, built by way of Arrow); ratios are given against both;
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


def interleaved(works: dict, repeat: int) -> dict[str, tuple[float, int]]:
    """Best time and row count of each work, the works taking turns, so a load spike hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in works}
    rows: dict[str, int] = {}
    for _ in range(repeat):
        for name, work in works.items():
            started = time.perf_counter()
            rows[name] = len(work())
            times[name].append(time.perf_counter() - started)
    return {name: (min(times[name]), rows[name]) for name in works}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'events':>12} {'streams':>9} {'base/arrow':>10} {'base/df':>9} {'heads':>8} {'ratio a/df':>11} "
          f"{'fold':>8} {'ratio a/df':>11}")
    for n in args.events:
        with Engine(database(n), domains=()) as engine:  # no domain: opening must not catch a projection up
            store = engine.store
            cur = store.cursor()
            total = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
            at = cur.execute("SELECT quantile_disc(occurred_at, 0.7) FROM events").fetchall()[0][0]
            r = interleaved({
                "arrow": lambda: cur.sql(BASELINE, params=[at]).to_arrow_table(),
                "df": lambda: cur.sql(BASELINE, params=[at]).df(),
                "heads": lambda: stream_heads_as_of(store, at),
                "fold": lambda: streams_as_of(store, at)}, args.repeat)
            (arrow, streams), (base, _), (heads, heads_rows), (fold, fold_rows) = (
                r["arrow"], r["df"], r["heads"], r["fold"])
            assert streams == heads_rows == fold_rows, (streams, heads_rows, fold_rows)
            print(f"{total:>12,} {streams:>9,} {arrow * 1000:>8.0f}ms {base * 1000:>7.0f}ms {heads * 1000:>6.0f}ms "
                  f"{heads / arrow:>5.2f}/{heads / base:<5.2f} {fold * 1000:>6.0f}ms {fold / arrow:>5.2f}/{fold / base:<5.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
