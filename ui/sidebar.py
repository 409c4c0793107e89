"""The sidebar every page shares: which database is open and how to choose another."""
from __future__ import annotations

import streamlit as st

from esengine.engine import DEFAULT_DB_ENV


def database_panel(engine) -> None:
    with st.sidebar:
        if engine.url:  # a PostgreSQL store shared with other instances
            st.markdown(f"**Database** `{engine.location}`")
            st.caption("PostgreSQL, shared with other instances; this one reads from its own DuckDB replica.")
            return
        st.markdown(f"**Database** `{engine.path.name}`")
        st.caption(f"{engine.path.parent}/  \nTo open another file, start the app with "
                   f"`{DEFAULT_DB_ENV}=/path/to/file.duckdb`; a new file gets a demo history.")


def catching_up_panel(engine) -> None:
    """While asynchronous read models catch up (a large store just opened), say so with a progress bar;
    every page that does not need them works meanwhile, and those that do read the events instead."""
    if not _lagging(engine):
        return

    @st.fragment(run_every=2)
    def progress() -> None:
        behind = _lagging(engine)
        if not behind:
            st.caption("Read models caught up.")
            return
        for name, position, head in behind:
            st.progress(position / head if head else 1.0,
                        text=f"Catching up **{name.replace('_', ' ')}**: {position:,} of {head:,} events")
        st.caption("Pages work meanwhile; questions that need these read models read the events instead.")
    with st.sidebar:
        progress()


def _lagging(engine) -> list[tuple[str, int, int]]:
    return [row for row in engine.projections.catching_up() if row[2] - row[1] > LAG_SHOWN]


LAG_SHOWN = 1_000
