"""Deep links of the event browser: a filter set survives the trip to a URL and back; bad links say why."""
from datetime import datetime

import pytest

from esengine.browsing import filter_from_params, filter_to_params, parse_position
from esengine.browsing.events import case_free_run
from esengine.errors import ValidationError
from esengine.store.filters import EventFilter


def test_a_filter_set_survives_the_round_trip_through_query_parameters():
    flt = EventFilter(stream_id="order-1", stream_types=("order",), event_types=("OrderShipped", "OrderCancelled"),
                      occurred_from=datetime(2026, 5, 1), occurred_to=datetime(2026, 6, 1, 12, 30),
                      correlation_id="c-1", text="TRK-")
    assert filter_from_params(filter_to_params(flt)) == flt


def test_a_stream_with_wildcards_is_a_pattern_and_without_them_an_exact_id():
    assert filter_from_params({"stream": "order-*"}).stream_search == "order-*"
    exact = filter_from_params({"stream": "order-1"})
    assert exact.stream_id == "order-1" and exact.stream_search is None


def test_times_in_other_zones_are_converted_to_utc():
    assert filter_from_params({"from": "2026-05-01T14:00:00+02:00"}).occurred_from == datetime(2026, 5, 1, 12)


@pytest.mark.parametrize("params, field", [({"from": "last week"}, "Occurred from"),
                                           ({"to": "2026-13-40"}, "Occurred before"),
                                           ({"text": "x" * 500}, "Text inside the data"),
                                           ({"from": "2026-05-02", "to": "2026-05-01"}, "Occurred before")])
def test_an_unreadable_filter_value_is_refused_with_the_label_of_its_field(params, field):
    with pytest.raises(ValidationError) as refused:
        filter_from_params(params)
    assert field in refused.value.field_errors


@pytest.mark.parametrize("text, moment", [("today", datetime(2026, 11, 30)), ("Yesterday ", datetime(2026, 11, 29)),
                                          ("2026-11-30", datetime(2026, 11, 30)),
                                          ("2026-11-30 14:05", datetime(2026, 11, 30, 14, 5))])
def test_a_person_can_type_a_date_a_time_today_or_yesterday(text, moment):
    now = datetime(2026, 11, 30, 9, 15)
    assert filter_from_params({"from": text}, now=now).occurred_from == moment


@pytest.mark.parametrize("text", ["abc", "1; DROP TABLE events", "0", "-4"])
def test_an_event_link_that_is_not_a_position_is_refused(text):
    with pytest.raises(ValidationError):
        parse_position(text)


def test_an_event_link_with_a_position_is_read():
    assert parse_position(" 42 ") == 42 and parse_position(None) is None


@pytest.mark.parametrize("text, run", [("TRK-1234", "-1234"), ("order-0012", "-0012"), ("ana@example.com", None),
                                       ("Mia Lund", None), ("12", None)])
def test_a_text_search_finds_the_part_that_lower_casing_cannot_change(text, run):
    assert case_free_run(text) == run
