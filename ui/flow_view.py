"""Draw what a command just did (``esengine.application.flow.Flow``) as a graphviz diagram, and the read
model's rows before and after it side by side."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pyarrow as pa
import streamlit as st

from esengine.application.flow import REFUSED, UNCHANGED, WAITING, Flow, RowChange

_FILL = {"ok": "#e8f5e9", REFUSED: "#ffebee", WAITING: "#fff8e1", UNCHANGED: "#f5f5f5"}
_BORDER = {"ok": "#2e7d32", REFUSED: "#c62828", WAITING: "#f9a825", UNCHANGED: "#9e9e9e"}
_SHAPE = {"command": "box", "validation": "box", "aggregate": "box3d", "event": "note", "projection": "component",
          "row": "tab", "stop": "box", "skipped": "box"}
_TRANSACTION = "one transaction: the events, the inline read model and the checkpoint commit together"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _node(node) -> str:
    label = "\\n".join(_escape(t) for t in (node.title, *node.lines))
    style = {WAITING: "filled,dashed", UNCHANGED: "filled,dotted", REFUSED: "filled,bold"}.get(node.status, "filled")
    if node.kind != "stop" and node.status != UNCHANGED:
        style += ",rounded" if node.kind in ("command", "validation") else ""
    return (f'"{node.id}" [label="{label}", shape={_SHAPE.get(node.kind, "box")}, style="{style}", '
            f'fillcolor="{_FILL.get(node.status, "#ffffff")}", color="{_BORDER.get(node.status, "#555555")}"];')


def to_dot(flow: Flow) -> str:
    """The flow as DOT text (left to right; the transaction's boxes inside one frame)."""
    lines = ['digraph flow {', 'rankdir=TB; nodesep=0.3; ranksep=0.3;',
             'node [fontname="Helvetica", fontsize=11, margin="0.15,0.06"];',
             'edge [fontname="Helvetica", fontsize=9, color="#555555"];']
    grouped = [n for n in flow.nodes if n.group]
    if grouped:
        lines += ['subgraph cluster_transaction {', f'label="{_TRANSACTION}"; fontsize=9; fontname="Helvetica";',
                  'style="rounded,dashed"; color="#1565c0";']
        lines += [_node(n) for n in grouped]
        lines.append('}')
    lines += [_node(n) for n in flow.nodes if not n.group]
    for e in flow.edges:
        style = {WAITING: ', style=dashed', UNCHANGED: ', style=dotted, color="#9e9e9e"'}.get(e.status, "")
        lines.append(f'"{e.source}" -> "{e.target}" [label="{_escape(e.label)}"{style}];')
    lines.append('}')
    return "\n".join(lines)


def show_flow(flow: Flow) -> None:
    """The diagram, with a sentence that reads it for a newcomer."""
    st.markdown("**What just happened**")
    st.graphviz_chart(to_dot(flow), width="content",
                      alt=" → ".join(n.title for n in flow.nodes if n.kind != "row") or "the command's flow")
    if flow.accepted:
        st.caption("Read it from the top: the command was checked, the aggregate was loaded from its events and "
                   "checked its rules, the new events were stored, and the inline projection changed its read model "
                   "in the same transaction. Asynchronous projections (dashed, yellow) catch up after the commit.")
    else:
        st.caption(f"Stopped at **{flow.stopped_at}** (red): {flow.reason} The grey steps never ran, so nothing "
                   "was written.")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _side_by_side(change: RowChange) -> pa.Table:
    """The row's columns down, before and after across: a pyarrow table (what st.dataframe sends as it is)."""
    columns = list(change.after or change.before or {})
    changed = set(change.changed_columns)
    return pa.table({"column": columns,
                         "before": [_cell((change.before or {}).get(c)) if change.before else "(no row)" for c in columns],
                         "after": [_cell((change.after or {}).get(c)) for c in columns],
                         "changed": ["yes" if c in changed else "" for c in columns]})


def show_row_changes(changes: list[RowChange], key: str) -> None:
    """Each read-model row the command changed: before and after, the changed columns named and marked.

    Plain tables with a column configuration, not pandas Stylers: styling every cell cost the server more
    than the rest of the outcome together (docs/room-profile.md)."""
    if not changes:
        st.caption("No row of an inline read model changed.")
        return
    st.markdown("**The read model's rows, before and after** (what queries answer; the changed "
                "columns are named and marked *yes*)")
    for i, change in enumerate(changes):
        names = ", ".join(f"`{c}`" for c in change.changed_columns)
        title = "new row" if change.before is None else f"{len(change.changed_columns)} column(s) changed: {names}"
        st.markdown(f"`{change.projection}` read model, table `{change.table}`, row `{change.key}`: {title}")
        st.dataframe(_side_by_side(change), hide_index=True, key=f"{key}_{i}", width="stretch",
                     column_config=_COLUMNS)


_COLUMNS = {"column": st.column_config.TextColumn("column", pinned=True),
            "changed": st.column_config.TextColumn("changed", help="yes: the command changed this column",
                                                   width="small")}
