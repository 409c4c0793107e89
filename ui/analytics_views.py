"""Charts of the Analytics page, and turning a click on a bar into the event browser's filter."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from esengine.analytics import bucket_filter
from esengine.browsing import filter_to_params
from esengine.store.filters import EventFilter

BROWSER = "pages/event_browser.py"
_MARGIN = {"l": 0, "r": 0, "t": 10, "b": 0}


def volume_figure(frame: pd.DataFrame, value: str, legend: str) -> go.Figure:
    """Stacked bars per time bin; each bar carries its group in ``customdata`` for the click."""
    fig = px.bar(frame, x="bucket", y=value, color="key", custom_data=["key"],
                 labels={"bucket": "", value: value, "key": legend})
    fig.update_layout(barmode="stack", margin=_MARGIN, height=380, legend_title_text=legend)
    return fig


def heatmap_figure(grid: pd.DataFrame) -> go.Figure:
    fig = px.imshow(grid, aspect="auto", color_continuous_scale="Blues",
                    labels={"x": "hour of the day (UTC)", "y": "", "color": "events"})
    fig.update_layout(margin=_MARGIN, height=300)
    return fig


def clicked(event) -> dict | None:
    """The first point the user clicked in a chart drawn with ``on_select="rerun"``, if any."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    return points[0] if points else None


def open_in_browser(chart_key: str, flt: EventFilter) -> None:
    """Go to the event browser with ``flt`` once per click (coming back does not bounce again)."""
    params = filter_to_params(flt)
    signature = f"{chart_key}:{sorted(params.items())}"
    if st.session_state.get("analytics_opened") == signature:
        st.page_link(BROWSER, label="Open the events of the selected bar again", icon=":material/list_alt:",
                     query_params=params)
        return
    st.session_state["analytics_opened"] = signature
    st.switch_page(BROWSER, query_params=params)


def bar_filter(point: dict, flt: EventFilter, bin: str, by: str) -> EventFilter:
    """The events behind a clicked bar of a volume chart split ``by`` event type or stream type."""
    start = pd.Timestamp(point["x"]).to_pydatetime()
    key = (point.get("customdata") or [point.get("legendgroup")])[0]
    types = {"event_types": (key,)} if by == "event_type" else {"stream_types": (key,)}
    return bucket_filter(flt, start, bin, **types)


def time_bar_filter(point: dict, flt: EventFilter, bin: str) -> EventFilter:
    """The events in the time bin of a clicked bar (commands chart: the events of that bin)."""
    return bucket_filter(flt, pd.Timestamp(point["x"]).to_pydatetime(), bin)


def as_utc_text(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"
