"""Pieces of the Temporal queries page: moment pickers, result tables with links and downloads, the console chart."""
from __future__ import annotations

from datetime import datetime, time, UTC
from collections.abc import Callable

import pandas as pd
import plotly.express as px
import streamlit as st

from esengine.temporal import fields_of
from ui.downloads import download_button
from ui.event_views import link
from ui.url_state import Param

SHOWN_ROWS = 1000
# the tabs of the page, by their name in the URL (``?q=sql``)
TABS = {"as_of": "As of a moment", "between": "Between two moments", "field": "History of a field",
        "scan": "Scan every history", "sql": "SQL console"}


def tab_param() -> Param:
    """The open tab, ``q=as_of`` (the tabs keep their label in the session state under ``temporal_tab``)."""
    labels = {label: slug for slug, label in TABS.items()}

    def read(text: str) -> str:
        if text not in TABS:
            raise ValueError(text)
        return TABS[text]
    return Param("q", "temporal_tab", read, lambda label: labels.get(label, ""))


def question_params(store, types: list[str], first, last) -> dict[str, list[Param]]:
    """The question of each tab as URL parameters (only the open tab's are written to the address bar)."""
    field_type = st.query_params.get("field_type") if st.query_params.get("field_type") in types else types[0]
    return {
        "as_of": [Param.choice("type", "temporal_asof_type", types), Param.moment("at", "temporal_asof_at", first, last),
                  Param.choice("clock", "temporal_asof_clock", ["occurred_at", "recorded_at"]),
                  Param.flag("read_model", "temporal_asof_model")],
        "between": [Param.choice("between_type", "temporal_between_type", ["(all)", *types]),
                    Param.moment("from", "temporal_between_start", first, last),
                    Param.moment("to", "temporal_between_end", first, last),
                    Param.listed("finals", "temporal_between_finals")],
        "field": [Param.choice("field_type", "temporal_field_type", types), Param("stream", "temporal_field_stream"),
                  Param.listed("fields", "temporal_field_names", fields_of(store, field_type)),
                  Param("every_event", "temporal_field_changes", lambda t: t != "1", lambda on: "" if on else "1")],
        "scan": [Param.choice("scan_type", "temporal_scan_type", types), Param("condition", "temporal_scan_condition")],
        "sql": [Param("sql", "temporal_sql_text")],
    }


def moment_input(label: str, key: str, default: datetime, first: datetime, last: datetime, column=st) -> datetime:
    """A date and a time (UTC) side by side; returns the naive-UTC moment they describe."""
    if f"{key}_date" not in st.session_state:
        st.session_state[f"{key}_date"], st.session_state[f"{key}_time"] = default.date(), default.time()
    a, b = column.columns([3, 2])
    day = a.date_input(f"{label}: date (UTC)", key=f"{key}_date", min_value=first.date(), max_value=last.date())
    clock = b.time_input("time (UTC)", key=f"{key}_time", step=60)
    return datetime.combine(day, clock or time())


def iso_utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def with_time_travel_links(frame: pd.DataFrame, at: datetime | None = None) -> pd.DataFrame:
    """Add a ``open`` column linking each stream to the Time travel page (at ``at`` when given)."""
    shown = frame.copy()
    shown.insert(0, "open", [link("time_travel", stream=s, at=iso_utc(at) if at else None)
                             for s in shown["stream_id"]])
    return shown


def result_table(frame: pd.DataFrame, key: str, file_name: str, linked_at: datetime | None = None,
                 link_streams: bool = True, expand: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> None:
    """The first rows as a table (streams linked to time travel) and every row as a CSV download.

    ``expand`` turns rows into the columns shown and downloaded (e.g. each state field its own column); it runs
    on the shown rows, and on all of them only when the download is asked for.
    """
    expand = expand or (lambda rows: rows)
    shown = expand(frame.head(SHOWN_ROWS))
    if link_streams and "stream_id" in shown.columns:
        shown = with_time_travel_links(shown, linked_at)
    st.dataframe(shown, hide_index=True, key=key, column_config={
        "open": st.column_config.LinkColumn("open", display_text="time travel", width="small")})
    note = f"Showing the first {SHOWN_ROWS:,} of {len(frame):,} rows; the download has them all." \
        if len(frame) > SHOWN_ROWS else f"{len(frame):,} rows."
    st.caption(note)
    download_button("Download as CSV", lambda: expand(frame).to_csv(index=False).encode(), file_name, "text/csv",
                    key=f"{key}_download", icon=":material/download:")


def console_chart(frame: pd.DataFrame, key: str) -> None:
    """A chart of a console result when it has a label or time column and a numeric one; else a hint."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    others = [c for c in frame.columns if c not in numeric]
    if frame.empty or not numeric or (len(frame.columns) < 2):
        st.caption("A chart needs a column of labels or times and a numeric column, e.g. "
                   "`SELECT event_type, count(*) FROM events GROUP BY 1`.")
        return
    x = others[0] if others else frame.columns[0]
    y = next(c for c in numeric if c != x)
    timed = pd.api.types.is_datetime64_any_dtype(frame[x])
    fig = (px.line if timed else px.bar)(frame.head(SHOWN_ROWS), x=x, y=y)
    fig.update_layout(height=320, margin={"l": 0, "r": 0, "t": 10, "b": 0})
    st.plotly_chart(fig, key=key)


def last_event_chart(frame: pd.DataFrame, key: str) -> None:
    """How many streams stood at each last event type at the moment (the status, in most domains)."""
    counts = frame["last_event_type"].value_counts().rename_axis("last event").reset_index(name="streams")
    fig = px.bar(counts, x="streams", y="last event", orientation="h")
    fig.update_layout(height=80 + 28 * len(counts), margin={"l": 0, "r": 0, "t": 10, "b": 0},
                      yaxis={"categoryorder": "total ascending", "title": ""})
    st.plotly_chart(fig, key=key)
