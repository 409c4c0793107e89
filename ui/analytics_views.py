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
from ui.event_views import link

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


def events_link(flt: EventFilter, what: str) -> None:
    """A link to the event browser showing the events behind the bar the user clicked."""
    st.success(f":material/list_alt: [Open {what} in the event browser]({link('event_browser', **filter_to_params(flt))})")


def bar_label(point: dict, bin: str) -> str:
    """``the 78 OrderShipped events of 2026-03-03`` for a clicked bar."""
    key = (point.get("customdata") or [point.get("legendgroup")])[0]
    count = f"{int(point['y']):,} " if isinstance(point.get("y"), (int, float)) else ""
    return f"the {count}{key} events of the {bin} from {pd.Timestamp(point['x']):%Y-%m-%d %H:%M} UTC"


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
