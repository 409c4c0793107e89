"""The Scan tab of the Temporal queries page: every stream where a condition on its state ever held."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from esengine.scans import scan, time_travel_link
from esengine.scans.impact import rule_change_impact
from esengine.temporal import fields_of
from ui.temporal_views import result_table
from ui.time_travel_views import CONDITION_HELP

FIRST_LINKS = 5


def scan_section(engine, types: list[str], asked_by_link: bool) -> None:
    """The form, and the answer: how many streams, when they first met it (by day), each linked to time travel."""
    S = st.session_state
    st.markdown("Every stream of a type where a condition on its state **ever held**, the first version it did and "
                "the event that made it true. The state here is the merge of the stream's event data (the generic "
                "fold, kept after every event by the `stream_states` read model); time travel shows a stream with an "
                "aggregate class (orders) by the aggregate's own fields, such as `status` and `paid_amount`.")
    c = st.columns([1, 3], vertical_alignment="bottom")
    kind = c[0].selectbox("Stream type", types, key="temporal_scan_type")
    c[1].text_input("Condition", key="temporal_scan_condition", help=CONDITION_HELP,
                    placeholder="total > 300 and len(items) >= 3")
    st.caption("Fields of these states: " + ", ".join(f"`{f}`" for f in fields_of(engine.store, kind)[:30]))
    if st.button("Scan every history", key="temporal_scan_run", type="primary") or asked_by_link:
        S.pop("temporal_scan_result", None)
        with st.spinner("Scanning every state after every event…"):
            S["temporal_scan_result"] = scan(engine.store, kind, S.get("temporal_scan_condition") or "")
    if "temporal_scan_result" not in S:
        return
    found = S["temporal_scan_result"]
    st.markdown(f"**{len(found.hits):,} {found.stream_type} streams** where `{found.condition.text}` held "
                "after some event.")
    if found.pending:
        st.caption(f"The newest {found.pending:,} events are not in the read model yet (it folds them in the "
                   "background); scan again in a moment to include them.")
    if found.hits.empty:
        return
    first = found.hits.head(FIRST_LINKS)
    st.markdown("Open in time travel, at the version it became true: " + " · ".join(
        f"[{sid} v{v}]({url})" for sid, v, url in zip(first["stream_id"], first["first_version"], found.links(first))))
    fig = px.bar(found.by_day, x="day", y="streams", labels={"streams": "streams first meeting it"})
    fig.update_layout(height=220, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(fig, key="temporal_scan_chart")
    result_table(found.hits, "temporal_scan_table", "scan.csv", link_streams=False,
                 expand=lambda rows: rows.assign(open=found.links(rows))[["open", *rows.columns]])


def impact_section(engine, types: list[str]) -> None:
    """Rule-change impact: the existing events today's rules would refuse, per stream type with rules."""
    S = st.session_state
    ruled = [t for t in types if engine.rules.knows(t)]
    st.markdown("#### Would today's rules refuse anything already in the history?")
    st.caption("Every history of the type is replayed and each event is decided again by the rule it answers to "
               "today (the checks what-if uses). After changing a rule, this lists the past events it would refuse.")
    if not ruled:
        st.caption("No stream type here has rules registered.")
        return
    c = st.columns([1, 3], vertical_alignment="bottom")
    kind = c[0].selectbox("Stream type", ruled, key="temporal_impact_type")
    if c[1].button("Check every history against today's rules", key="temporal_impact_run"):
        with st.spinner("Replaying every history and deciding each event again…"):
            S["temporal_impact_result"] = rule_change_impact(engine, kind)
    impact = S.get("temporal_impact_result")
    if impact is None:
        return
    if impact.refused.empty:
        st.success(f"Today's rules allow every one of the {impact.events:,} events of the {impact.streams:,} "
                   f"{impact.stream_type} streams.")
    else:
        st.warning(f"Today's rules would refuse {len(impact.refused):,} of the {impact.events:,} events of the "
                   f"{impact.streams:,} {impact.stream_type} streams.")
        result_table(impact.refused, "temporal_impact_table", "refused-by-todays-rules.csv", link_streams=False,
                     expand=lambda rows: rows.assign(open=[time_travel_link(s, int(v)) for s, v in
                                                           zip(rows["stream_id"], rows["version"])]
                                                     )[["open", *rows.columns]])
    if impact.skipped:
        st.caption(f"{len(impact.skipped):,} streams were not checked: their events do not fit the aggregate class.")
