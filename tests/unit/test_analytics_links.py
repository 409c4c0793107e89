"""A clicked bar becomes a link to exactly its events in the event browser."""
from datetime import datetime
from urllib.parse import parse_qs, urlparse

from esengine.browsing import filter_from_params, filter_to_params
from esengine.store.filters import EventFilter
from ui.analytics_views import bar_filter, bar_label
from ui.event_views import link

POINT = {"x": "2026-03-03", "y": 78, "curve_number": 0, "point_index": 4, "customdata": ["OrderShipped"],
         "legendgroup": "OrderShipped"}


def test_a_clicked_bar_links_to_its_event_type_and_day_in_the_event_browser():
    flt = bar_filter(POINT, EventFilter(stream_types=("order",)), "day", "event_type")
    url = link("event_browser", **filter_to_params(flt))
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert urlparse(url).path == "event_browser"
    assert query == {"stream_type": "order", "event_type": "OrderShipped", "from": "2026-03-03T00:00:00Z",
                     "to": "2026-03-04T00:00:00Z"}
    assert filter_from_params(query) == flt  # the browser reads back the very same filter


def test_a_bar_of_the_stream_type_chart_filters_by_stream_type():
    point = dict(POINT, customdata=["product"], x="2026-03-01 00:00:00")
    flt = bar_filter(point, EventFilter(), "month", "stream_type")
    assert flt.stream_types == ("product",) and flt.event_types == ()
    assert (flt.occurred_from, flt.occurred_to) == (datetime(2026, 3, 1), datetime(2026, 4, 1))


def test_the_link_says_how_many_events_of_which_type_and_when():
    assert bar_label(POINT, "day") == "the 78 OrderShipped events of the day from 2026-03-03 00:00 UTC"
