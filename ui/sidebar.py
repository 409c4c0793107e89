"""The sidebar every page shares: which database is open and how to choose another."""
from __future__ import annotations

import streamlit as st

from esengine.engine import DEFAULT_DB_ENV


def database_panel(engine) -> None:
    with st.sidebar:
        st.markdown(f"**Database** `{engine.path.name}`")
        st.caption(f"{engine.path.parent}/  \nTo open another file, start the app with "
                   f"`{DEFAULT_DB_ENV}=/path/to/file.duckdb`; a new file gets a demo history.")
