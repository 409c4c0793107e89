"""Benchmark: the state of every stream as of a moment, beside the raw DuckDB QUALIFY query on the same data.

    .venv/bin/python bench/bench_temporal.py [--events 1000000 10000000] [--repeat 3]

Each size is built once (bulk order history, no projection catch-up) into
/tmp/esengine-bench-temporal-<N>.duckdb and reused by later runs. Printed per size, best of ``repeat`` (the works take turns):
- baseline: ``SELECT * FROM events WHERE occurred_at <= T QUALIFY row_number() OVER (PARTITION BY stream_id
  ORDER BY version DESC) = 1`` (the latest event of every stream), fetched as Arrow and as a DataFrame
  (the functions below return DataFrames, built by way of Arrow); ratios are given against both;
- heads: ``esengine.temporal.stream_heads_as_of`` (version, last event type, created/updated per stream);
- states: ``esengine.temporal.streams_as_of`` (the same plus every stream's generic state), read from the
  ``stream_states`` read model: the same QUALIFY query over its table (one row per event, the folded state);
- unsorted: the same with ``sort=False`` (rows in no particular order, as the baseline returns them; the
  default orders them by stream id, which copies the whole result once more);
- fold: ``streams_as_of(..., read_model=False)``, the generic fold of every stream's data at query time
  (the fallback when the read model does not cover T).
T is the 70% quantile of occurred_at, so most streams exist and many are unfinished.

Opening the engine catches the ``stream_states`` projection up (a set-based build the first time, e.g. on a
database built before the projection existed); that setup is timed and printed on its own line, before the
timed queries.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from esengine import Engine  # noqa: E402
from esengine.demo import generate_bulk  # noqa: E402
from esengine.temporal import stream_heads_as_of, streams_as_of  # noqa: E402

BASELINE = ("SELECT * FROM events WHERE occurred_at <= ? "
            "QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) = 1")


NAMES = ("heads", "states", "unsorted", "fold")


def database(events: int) -> Path:
    path = Path(f"/tmp/esengine-bench-temporal-{events}.duckdb")
    if not path.exists():
        print(f"building {events:,} events into {path} (once) ...", flush=True)
        started = time.perf_counter()
        with Engine(path, domains=()) as engine:
            generate_bulk(engine, events=events, catch_up=False)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def states_checkpoint(path: Path) -> int:
    """How far the stream_states projection had read before this run (0: never built)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT max(position) FROM checkpoints WHERE projection = 'stream_states'").fetchall()
        return rows[0][0] or 0
    finally:
        con.close()


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
    for n in args.events:
        path = database(n)
        before = states_checkpoint(path)
        started = time.perf_counter()
        with Engine(path, domains=()) as engine:  # no domain: only the generic stream_states projection
            opened = time.perf_counter() - started
            store = engine.store
            cur = store.cursor()
            total = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
            if before < total:
                print(f"setup: stream_states caught up from position {before:,} to {total:,} while opening: "
                      f"{opened:.1f} s ({(total - before) / opened:,.0f} events/s; not part of the timings below)",
                      flush=True)
            at = cur.execute("SELECT quantile_disc(occurred_at, 0.7) FROM events").fetchall()[0][0]
            r = interleaved({
                "arrow": lambda: cur.sql(BASELINE, params=[at]).to_arrow_table(),
                "df": lambda: cur.sql(BASELINE, params=[at]).df(),
                "heads": lambda: stream_heads_as_of(store, at),
                "states": lambda: streams_as_of(store, at),
                "unsorted": lambda: streams_as_of(store, at, sort=False),
                "fold": lambda: streams_as_of(store, at, read_model=False)}, args.repeat)
            (arrow, streams), (base, _) = r["arrow"], r["df"]
            assert streams == r["heads"][1] == r["states"][1] == r["unsorted"][1] == r["fold"][1], r
            print(f"{'events':>12} {'streams':>9} {'base/arrow':>10} {'base/df':>9}   "
                  + "  ".join(f"{name:>8} {'x arrow/df':>11}" for name in NAMES))
            print(f"{total:>12,} {streams:>9,} {arrow * 1000:>8.0f}ms {base * 1000:>7.0f}ms   "
                  + "  ".join(f"{r[name][0] * 1000:>6.0f}ms {r[name][0] / arrow:>5.2f}/{r[name][0] / base:<5.2f}"
                              for name in NAMES), flush=True)


if __name__ == "__main__":
    main()
