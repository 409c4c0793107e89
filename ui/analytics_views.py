"""Charts of the Overview and Analytics pages, and turning a click on a bar into the event browser's filter.

The ``*_chart`` functions take the engine first and hashable arguments after it, so a page can build them once
per store generation for every session through ``ui.cached.shared``."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from esengine.analytics import (Volume, bucket_filter, command_outcomes, hour_of_week, stream_lengths, top_streams,
                                volume)
from esengine.browsing import filter_to_params
from esengine.store.filters import EventFilter
from ui.cached import events_per_type
from ui.event_views import link

_MARGIN = {"l": 0, "r": 0, "t": 10, "b": 0}


# 13 colours told apart also by people with a colour-vision deficiency (Okabe-Ito, then Tol's muted); the
# folded "other" entry is grey. A volume chart never has more entries (esengine.analytics.LEGIBLE_GROUPS + 1).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288", "#882255",
           "#44AA99", "#999933", "#AA4499", "#117733"]
OTHER_COLOUR = "#B0B0B0"


def colours(v: Volume) -> dict[str, str]:
    """A distinct colour per legend entry, in the order of the legend; grey for the folded "other" entry."""
    named = v.keys[:-1] if v.others else v.keys
    mapping = {key: PALETTE[i % len(PALETTE)] for i, key in enumerate(named)}
    if v.others:
        mapping[v.keys[-1]] = OTHER_COLOUR
    return mapping


def volume_figure(v: Volume, value: str, legend: str) -> go.Figure:
    """Stacked bars per time bin, largest group at the bottom and first in the legend; each bar carries its
    group in ``customdata`` for the click. The legend lists every entry (it scrolls rather than clips)."""
    fig = px.bar(v.frame, x="bucket", y=value, color="key", custom_data=["key"], color_discrete_map=colours(v),
                 category_orders={"key": list(v.keys)}, labels={"bucket": "", value: value, "key": legend})
    fig.update_layout(barmode="stack", margin=_MARGIN, height=max(380, 60 + 22 * len(v.keys)),
                      legend={"title_text": legend, "traceorder": "normal", "itemclick": "toggleothers"})
    return fig


def per_type_figure(engine) -> go.Figure:
    """The Overview's events per type, coloured by stream type."""
    per_type = events_per_type(engine)
    fig = px.bar(per_type, x="events", y="event_type", color="stream_type", orientation="h",
                 labels={"events": "events", "event_type": "", "stream_type": "stream type"})
    fig.update_layout(yaxis={"categoryorder": "total ascending"}, height=max(300, 28 * len(per_type)),
                      margin=_MARGIN)
    return fig


def volume_chart(engine, flt: EventFilter, by: str, bin: str | None) -> tuple[Volume, go.Figure]:
    """Events per time bin, grouped ``by`` event type or stream type, and their stacked bars."""
    v = volume(engine.store, flt, by, bin)
    return v, volume_figure(v, "events", by.replace("_", " "))


def top_streams_figure(engine, flt: EventFilter) -> go.Figure:
    top = top_streams(engine.store, flt, limit=15)
    fig = px.bar(top, x="events", y="stream_id", color="stream_type", orientation="h",
                 custom_data=["stream_id"], labels={"stream_id": "", "stream_type": "stream type"})
    fig.update_layout(yaxis={"categoryorder": "total ascending"}, height=420, margin={"l": 0, "r": 0, "t": 10})
    return fig


def lengths_chart(engine, flt: EventFilter) -> tuple[pd.DataFrame, go.Figure]:
    lengths = stream_lengths(engine.store, flt)
    fig = px.bar(lengths, x="length", y="streams", labels={"length": "events in the stream", "streams": "streams"})
    fig.update_layout(height=420, margin={"l": 0, "r": 0, "t": 10})
    return lengths, fig


def outcomes_chart(engine, flt: EventFilter, bin: str | None) -> tuple[Volume, go.Figure | None]:
    """Commands accepted and refused per time bin (no figure when no command was sent then)."""
    outcomes = command_outcomes(engine.store, flt, bin)
    return outcomes, None if outcomes.frame.empty else volume_figure(outcomes, "commands", "outcome")


def heatmap_chart(engine, flt: EventFilter) -> go.Figure:
    return heatmap_figure(hour_of_week(engine.store, flt))


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


def _key(point: dict) -> str:
    return (point.get("customdata") or [point.get("legendgroup")])[0]


def bar_label(point: dict, bin: str) -> str:
    """``the 78 OrderShipped events of 2026-03-03`` for a clicked bar."""
    key = _key(point)
    count = f"{int(point['y']):,} " if isinstance(point.get("y"), (int, float)) else ""
    return f"the {count}{key} events of the {bin} from {pd.Timestamp(point['x']):%Y-%m-%d %H:%M} UTC"


def bar_filter(point: dict, flt: EventFilter, v: Volume) -> EventFilter:
    """The events behind a clicked bar of a volume chart (a folded "other" bar: all of its types)."""
    start = pd.Timestamp(point["x"]).to_pydatetime()
    members = v.members(_key(point))
    types = {"event_types": members} if v.by == "event_type" else {"stream_types": members}
    return bucket_filter(flt, start, v.bin, **types)


def time_bar_filter(point: dict, flt: EventFilter, bin: str) -> EventFilter:
    """The events in the time bin of a clicked bar (commands chart: the events of that bin)."""
    return bucket_filter(flt, pd.Timestamp(point["x"]).to_pydatetime(), bin)


def as_utc_text(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"
