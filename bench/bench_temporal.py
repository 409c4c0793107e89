"""Benchmark: the state of every stream as of a moment, beside the raw DuckDB QUALIFY query on the same data.

    .venv/bin/python bench/bench_temporal.py [--events 1000000 10000000] [--repeat 3] [--rebuild-states] [--read-model]

Each size is built once (bulk order history, no projection catch-up) into
/tmp/esengine-bench-temporal-<N>.duckdb and reused by later runs. Printed per size, best of ``repeat`` (the works take turns):
- baseline: ``SELECT * FROM events WHERE occurred_at <= T QUALIFY row_number() OVER (PARTITION BY stream_id
  ORDER BY version DESC) = 1`` (the latest event of every stream), fetched as Arrow and as a DataFrame
  (the functions below return DataFrames, built by way of Arrow); ratios are given against both;
- heads: ``esengine.temporal.stream_heads_as_of`` (version, last event type, created/updated per stream);
- states: ``esengine.temporal.streams_as_of`` (the same plus every stream's generic state, sorted by stream id),
  read from the ``stream_states`` read model: one row per event with the folded state and the interval in
  which it is the stream's state, so a plain filter (no window) over its table;
- unsorted: the same with ``sort=False`` (rows in no particular order, as the baseline returns them; the
  default orders them by stream id, free while the table is stored in stream order, a sort otherwise);
- fold: ``streams_as_of(..., read_model=False)``, the generic fold of every stream's data at query time
  (the fallback when the read model does not cover T).
T is the 70% quantile of occurred_at, so most streams exist and many are unfinished.
Then 100 new streams are appended (their state rows land after the ones in stream order, as commands' would)
and the states are timed again beside the raw query.

Opening the engine catches the ``stream_states`` projection up (a set-based build the first time, e.g. on a
database built before the projection existed, or after ``--rebuild-states`` dropped it); that setup is timed
and printed on its own line, before the timed queries.
"""
from __future__ import annotations

import argparse
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from common import bulk_database

from esengine import Engine
from esengine.core.events import NewEvent
from esengine.projections.stream_states import NAME as STATES, StreamStatesProjection, sorted_rows
from esengine.temporal import read_model_as_of, stream_heads_as_of, streams_as_of

BASELINE = ("SELECT * FROM events WHERE occurred_at <= ? "
            "QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) = 1")


NAMES = ("heads", "states", "unsorted", "fold")


def database(events: int) -> Path:
    return bulk_database("temporal", events, catch_up=False)


def states_checkpoint(path: Path) -> int:
    """How far the stream_states projection had read before this run (0: never built)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT max(position) FROM checkpoints WHERE projection = 'stream_states'").fetchall()
        return rows[0][0] or 0
    finally:
        con.close()


def forget_states(path: Path) -> None:
    """Drop the stream_states read model, so that opening the engine builds it from the events (timed)."""
    con = duckdb.connect(str(path))
    try:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() "
                                    "WHERE starts_with(table_name, 'rm_stream_states_')").fetchall():
            con.execute(f'DROP TABLE "{table}"')
        con.execute("DELETE FROM checkpoints WHERE projection = 'stream_states'")
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
    parser.add_argument("--rebuild-states", action="store_true",
                        help="drop the stream_states read model first, to time its set-based build at engine open")
    parser.add_argument("--read-model", action="store_true",
                        help="also time the orders read model as of T (built in SQL; replayed up to 2M events)")
    args = parser.parse_args()
    for n in args.events:
        path = database(n)
        if args.rebuild_states:
            forget_states(path)
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
                "arrow": lambda cur=cur, at=at: cur.sql(BASELINE, params=[at]).to_arrow_table(),
                "df": lambda cur=cur, at=at: cur.sql(BASELINE, params=[at]).df(),
                "heads": lambda store=store, at=at: stream_heads_as_of(store, at),
                "states": lambda store=store, at=at: streams_as_of(store, at),
                "unsorted": lambda store=store, at=at: streams_as_of(store, at, sort=False),
                "fold": lambda store=store, at=at: streams_as_of(store, at, read_model=False)}, args.repeat)
            (arrow, streams), (base, _) = r["arrow"], r["df"]
            assert streams == r["heads"][1] == r["states"][1] == r["unsorted"][1] == r["fold"][1], r
            print(f"{'events':>12} {'streams':>9} {'base/arrow':>10} {'base/df':>9}   "
                  + "  ".join(f"{name:>8} {'x arrow/df':>11}" for name in NAMES))
            print(f"{total:>12,} {streams:>9,} {arrow * 1000:>8.0f}ms {base * 1000:>7.0f}ms   "
                  + "  ".join(f"{r[name][0] * 1000:>6.0f}ms {r[name][0] / arrow:>5.2f}/{r[name][0] / base:<5.2f}"
                              for name in NAMES), flush=True)
            appended_since_sorted(engine, at, args.repeat)
        if args.read_model:
            with Engine(path) as engine:  # the orders domain: its read model as it was at T
                read_model_then(engine, at, args.repeat, replay=n <= 2_000_000)


def read_model_then(engine: Engine, at, repeat: int, replay: bool) -> None:
    """The orders read model as it was at T, built in SQL (rolled back) and, when asked, replayed by the handlers,
    beside the raw read of every event up to T (what any way of building it must at least read)."""
    cur = engine.store.cursor()
    works = {"raw": lambda: cur.sql("SELECT * FROM events WHERE occurred_at <= ?", params=[at]).to_arrow_table(),
             "in SQL": lambda: read_model_as_of(engine, "orders", at)["orders"]}
    if replay:
        works["replayed"] = lambda: read_model_as_of(engine, "orders", at, set_based=False)["orders"]
    r = interleaved(works, repeat if not replay else 1)
    raw = r["raw"][0]
    print(f"  orders read model as of T ({r['in SQL'][1]:,} orders): raw read of the {r['raw'][1]:,} events up to T "
          f"{raw * 1000:.0f}ms, " + ", ".join(f"{name} {r[name][0] * 1000:,.0f}ms ({r[name][0] / raw:.1f}x)"
                                              for name in works if name != "raw"), flush=True)


def appended_since_sorted(engine: Engine, at, repeat: int, streams: int = 100) -> None:
    """The sorted default once ``streams`` new streams were appended (commands after the build): their rows sit
    after the ones in stream order and are put in place. (Each run adds them to the benchmark database; after
    enough runs a catch-up sorts the table again.)"""
    store, cur = engine.store, engine.store.cursor()
    ids = [sid for (sid,) in cur.execute("SELECT stream_id FROM events WHERE version = 1 "
                                         "USING SAMPLE 100 ROWS (reservoir, 7)").fetchall()]
    run = store.last_position()
    with engine.batch():
        for n in range(streams):
            store.append(f"{ids[n % len(ids)]}-added-{run}-{n}",
                         [NewEvent("Noted", {"n": n}, occurred_at=at - timedelta(hours=1))], 0, "note")
    engine.projections.catch_up(STATES)
    table = StreamStatesProjection().table_name("states")
    tail = cur.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0] - sorted_rows(cur, table)
    r = interleaved({"arrow": lambda cur=cur, at=at: cur.sql(BASELINE, params=[at]).to_arrow_table(),
                     "states": lambda store=store, at=at: streams_as_of(store, at),
                     "unsorted": lambda store=store, at=at: streams_as_of(store, at, sort=False)}, repeat)
    arrow = r["arrow"][0]
    print(f"  with {tail:,} rows appended after the ones in stream order: raw/arrow {arrow * 1000:.0f}ms, "
          + ", ".join(f"{name} {r[name][0] * 1000:.0f}ms ({r[name][0] / arrow:.2f}x)"
                      for name in ("states", "unsorted")),
          flush=True)


if __name__ == "__main__":
    main()
