"""The Scan tab of the Temporal queries page: every stream where a condition on its state ever held."""
from __future__ import annotations

import plotly.express as px
import streamlit as st

from esengine.scans import scan
from esengine.temporal import fields_of
from ui.temporal_views import result_table
from ui.time_travel_views import CONDITION_HELP


def scan_section(engine, types: list[str], asked_by_link: bool) -> None:
    """The form, and the answer: how many streams, when they first met it (by day), each linked to time travel."""
    S = st.session_state
    st.markdown("Every stream of a type where a condition on its state **ever held**, the first version it did and "
                "the event that made it true. The state here is the merge of the stream's event data (the generic "
                "fold, kept after every event by the `stream_states` read model).")
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
    fig = px.bar(found.by_day, x="day", y="streams", labels={"streams": "streams first meeting it"})
    fig.update_layout(height=220, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(fig, key="temporal_scan_chart")
    result_table(found.hits, "temporal_scan_table", "scan.csv", link_streams=False,
                 expand=lambda rows: rows.assign(open=found.links(rows))[["open", *rows.columns]])
