"""The one engine per database, shared by every session of the Streamlit server."""
from __future__ import annotations

import streamlit as st

from esengine import Engine, default_db_path
from esengine.demo import create_demo_database
from ui.navigation import stay_on_the_router


@st.cache_resource(show_spinner="Opening the event store (the first start writes a demo history)...")
def _engine(path: str) -> Engine:
    create_demo_database(path)
    return Engine(path)


def get_engine() -> Engine:
    """The engine of the database named by ``$ESENGINE_DB`` (default ``data/explorer.duckdb``).

    Every page calls this first, so it is also where a page makes sure it runs under app.py's router.
    """
    stay_on_the_router()
    return _engine(str(default_db_path()))
