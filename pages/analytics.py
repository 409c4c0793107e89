"""Analytics: how much happened when, in which streams, and how commands fared. Click a bar to see its events."""
import plotly.express as px
import streamlit as st

from esengine.analytics import BINS, command_outcomes, hour_of_week, stream_lengths, top_streams, volume
from esengine.browsing import event_types, filter_from_params, filter_to_params, stream_types
from ui.analytics_views import (as_utc_text, bar_filter, bar_label, clicked, events_link, heatmap_figure,
                                time_bar_filter, volume_figure)
from ui.engine import get_engine
from ui.event_views import link
from ui.feedback import plain_errors

S = st.session_state
LINKED = {"stream_type": "analytics_stream_type", "event_type": "analytics_event_type", "from": "analytics_from",
          "to": "analytics_to"}

st.title("Analytics")
st.caption("Event volume over time and where it goes. The same filters as the event browser; "
           "click a bar for a link to its events there.")

with plain_errors():
    engine = get_engine()
    store = engine.store
    link_params = {name: st.query_params.get(name, "") for name in LINKED}
    if S.get("analytics_link_seen") != link_params:  # a link like /analytics?stream_type=order fills the filters
        S["analytics_link_seen"] = link_params
        for name, key in LINKED.items():
            value = link_params[name]
            S[key] = [v for v in value.split(",") if v] if name in ("stream_type", "event_type") else value
    c = st.columns([2, 3, 2, 2, 1])
    c[0].multiselect("Stream type", stream_types(store), key="analytics_stream_type")
    c[1].multiselect("Event type", event_types(store), key="analytics_event_type")
    c[2].text_input("Occurred from (UTC)", key="analytics_from", placeholder="2026-05-01")
    c[3].text_input("Occurred before (UTC)", key="analytics_to", placeholder="2026-06-01")
    bin_choice = c[4].selectbox("Time bin", ["auto", *BINS], key="analytics_bin")
    flt = filter_from_params({name: ",".join(S[key]) if isinstance(S[key], list) else S[key]
                              for name, key in LINKED.items()})
    chosen_bin = None if bin_choice == "auto" else bin_choice

    by_type = volume(store, flt, "event_type", chosen_bin)
    if by_type.frame.empty:
        st.info("No events match these filters. Widen the time range or clear a type.")
        st.stop()
    st.subheader("Event volume over time")
    st.caption(f"{int(by_type.frame['events'].sum()):,} events from {as_utc_text(by_type.start)} to "
               f"{as_utc_text(by_type.end)}, one bar per {by_type.bin}. "
               f"[Browse them in the event browser]({link('event_browser', **filter_to_params(flt))}) · "
               f"[link to this view]({link('analytics', **filter_to_params(flt))})")
    tab_event, tab_stream = st.tabs(["By event type", "By stream type"])
    with tab_event:
        event = st.plotly_chart(volume_figure(by_type.frame, "events", "event type"), key="analytics_volume_event",
                                on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(bar_filter(point, flt, by_type.bin, "event_type"), bar_label(point, by_type.bin))
    with tab_stream:
        by_stream = volume(store, flt, "stream_type", by_type.bin)
        event = st.plotly_chart(volume_figure(by_stream.frame, "events", "stream type"),
                                key="analytics_volume_stream", on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(bar_filter(point, flt, by_stream.bin, "stream_type"), bar_label(point, by_stream.bin))

    left, right = st.columns(2)
    with left:
        st.subheader("Top streams")
        top = top_streams(store, flt, limit=15)
        fig = px.bar(top, x="events", y="stream_id", color="stream_type", orientation="h",
                     custom_data=["stream_id"], labels={"stream_id": "", "stream_type": "stream type"})
        fig.update_layout(yaxis={"categoryorder": "total ascending"}, height=420, margin={"l": 0, "r": 0, "t": 10})
        event = st.plotly_chart(fig, key="analytics_top", on_select="rerun", selection_mode="points")
        if point := clicked(event):
            events_link(flt.with_(stream_id=point["customdata"][0]), f"the events of {point['customdata'][0]}")
    with right:
        st.subheader("Stream lengths")
        lengths = stream_lengths(store, flt)
        fig = px.bar(lengths, x="length", y="streams", labels={"length": "events in the stream", "streams": "streams"})
        fig.update_layout(height=420, margin={"l": 0, "r": 0, "t": 10})
        st.plotly_chart(fig, key="analytics_lengths")
        st.caption(f"{int(lengths['streams'].sum()):,} streams; the longest has {int(lengths['length'].max()):,} "
                   "events.")

    st.subheader("Commands accepted and refused")
    outcomes = command_outcomes(store, flt, chosen_bin)
    if outcomes.frame.empty:
        st.info("No command was sent in this time range (imported histories have no command log).")
    else:
        fig = volume_figure(outcomes.frame, "commands", "outcome")
        event = st.plotly_chart(fig, key="analytics_commands", on_select="rerun", selection_mode="points")
        st.caption(f"One bar per {outcomes.bin}. Click one to see the events written in that {outcomes.bin}.")
        if point := clicked(event):
            events_link(time_bar_filter(point, flt, outcomes.bin), f"the events of that {outcomes.bin}")

    st.subheader("When during the week")
    st.plotly_chart(heatmap_figure(hour_of_week(store, flt)), key="analytics_heatmap")
