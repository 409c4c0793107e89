"""Time bins: the finest one that keeps a chart readable, and the filter behind one bar."""
from datetime import datetime, timedelta

import pytest

from esengine.analytics import bucket_filter, choose_bin
from esengine.analytics.bins import bin_end
from esengine.errors import ValidationError
from esengine.store.filters import EventFilter

T = datetime(2026, 3, 1)


@pytest.mark.parametrize("span, expected", [
    (timedelta(minutes=90), "minute"), (timedelta(hours=100), "hour"), (timedelta(days=100), "day"),
    (timedelta(days=700), "week"), (timedelta(days=5000), "month"), (timedelta(0), "minute"),
])
def test_the_bin_is_the_finest_that_draws_the_range_in_at_most_120_bars(span, expected):
    assert choose_bin(T, T + span) == expected


def test_an_empty_range_is_drawn_by_day():
    assert choose_bin(None, None) == "day"


def test_a_month_bin_ends_at_the_next_month_even_in_december():
    assert bin_end(datetime(2025, 12, 1), "month") == datetime(2026, 1, 1)
    assert bin_end(datetime(2026, 2, 1), "month") == datetime(2026, 3, 1)


def test_the_filter_of_a_bar_keeps_the_page_filter_and_narrows_it_to_the_bin_and_type():
    page = EventFilter(stream_types=("order",), occurred_from=datetime(2026, 3, 1, 12))
    bar = bucket_filter(page, datetime(2026, 3, 1), "day", event_types=("OrderShipped",))
    assert bar.stream_types == ("order",) and bar.event_types == ("OrderShipped",)
    assert bar.occurred_from == datetime(2026, 3, 1, 12)  # the page's own bound is the tighter one
    assert bar.occurred_to == datetime(2026, 3, 2)


def test_an_unknown_bin_is_refused_with_the_choices():
    with pytest.raises(ValidationError, match="minute, hour, day, week, month"):
        bin_end(T, "fortnight")
