"""A clicked bar becomes a link to exactly its events in the event browser."""
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pandas as pd

from esengine.analytics import Volume, fold_small_groups
from esengine.browsing import filter_from_params, filter_to_params
from esengine.store.filters import EventFilter
from ui.analytics_views import bar_filter, bar_label
from ui.event_views import link

POINT = {"x": "2026-03-03", "y": 78, "curve_number": 0, "point_index": 4, "customdata": ["OrderShipped"],
         "legendgroup": "OrderShipped"}


def volume_of(by: str, bin: str, keys=("OrderShipped", "product"), others=()) -> Volume:
    return Volume(pd.DataFrame(), bin, by, None, None, keys, others)


def test_a_clicked_bar_links_to_its_event_type_and_day_in_the_event_browser():
    flt = bar_filter(POINT, EventFilter(stream_types=("order",)), volume_of("event_type", "day"))
    url = link("event_browser", **filter_to_params(flt))
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert urlparse(url).path == "event_browser"
    assert query == {"stream_type": "order", "event_type": "OrderShipped", "from": "2026-03-03T00:00:00Z",
                     "to": "2026-03-04T00:00:00Z"}
    assert filter_from_params(query) == flt  # the browser reads back the very same filter


def test_a_bar_of_the_stream_type_chart_filters_by_stream_type():
    point = dict(POINT, customdata=["product"], x="2026-03-01 00:00:00")
    flt = bar_filter(point, EventFilter(), volume_of("stream_type", "month"))
    assert flt.stream_types == ("product",) and flt.event_types == ()
    assert (flt.occurred_from, flt.occurred_to) == (datetime(2026, 3, 1), datetime(2026, 4, 1))


def test_the_link_says_how_many_events_of_which_type_and_when():
    assert bar_label(POINT, "day") == "the 78 OrderShipped events of the day from 2026-03-03 00:00 UTC"


def test_with_more_types_than_colours_the_smallest_are_added_up_and_their_bar_opens_all_of_them():
    frame = pd.DataFrame({"bucket": [pd.Timestamp("2026-03-03")] * 30, "key": [f"T{i:02}" for i in range(30)],
                          "events": range(100, 130)})
    folded, keys, others = fold_small_groups(frame, "events", keep=12)
    assert keys[:11] == tuple(f"T{i}" for i in range(29, 18, -1)) and keys[11] == "19 other types"
    assert others == tuple(f"T{i:02}" for i in range(19))
    assert folded["events"].sum() == frame["events"].sum() and folded["key"].nunique() == 12
    point = dict(POINT, customdata=["19 other types"])
    flt = bar_filter(point, EventFilter(), volume_of("event_type", "day", keys, others))
    assert flt.event_types == others


def test_a_few_types_are_kept_as_they_are():
    frame = pd.DataFrame({"bucket": [pd.Timestamp("2026-03-03")] * 3, "key": ["A", "B", "C"], "events": [1, 3, 2]})
    folded, keys, others = fold_small_groups(frame, "events")
    assert folded.equals(frame) and keys == ("B", "C", "A") and others == ()
