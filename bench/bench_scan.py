"""Benchmark: scans for a condition over every history, beside the raw DuckDB query over ``stream_states``.

    .venv/bin/python bench/bench_scan.py [--events 1000000] [--repeat 3]

The history is a bulk order history (``esengine.demo.generate_bulk``), built once into
/tmp/esengine-bench-scan-<N>.duckdb with its ``stream_states`` read model and reused by later runs.
For each condition, best of ``repeat`` (the two take turns, so a load spike hits both alike):
- raw: the same grouped query over the ``stream_states`` table written by hand, the condition as plain JSON
  operators (``(state->>'total')::DOUBLE > 300``), fetched as Arrow and turned into a DataFrame;
- scan: ``esengine.scans.scan(store, "order", condition)``: the condition parsed, translated into parameterised
  SQL that compares like with like (a number only with a number), the same query, plus the counts by day
  and a time-travel link per hit.
Both must find the same streams at the same first versions.

Then AS OF in the console: ``SELECT count(*) FROM streams FOR VALID_TIME AS OF T`` through ``run_query`` (the
first time, when the relation is built and written as Arrow for the worker; and again, when it is reused),
beside ``streams_as_of(store, T)`` itself, T the 70% quantile of occurred_at.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import bulk_database

from esengine import Engine
from esengine.projections.stream_states import StreamStatesProjection
from esengine.console import run_query
from esengine.scans import scan
from esengine.temporal import streams_as_of
from esengine.temporal.states_table import live_states

RAW = """
SELECT stream_id, min(version) AS first_version, arg_min(event_type, version) AS event_type,
       arg_min(occurred_at, version) AS occurred_at, arg_min(recorded_at, version) AS recorded_at,
       arg_min(position, version) AS position, count(*) AS versions_holding
FROM "{table}" WHERE stream_type = 'order' AND {where}
GROUP BY stream_id ORDER BY stream_id
"""
CONDITIONS = {  # the condition language -> the same by hand in DuckDB's JSON operators
    "total > 300": "TRY_CAST(state->>'total' AS DOUBLE) > 300",
    "len(items) >= 3 and total > 100": "json_array_length(state->'items') >= 3 AND "
                                       "TRY_CAST(state->>'total' AS DOUBLE) > 100",
    "tracking_number != null and amount < total": "state->>'tracking_number' IS NOT NULL AND "
                                                  "TRY_CAST(state->>'amount' AS DOUBLE) < "
                                                  "TRY_CAST(state->>'total' AS DOUBLE)",
    'not (customer_id == "customer-bulk0000001")': "coalesce(state->>'customer_id', '') <> 'customer-bulk0000001'",
}


def database(events: int) -> Path:
    return bulk_database("scan", events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with Engine(database(args.events), domains=()) as engine:
        store = engine.store
        cur = store.cursor()
        table = StreamStatesProjection().table_name("states", live_states(store)[0])
        rows = cur.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
        print(f"{rows:,} rows in {table} (one per event); best of {args.repeat}, the two taking turns\n")
        print(f"{'condition':<46} {'streams':>8} {'raw':>9} {'scan':>9} {'scan/raw':>9}")
        for text, where in CONDITIONS.items():
            times: dict[str, list[float]] = {"raw": [], "scan": []}
            for _ in range(args.repeat):
                started = time.perf_counter()
                raw = cur.sql(RAW.format(table=table, where=where)).to_arrow_table().to_pandas()
                times["raw"].append(time.perf_counter() - started)
                started = time.perf_counter()
                found = scan(store, "order", text)
                times["scan"].append(time.perf_counter() - started)
            assert list(raw["stream_id"]) == list(found.hits["stream_id"]), text
            assert list(raw["first_version"]) == list(found.hits["first_version"]), text
            best = {k: min(v) * 1000 for k, v in times.items()}
            print(f"{text:<46} {len(raw):>8,} {best['raw']:>7.0f}ms {best['scan']:>7.0f}ms "
                  f"{best['scan'] / best['raw']:>8.2f}x", flush=True)
        as_of_in_console(engine)


def as_of_in_console(engine) -> None:
    at = engine.store.cursor().execute("SELECT quantile_disc(occurred_at, 0.7) FROM events").fetchall()[0][0]
    sql = f"SELECT count(*) AS n FROM streams FOR VALID_TIME AS OF '{at:%Y-%m-%d %H:%M:%S.%f}'"
    run_query(engine, "SELECT 1")  # the worker started, as for a person's second query
    started = time.perf_counter()
    first = run_query(engine, sql)["n"][0]
    built = time.perf_counter() - started
    started = time.perf_counter()
    run_query(engine, sql)
    again = time.perf_counter() - started
    started = time.perf_counter()
    direct = len(streams_as_of(engine.store, at))
    raw = time.perf_counter() - started
    assert first == direct
    print(f"\nAS OF in the console, {first:,} streams as of {at:%Y-%m-%d %H:%M}: first {built * 1000:,.0f} ms "
          f"(built and written for the worker), again {again * 1000:,.0f} ms; streams_as_of itself {raw * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
