"""How the Time travel page draws things: the timeline, a state (readable for orders), an event, a diff."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from esengine.core.events import StoredEvent
from esengine.errors import ValidationError
from esengine.timetravel import FieldChange, what_if
from esengine.timetravel.breakpoints import run_until
from esengine.timetravel.timeline import Timeline, timeline
from ui.event_views import link
from ui.feedback import show_error
from ui.formatting import local_and_utc

MAX_CHART_POINTS = 400  # a long stream is drawn sampled (SVG, not WebGL), so a slider step redraws quickly
CHANGE_COLOURS = {"added": "#d9f2d9", "removed": "#f8d7d7", "changed": "#fff0c2"}


@st.cache_data(ttl=60, max_entries=20, show_spinner=False)
def cached_timeline(_engine, db: str, stream_id: str, last_position: int) -> Timeline:
    """The stream's timeline, cached until the store moves on (``last_position`` is part of the key)."""
    return timeline(_engine, stream_id)


def timeline_chart(tl: Timeline, cursor: int | None, compare: int | None, key: str) -> None:
    """Events by version and type, snapshot positions as diamonds, the cursor(s), if given, as lines.

    The page draws it once per stream, outside the cursor's fragment and without cursor lines: a plotly
    redraw costs a slider step about 150 ms in the browser, half of what a step may take.
    """
    frame = tl.events
    if len(frame) > MAX_CHART_POINTS:
        frame = frame.iloc[:: len(frame) // MAX_CHART_POINTS + 1]
    fig = go.Figure(go.Scatter(x=frame["version"], y=frame["event_type"], mode="markers", name="events",
                                 marker={"size": 7, "color": "#4c78a8"},
                                 hovertemplate="v%{x} %{y}<extra></extra>"))
    snapshots = tl.snapshot_versions
    if snapshots:  # one trace, not a shape per snapshot: plotly adds shapes one by one, slowly
        shown = snapshots[:: max(1, len(snapshots) // MAX_CHART_POINTS + 1)]
        fig.add_trace(go.Scatter(x=shown, y=["(snapshot)"] * len(shown), mode="markers", name="snapshots",
                                   marker={"symbol": "diamond", "size": 8, "color": "#2ca02c"},
                                   hovertemplate="snapshot at v%{x}<extra></extra>"))
    lines = ([(cursor, "#d62728", "solid")] if cursor is not None else []) + \
        ([(compare, "#ff7f0e", "dash")] if compare is not None else [])
    fig.update_layout(shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                               "line": {"color": colour, "width": 3, "dash": dash}} for x, colour, dash in lines])
    fig.update_layout(height=130 + 22 * (frame["event_type"].nunique() + bool(snapshots)), margin={"l": 0, "r": 0, "t": 10, "b": 0},
                      xaxis={"title": "version", "range": [-0.5, tl.latest + 0.5], "tickformat": ",d",
                             **({"dtick": 1} if tl.latest <= 20 else {})}, yaxis={"title": ""},
                      showlegend=False)
    st.plotly_chart(fig, key=key, config={"displayModeBar": False})
    notes = ["Red line: the cursor." if cursor is not None else "The slider below moves along this axis.",
             f"Green diamonds: the {len(snapshots)} snapshots (state saved every few "
             "events, so a replay starts from the nearest one)." if snapshots else "This stream has no snapshots.",
             "Orange dashes: the compared version." if compare is not None else ""]
    st.caption(" ".join(n for n in notes if n))


def _flatten(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [row for k, v in value.items() for row in _flatten(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list) and value:
        return [row for i, v in enumerate(value) for row in _flatten(v, f"{path}[{i}]")]
    return [(path or "(state)", value)]


def _touched(path: str, changed: set[str]) -> bool:
    return any(path == c or path.startswith((c + ".", c + "[")) for c in changed)


def state_fields(state: dict[str, Any], changes: list[FieldChange], alt: str) -> None:
    """The state as one row per field; fields the diff changed are highlighted."""
    kinds = {c.path: c.kind for c in changes}
    rows = pd.DataFrame([{"field": p, "value": json.dumps(v, ensure_ascii=False, default=str)}
                         for p, v in _flatten(state)])
    if rows.empty:
        st.caption("Empty: nothing has happened to this stream yet.")
        return

    def colour(row):
        hit = next((kinds[c] for c in kinds if _touched(row["field"], {c})), None)
        return [f"background-color: {CHANGE_COLOURS[hit]}" if hit else ""] * len(row)
    st.table(rows.style.apply(colour, axis=1), hide_index=True, alt=alt)
    with st.expander("The same state as JSON"):
        st.json(state, expanded=True)


def order_summary(state: dict[str, Any]) -> None:
    """An order as a shop clerk reads it: status, totals, lines."""
    cols = st.columns(3)
    cols[0].metric("Status", (state.get("status") or "not created").title())
    cols[1].metric("Total", f"{state.get('total', 0):.2f}")
    cols[2].metric("Paid", f"{state.get('paid_amount', 0):.2f}")
    items = state.get("items") or []
    if items:
        lines = pd.DataFrame(items)
        lines["line total"] = (lines["quantity"] * lines["unit_price"]).round(2)
        st.dataframe(lines, hide_index=True, width="stretch")
    extra = [f"**Customer:** `{state['customer_id']}`" if state.get("customer_id") else "",
             f"**Tracking:** {state['tracking_number']}" if state.get("tracking_number") else "",
             f"**Cancelled because:** {state['cancel_reason']}" if state.get("cancel_reason") else ""]
    if any(extra):
        st.markdown("  \n".join(e for e in extra if e))


def event_panel(event: StoredEvent | None) -> None:
    """The event that produced the cursor's version: type, times, data and metadata."""
    if event is None:
        st.caption("Version 0 is the state before the stream's first event.")
        return
    st.markdown(f"**v{event.version} · {event.event_type}** (schema v{event.schema_version}, "
                f"position {event.position:,}) · [open in the event browser]({link('event_browser', event=event.position)})"
                f"  \n**Occurred:** {local_and_utc(event.occurred_at)}  \n"
                f"**Recorded:** {local_and_utc(event.recorded_at)}")
    st.markdown("**Data**")
    st.json(event.data, expanded=True)
    st.markdown("**Metadata**")
    st.json(event.metadata, expanded=False)


def diff_table(rows: list[dict[str, Any]], alt: str) -> None:
    """Changed fields, coloured by kind: added green, removed red, changed yellow."""
    if not rows:
        st.caption("No field differs.")
        return
    frame = pd.DataFrame(rows)
    styled = frame.style.apply(lambda r: [f"background-color: {CHANGE_COLOURS[r['change']]}"] * len(r), axis=1)
    st.table(styled, hide_index=True, alt=alt)


MAX_MOMENTS = 1000  # a 10k-event stream offers every 10th moment (and the cursor's own), to keep each redraw light


def moments(tl: Timeline, axis: str, cursor: int) -> list:
    """The distinct times of the stream's events on ``axis`` (occurred_at or recorded_at), ascending,
    sampled for a long stream; the cursor's own moment is always among them."""
    times = sorted({t.to_pydatetime() for t in tl.events[axis]})
    if len(times) > MAX_MOMENTS:
        times = sorted({*times[:: len(times) // MAX_MOMENTS + 1], times[-1], moment_of(tl, max(cursor, 1), axis)})
    return times


def moment_of(tl: Timeline, version: int, axis: str):
    return tl.events[axis].iloc[version - 1].to_pydatetime()


def version_at(tl: Timeline, moment, axis: str) -> int:
    """The last version whose ``axis`` time is at or before ``moment`` (as the engine's ``state_at`` does)."""
    hits = tl.events.loc[tl.events[axis] <= pd.Timestamp(moment), "version"]
    return int(hits.max()) if len(hits) else 0


MAX_SKIP_CHOICES = 300


def what_if_panel(engine, tl: Timeline, cursor: int) -> None:
    """Choose events to skip; show the resulting state, the rules later events would break, and the diff."""
    if not st.toggle("What if… some of these events had never happened?", key="tt_whatif_on"):
        return
    with st.container(border=True):
        first = max(1, cursor - MAX_SKIP_CHOICES + 1)
        skip = st.multiselect("Events to skip", list(range(first, cursor + 1)), key="tt_skip",
                              format_func=tl.version_label,
                              help=f"Up to the cursor (the last {MAX_SKIP_CHOICES} events of a long stream).")
        if not skip:
            st.caption("Pick one or more events: the stream is replayed without them, and every later event is "
                       "checked again against the aggregate's rules.")
            return
        result = what_if(engine, tl.stream_id, skip, cursor)
        for warning in result.warnings:
            st.info(warning)
        for b in result.breaks:
            st.warning(f"**v{b.version} {b.event_type}** would be refused (rule: *{b.rule}*): {b.message} "
                       "It is left out of the what-if history too.")
        if result.rules_checked and not result.breaks:
            st.success("Every later event still keeps the aggregate's rules.")
        left, right = st.columns(2)
        with left:
            st.markdown(f"**State without v{', v'.join(map(str, result.skipped))}**")
            state_fields(result.alternative, result.changes, alt="What-if state, field by field")
        with right:
            st.markdown("**Differences from the real state**")
            rows = [{"field": c.path, "change": c.kind, "real": json.dumps(c.before, default=str),
                     "what-if": json.dumps(c.after, default=str)} for c in result.changes]
            diff_table(rows, alt="Differences between the real and the what-if state")


def state_origin(state) -> str:
    """How the state was reached, in a few words (snapshot or full fold; aggregate class or generic fold)."""
    start = (f"snapshot at v{state.snapshot_version} + {state.version - state.snapshot_version} events"
             if state.snapshot_version else "folded from the first event")
    return start + (", generic fold: the merge of the events' data" if state.fold == "generic" else "")


RUNS = {"previous": ("Run back until true", "skip_previous"),
        "next": ("Run forward until true", "skip_next")}  # no "Next": the step buttons are named so
CONDITION_HELP = ("A condition on the state shown below, e.g. `total < 0`, `status == \"shipped\" and paid_amount < "
                  "total`, `len(items) > 2`, `customer.address.city == \"Köln\"`. Compare with == != < <= > >=; "
                  "combine with and, or, not and parentheses; values are numbers, \"text\", true, false and null.")


def _ask_run(direction: str) -> None:
    st.session_state["tt_run"] = direction


def breakpoint_bar() -> None:
    """The breakpoint: a condition and two buttons that run the cursor to where it becomes true."""
    S = st.session_state
    c = st.columns([4, 2, 2], vertical_alignment="bottom")
    c[0].text_input("Run until (a condition on the state)", key="tt_until", help=CONDITION_HELP,
                    placeholder='status == "shipped" and paid_amount < total')
    for col, (direction, (label, icon)) in zip(c[1:], RUNS.items()):
        col.button(label, icon=f":material/{icon}:", key=f"tt_run_{direction}", on_click=_ask_run, args=(direction,),
                   disabled=not (S.get("tt_until") or "").strip(), width="stretch",
                   help=f"Move the cursor to the {'last' if direction == 'previous' else 'next'} version where the "
                        "condition becomes true (holds there, and did not at the version before)")
    if S.get("tt_stop"):  # here, under the condition, so that a refusal does not move the buttons on the next run
        outcome, said = S["tt_stop"]
        if outcome == "refused":
            show_error(said)
        else:
            (st.success if outcome == "found" else st.info)(said)


def run_breakpoint(engine, stream_id: str) -> None:
    """Carry out a run asked for by a button or a link: the cursor moves to where the condition becomes true."""
    S = st.session_state
    direction = S.pop("tt_run", None)
    if direction not in RUNS or not (S.get("tt_until") or "").strip():
        return
    S.pop("tt_stop", None)
    try:
        stop = run_until(engine, stream_id, S.tt_until, S.tt_cursor, direction)
    except ValidationError as e:
        S["tt_stop"] = ("refused", e)
        return
    S["tt_stop"] = ("found" if stop.found else "not found", stop.describe())
    if stop.found:
        S.tt_cursor = stop.version
