"""Analytics: how much happened when, in which streams, and how commands fared. Click a bar to see its events."""
from datetime import timedelta

import streamlit as st

from esengine.analytics import BINS, data_span
from esengine.browsing import filter_from_params, filter_to_params
from ui.analytics_views import (as_utc_text, bar_filter, bar_label, clicked, events_link, heatmap_chart,
                                lengths_chart, outcomes_chart, time_bar_filter, top_streams_figure, volume_chart)
from ui.cached import event_types, shared, stream_types
from ui.engine import get_engine
from ui.event_views import link
from ui.feedback import plain_errors
from ui.navigation import stay_on_the_router
from ui.url_state import Param, publish, restore

S = st.session_state
RANGES = {"all of it": None, "the last day": timedelta(days=1), "the last 7 days": timedelta(days=7),
          "the last 30 days": timedelta(days=30), "the last year": timedelta(days=365)}


def url_params(engine) -> list[Param]:
    return [Param.listed("stream_type", "analytics_stream_type", stream_types(engine)),
            Param.listed("event_type", "analytics_event_type", event_types(engine)), Param("from", "analytics_from"),
            Param("to", "analytics_to"), Param.choice("bin", "analytics_bin", ["auto", *BINS])]


def mostly_empty(v) -> bool:
    """True when fewer than a third of the bins between the first and the last event hold any."""
    bins = (v.end - v.start) / BINS[v.bin] + 1
    return bins > 20 and v.frame["bucket"].nunique() < bins / 3


def typed_filter() -> dict[str, str]:
    return {"stream_type": ",".join(S.get("analytics_stream_type") or []),
            "event_type": ",".join(S.get("analytics_event_type") or []),
            "from": S.get("analytics_from") or "", "to": S.get("analytics_to") or ""}


def pick_range() -> None:
    """A quick range fills the date fields: the end of the data (of the chosen types), not of the calendar."""
    choice, S["analytics_range"] = S.get("analytics_range"), None
    if choice not in RANGES:
        return
    types = filter_from_params({**typed_filter(), "from": "", "to": ""})
    first, last = data_span(get_engine().store, types)
    span = RANGES[choice]
    start = max(first, last - span) if span and first and last else None
    S["analytics_from"] = f"{start:%Y-%m-%dT%H:%M}Z" if start else ""
    S["analytics_to"] = ""


stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Analytics")
st.caption("Event volume over time and where it goes. The same filters as the event browser; "
           "click a bar for a link to its events there. The address bar holds the view: copy it to share it.")

with plain_errors():
    engine = get_engine()
    store = engine.store
    first, last = data_span(store)
    if last is None:
        st.info("The store is empty. Send a command on the Commands page, or import a history.")
        st.stop()
    params = url_params(engine)
    restore(params, "analytics_url_seen", clear_missing=True)
    c = st.columns([2, 3, 2, 2, 1])
    c[0].multiselect("Stream type", stream_types(engine), key="analytics_stream_type")
    c[1].multiselect("Event type", event_types(engine), key="analytics_event_type")
    c[2].text_input("Occurred from (UTC)", key="analytics_from", placeholder=f"{first:%Y-%m-%d}, yesterday")
    c[3].text_input("Occurred before (UTC)", key="analytics_to", placeholder=f"{last:%Y-%m-%d} or today")
    bin_choice = c[4].selectbox("Time bin", ["auto", *BINS], key="analytics_bin")
    st.pills("Show a span of the data", list(RANGES), key="analytics_range", on_change=pick_range,
             help="Fills the dates: from the newest event of the chosen types back over that span (an imported "
                  "log may end years ago).")
    publish(params, "analytics_url_seen")
    flt = filter_from_params(typed_filter())
    chosen_bin = None if bin_choice == "auto" else bin_choice

    by_type, by_type_figure = shared(engine, volume_chart, flt, "event_type", chosen_bin)
    if by_type.frame.empty:
        st.info("No events match these filters. Widen the time range or clear a type.")
        st.stop()
    st.subheader("Event volume over time")
    st.caption(f"{int(by_type.frame['events'].sum()):,} events from {as_utc_text(by_type.start)} to "
               f"{as_utc_text(by_type.end)}, one bar per {by_type.bin}. "
               f"[Browse them in the event browser]({link('event_browser', **filter_to_params(flt))})"
               + (f". The {len(by_type.others)} least frequent event types are drawn together in grey: choose "
                  "event types above to see them apart." if by_type.others else "")
               + (". Most of this span holds no events: pick one of the data's spans above, a stream type or dates "
                  "to see the busy part." if mostly_empty(by_type) else ""))
    tab_event, tab_stream = st.tabs(["By event type", "By stream type"])
    with tab_event:
        event = st.plotly_chart(by_type_figure, key="analytics_volume_event",
                                on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(bar_filter(point, flt, by_type), bar_label(point, by_type.bin))
    with tab_stream:
        by_stream, by_stream_figure = shared(engine, volume_chart, flt, "stream_type", by_type.bin)
        event = st.plotly_chart(by_stream_figure, key="analytics_volume_stream", on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(bar_filter(point, flt, by_stream), bar_label(point, by_stream.bin))

    left, right = st.columns(2)
    with left:
        st.subheader("Top streams")
        event = st.plotly_chart(shared(engine, top_streams_figure, flt), key="analytics_top", on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(flt.with_(stream_id=point["customdata"][0]), f"the events of {point['customdata'][0]}")
    with right:
        st.subheader("Stream lengths")
        lengths, fig = shared(engine, lengths_chart, flt)
        st.plotly_chart(fig, key="analytics_lengths")
        st.caption(f"{int(lengths['streams'].sum()):,} streams; the longest has {int(lengths['length'].max()):,} "
                   "events.")

    st.subheader("Commands accepted and refused")
    outcomes, fig = shared(engine, outcomes_chart, flt, chosen_bin)
    if fig is None:
        st.info("No command was sent in this time range (imported histories have no command log).")
    else:
        event = st.plotly_chart(fig, key="analytics_commands", on_select="rerun", selection_mode="points")
        st.caption(f"One bar per {outcomes.bin}. Click one to see the events written in that {outcomes.bin}.")
        if point := clicked(event):
            events_link(time_bar_filter(point, flt, outcomes.bin), f"the events of that {outcomes.bin}")

    st.subheader("When during the week")
    st.plotly_chart(shared(engine, heatmap_chart, flt), key="analytics_heatmap")
