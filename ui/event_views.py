"""How the event browser draws things: event tables, one event's detail, the causation tree, swimlanes."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pandas as pd
import plotly.express as px
import streamlit as st

from esengine.browsing import ChainNode, EventDetail, causation_chain, streams_touched
from ui.formatting import local_and_utc

MAX_TREE_NODES = 300


def link(page: str, **params) -> str:
    """A relative link to another page of the app with query parameters (``event_browser?event=12``)."""
    return f"{page}?{urlencode({k: v for k, v in params.items() if v is not None})}"


def event_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Events for display: times in the viewer's zone with UTC beside, user and correlation from metadata."""
    if frame.empty:
        return pd.DataFrame(columns=["position", "stream_id", "version", "event_type", "occurred", "recorded"])
    meta = frame["metadata"].map(lambda m: json.loads(m) if isinstance(m, str) else (m or {}))
    return pd.DataFrame({
        "position": frame["position"], "stream_id": frame["stream_id"], "version": frame["version"],
        "event_type": frame["event_type"],
        "occurred": frame["occurred_at"].map(lambda t: local_and_utc(t.to_pydatetime())),
        "recorded": frame["recorded_at"].map(lambda t: local_and_utc(t.to_pydatetime())),
        "user": meta.map(lambda m: m.get("user_id")), "correlation": meta.map(lambda m: m.get("correlation_id")),
        "data": frame["data"]})


def event_detail_view(store, detail: EventDetail) -> None:
    """One event: where it sits, its data and metadata, links onwards, and its correlation's tree."""
    e = detail.event
    st.subheader(f"Event {e.position}: {e.event_type}")
    cols = st.columns(4)
    cols[0].metric("Position (global)", f"{e.position:,}")
    cols[1].metric("Version in its stream", f"{e.version} of {detail.stream_version}")
    cols[2].metric("Stream type", e.stream_type)
    cols[3].metric("Schema version", e.schema_version)
    st.markdown(f"**Stream:** `{e.stream_id}` · **event id:** `{e.event_id}`  \n"
                f"**Occurred** (in the domain): {local_and_utc(e.occurred_at)} · "
                f"**Recorded** (committed to the store): {local_and_utc(e.recorded_at)}")
    links = [(f"[Time travel: {e.stream_id} at version {e.version}]"
              f"({link('time_travel', stream=e.stream_id, version=e.version)})"),
             f"[All events of {e.stream_id}]({link('event_browser', stream=e.stream_id)})"]
    correlation = e.metadata.get("correlation_id")
    if correlation:
        links.append(f"[Every event of this correlation]({link('event_browser', correlation=correlation)})")
    if detail.command:
        links.append(f"[Again like this: prefill the {detail.command['command_type']} form]"
                     f"({link('commands', again=e.position)})")
    st.markdown(" · ".join(links))
    chain_check(store, e.position)
    left, right = st.columns(2)
    left.markdown("**Data**")
    left.json(e.data, expanded=True)
    right.markdown("**Metadata**")
    right.json(e.metadata, expanded=True)
    if correlation:
        correlation_view(store, correlation, highlight=e.position)


def chain_check(store, position: int) -> None:
    """Tamper evidence on request: does the hash chain hold from the first event up to this one?"""
    key = f"event_browser_chain_{position}"
    if not st.session_state.get(key) and not st.button(
            "Check the hash chain up to this event", key=f"{key}_button",
            help="Each event's hash covers its content and the previous event's hash: an edit made behind "
                 "the engine's back breaks the chain from there on."):
        return
    st.session_state[key] = True
    broken = store.chain_break(up_to=position)
    if broken is None:
        st.success(f"The hash chain holds from the first event up to this one ({position:,} events): "
                   "none of them was changed since it was recorded.", icon=":material/verified:")
    else:
        st.error(f"{broken.describe()} [Open it]({link('event_browser', event=broken.position)})",
                 icon=":material/gpp_bad:")


def correlation_view(store, correlation_id: str, highlight: int | None = None) -> None:
    """The causation tree of one correlation, and every stream it touched."""
    st.markdown(f"**What happened in correlation** `{correlation_id}` (command → events → follow-up commands):")
    roots = causation_chain(store, correlation_id)
    st.markdown(chain_markdown(roots, highlight))
    st.markdown("**Streams this correlation touched**")
    touched = streams_touched(store, correlation_id)
    touched["open"] = touched["stream_id"].map(lambda s: link("event_browser", stream=s))
    st.dataframe(touched, hide_index=True, key=f"events_touched_{correlation_id}",
                 column_config={"open": st.column_config.LinkColumn("open", display_text="events")})


def chain_markdown(roots: list[ChainNode], highlight: int | None = None) -> str:
    """The tree as a nested markdown list; the highlighted event is marked."""
    lines: list[str] = []
    for root in roots:
        for depth, node in root.walk():
            if len(lines) >= MAX_TREE_NODES:
                lines.append(f"- … (the tree is cut at {MAX_TREE_NODES} entries)")
                return "\n".join(lines)
            lines.append("    " * depth + "- " + _node_text(node, highlight))
    return "\n".join(lines)


def _node_text(node: ChainNode, highlight: int | None) -> str:
    if node.kind == "command":
        text = f"command **{node.label}** by {node.user_id or '?'}: {node.outcome}"
        return text + (f" — *{node.message}*" if node.message else "")
    mark = " ⟵ **this event**" if node.position == highlight else ""
    return (f"event [{node.label}]({link('event_browser', event=node.position)}) · `{node.stream_id}` v{node.version} · "
            f"{local_and_utc(node.occurred_at)}{mark}")


def swimlane_chart(frame: pd.DataFrame, key: str) -> None:
    """Streams as horizontal lanes, each event a dot at its time, coloured by type."""
    fig = px.scatter(frame, x="occurred_at", y="stream_id", color="event_type", symbol="event_type",
                     hover_data=["position", "version", "event_type"],
                     labels={"occurred_at": "occurred (UTC)", "stream_id": "", "event_type": "event type"})
    fig.update_traces(marker={"size": 12})
    fig.update_layout(height=120 + 60 * frame["stream_id"].nunique(), margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(fig, key=key)
