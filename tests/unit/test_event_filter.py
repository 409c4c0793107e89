"""EventFilter: the one description of "which events" that pages, exports and the CLI share."""
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from esengine.store.filters import EventFilter


@pytest.fixture
def events():
    con = duckdb.connect()
    con.execute("""CREATE TABLE events AS SELECT * FROM (VALUES
        (1, 'order_1', 'order', 'OrderCreated', '{"note": "Hello (World)+"}', '{"correlation_id": "c1"}', TIMESTAMP '2026-01-01 10:00'),
        (2, 'orderX1', 'order', 'OrderShipped', '{}', '{"correlation_id": "c2"}', TIMESTAMP '2026-01-02 10:00'),
        (3, 'ord%er', 'odd', 'OrderCreated', '{}', '{"correlation_id": "c1"}', TIMESTAMP '2026-01-03 10:00')
    ) t(position, stream_id, stream_type, event_type, data, metadata, occurred_at)""")
    return con


def matching(con, flt: EventFilter) -> list[int]:
    where, params = flt.where()
    return [r[0] for r in con.execute(f"SELECT position FROM events WHERE {where} ORDER BY 1", params).fetchall()]


@pytest.mark.parametrize("search, expected", [
    ("order_", [1]),          # a prefix: the underscore is literal
    ("ord*", [1, 2, 3]),      # * is any run of characters
    ("order?1", [1, 2]),      # ? is one character
    ("ord%", [3]),            # % is literal, not LIKE's wildcard
    ("*_1", [1]),
])
def test_stream_search_takes_prefixes_and_wildcards_literally_otherwise(events, search, expected):
    assert matching(events, EventFilter(stream_search=search)) == expected


def test_text_search_is_case_insensitive_and_takes_the_text_literally(events):
    assert matching(events, EventFilter(text="hello (world)+")) == [1]
    assert matching(events, EventFilter(text="(world)+x")) == []


def test_filters_combine_and_empty_ones_do_not_filter(events):
    assert matching(events, EventFilter()) == [1, 2, 3]
    assert matching(events, EventFilter(event_types=("OrderCreated",), correlation_id="c1")) == [1, 3]
    assert matching(events, EventFilter(stream_types=("order",), after_position=1)) == [2]


def test_time_windows_are_half_open_and_aware_times_are_taken_as_utc(events):
    cet = timezone(timedelta(hours=1))
    flt = EventFilter(occurred_from=datetime(2026, 1, 2, 11, 0, tzinfo=cet), occurred_to=datetime(2026, 1, 3, 10, 0))
    assert matching(events, flt) == [2]
