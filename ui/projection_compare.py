"""The Projections page's comparison view: choose two outputs, see rows only on one side and changed cells."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import cast

import pandas as pd
import streamlit as st

from esengine.core.events import utcnow
from esengine.projections.compare import Comparison
from esengine.projections.runner import Side, SideKind

KINDS = {"table": "Its tables (as kept)", "replay": "Replayed from all events now",
         "as_of": "Replayed up to a moment"}


def _side(engine, name: str, which: str, default_version: int, default_kind: str) -> Side:
    versions = sorted(engine.projections.registered[name].versions)
    st.markdown(f"**{which.capitalize()}**")
    version = st.selectbox("Version", versions, index=versions.index(default_version),
                           key=f"proj_cmp_{which}_version")
    kind = st.radio("Output", list(KINDS), index=list(KINDS).index(default_kind), format_func=KINDS.get,
                    key=f"proj_cmp_{which}_kind")
    at = None
    if kind == "as_of":
        default = utcnow() - timedelta(days=30)
        day = st.date_input("Day (UTC)", default.date(), key=f"proj_cmp_{which}_day")
        moment = st.time_input("Time (UTC)", time(0, 0), key=f"proj_cmp_{which}_time")
        at = datetime.combine(day, moment)
        st.caption("Events that happened (occurred_at) up to this moment are replayed into scratch tables.")
    return Side(version, cast(SideKind, kind), at)  # the radio offers only the keys of KINDS


def comparison_panel(engine, name: str) -> None:
    """Widgets to pick two sides and a table, and the comparison's result."""
    runner = engine.projections
    live = runner.live_version(name)
    others = [v for v in sorted(runner.registered[name].versions) if v != live]
    st.write("Compare any two outputs of this projection row by row: the live tables against a rebuilt version, "
             "version 1 against version 2, the tables against a fresh replay of the events (a consistency check), "
             "or now against a replay up to an earlier moment.")
    left_col, right_col = st.columns(2)
    with left_col:
        left = _side(engine, name, "left", live, "table")
    with right_col:
        right = _side(engine, name, "right", others[0] if others else live, "table" if others else "replay")
    tables = [t.name for t in runner.projection(name, left.version).tables]
    table = st.selectbox("Table", tables, index=len(tables) - 1, key="proj_cmp_table")
    if st.button("Compare", key="proj_cmp_run", type="primary"):
        with st.spinner("Building the sides and comparing..."):
            st.session_state["proj_cmp_result"] = (name, table, runner.compare(name, table, left, right))
    stored = st.session_state.get("proj_cmp_result")
    if stored and stored[0] == name:
        show_comparison(stored[1], stored[2])


def _changed_wide(result: Comparison) -> pd.DataFrame:
    """One row per changed key, one column per changed column, cells 'left → right' (empty where equal)."""
    cells = result.changed.assign(change=result.changed["left"].fillna("∅") + " → " + result.changed["right"].fillna("∅"))
    return cells.pivot(index="key", columns="column", values="change").fillna("")


def show_comparison(table: str, result: Comparison) -> None:
    st.markdown(f"**{table}**: *{result.left}* (left) against *{result.right}* (right)")
    cols = st.columns(5)
    cols[0].metric("Rows left", f"{result.left_rows:,}")
    cols[1].metric("Rows right", f"{result.right_rows:,}")
    cols[2].metric("Only left", f"{result.only_left_count:,}")
    cols[3].metric("Only right", f"{result.only_right_count:,}")
    cols[4].metric("Changed rows", f"{result.changed_rows_count:,}")
    if result.identical:
        st.success(f"Identical: the same {result.left_rows:,} keys with the same values in the "
                   f"{len(result.compared_columns) + 1} columns both sides have.")
    if result.columns_only_left or result.columns_only_right:
        st.info("Not compared, because only one side has them: "
                + "; ".join(f"{side} only: {', '.join(cols)}" for side, cols in
                            (("left", result.columns_only_left), ("right", result.columns_only_right)) if cols))
    if result.changed_per_column:
        st.markdown("Changed cells per column: " + ", ".join(f"**{c}** {n:,}" for c, n in
                                                              result.changed_per_column.items()))
    changed, only_left, only_right = st.tabs([f"Changed ({result.changed_rows_count:,})",
                                              f"Only left ({result.only_left_count:,})",
                                              f"Only right ({result.only_right_count:,})"])
    with changed:
        if not result.changed.empty:
            wide = _changed_wide(result)
            st.dataframe(wide.style.map(lambda v: "background-color: #fde2b0" if v else ""), key="proj_cmp_changed")
            st.caption(f"Highlighted: changed cells, left → right. Showing up to {len(result.changed):,} cells.")
    with only_left:
        st.dataframe(result.only_left, hide_index=True, key="proj_cmp_only_left")
    with only_right:
        st.dataframe(result.only_right, hide_index=True, key="proj_cmp_only_right")
