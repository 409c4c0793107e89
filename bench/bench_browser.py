"""Event browser on a large store: a filtered page of events and a stream search, each beside raw DuckDB.

Run: ``.venv/bin/python bench/bench_browser.py [--events N] [--db PATH]``. The store is built once with
``esengine.demo.generate_bulk`` and kept at ``--db`` for later runs. Prints the median of 7 runs after a warm-up;
asserts nothing.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime

from common import median_ms, report

from esengine import Engine
from esengine.browsing import count_matching, event_page, search_streams
from esengine.demo import generate_bulk
from esengine.store.event_store import EVENT_COLUMNS
from esengine.store.filters import EventFilter

END = datetime(2026, 6, 1)
RUNS = 7
# The raw baselines compute the same columns as the engine, written by hand.
STREAM_COLUMNS = ("stream_id, any_value(stream_type), count(*), max(version), min(occurred_at), max(occurred_at), "
                  "max(recorded_at), max(position) AS p")


def raw(cur, sql: str, params: list):
    return lambda: cur.execute(sql, params).df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/bench_browser.duckdb")
    args = parser.parse_args()
    engine = Engine(args.db)
    if engine.store.last_position() < args.events * 0.95:
        t = time.perf_counter()
        generate_bulk(engine, events=args.events - engine.store.last_position(), end=END)
        print(f"built {engine.store.last_position():,} events in {time.perf_counter() - t:.1f} s")
    store, cur = engine.store, engine.store.cursor()
    print(f"store: {store.last_position():,} events, duckdb file {args.db}")
    page_filter = EventFilter(stream_types=("order",), event_types=("OrderShipped", "OrderCancelled"),
                              occurred_from=datetime(2026, 1, 1), occurred_to=datetime(2026, 3, 1))
    second = event_page(store, page_filter, size=50).next_before
    cases = [
        ("filtered page (type, event types, 2 months), page 1",
         lambda: event_page(store, page_filter, size=50),
         raw(cur, f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_type = 'order' "
                  "AND event_type IN ('OrderShipped', 'OrderCancelled') AND occurred_at >= ? AND occurred_at < ? "
                  "ORDER BY position DESC LIMIT 51",
             [datetime(2026, 1, 1), datetime(2026, 3, 1)])),
        ("same filter, page 2 (keyset)",
         lambda: event_page(store, page_filter, before=second, size=50),
         raw(cur, f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_type = 'order' "
                  "AND event_type IN ('OrderShipped', 'OrderCancelled') AND occurred_at >= ? AND occurred_at < ? "
                  "AND position < ? ORDER BY position DESC LIMIT 51",
             [datetime(2026, 1, 1), datetime(2026, 3, 1), second])),
        ("text in the data, rare term ('TRK-1234'), page 1",
         lambda: event_page(store, EventFilter(text="TRK-1234"), size=50),
         raw(cur, f"SELECT {EVENT_COLUMNS} FROM events WHERE contains(lower(CAST(data AS VARCHAR)), 'trk-1234') "
                  "ORDER BY position DESC LIMIT 51", [])),
        ("text in the data, common term ('TRK-12'), page 1",
         lambda: event_page(store, EventFilter(text="TRK-12"), size=50),
         raw(cur, f"SELECT {EVENT_COLUMNS} FROM events WHERE contains(lower(CAST(data AS VARCHAR)), 'trk-12') "
                  "ORDER BY position DESC LIMIT 51", [])),
        ("text in the data, letters only ('bulk product'), p. 1",
         lambda: event_page(store, EventFilter(text="bulk product"), size=50),
         raw(cur, f"SELECT {EVENT_COLUMNS} FROM events WHERE contains(lower(CAST(data AS VARCHAR)), 'bulk product') "
                  "ORDER BY position DESC LIMIT 51", [])),
        ("count of a text search ('TRK-1234')",
         lambda: count_matching(store, EventFilter(text="TRK-1234")),
         raw(cur, "SELECT count(*) FROM events WHERE contains(lower(CAST(data AS VARCHAR)), 'trk-1234')", [])),
        ("count of the filtered events",
         lambda: count_matching(store, page_filter),
         raw(cur, "SELECT count(*) FROM events WHERE stream_type = 'order' AND event_type IN ('OrderShipped', "
                  "'OrderCancelled') AND occurred_at >= ? AND occurred_at < ?",
             [datetime(2026, 1, 1), datetime(2026, 3, 1)])),
        ("stream search, prefix 'order-bulk0001'",
         lambda: search_streams(store, "order-bulk0001", limit=100),
         raw(cur, f"SELECT {STREAM_COLUMNS} FROM events "
                  "WHERE stream_id LIKE 'order-bulk0001%' GROUP BY stream_id ORDER BY p DESC LIMIT 101", [])),
        ("stream search, wildcard '*77*' of type order",
         lambda: search_streams(store, "*77*", ("order",), limit=100),
         raw(cur, f"SELECT {STREAM_COLUMNS} FROM events "
                  "WHERE stream_id LIKE '%77%' AND stream_type = 'order' GROUP BY stream_id "
                  "ORDER BY p DESC LIMIT 101", [])),
    ]
    for name, ours, baseline in cases:
        ours(), baseline()  # warm up both
        report(name, median_ms(ours, RUNS), median_ms(baseline, RUNS), "ms", higher_is_better=False)
    engine.close()


if __name__ == "__main__":
    main()
