"""The room: one database and its engine, shared by every session of the Streamlit server."""
from __future__ import annotations

import streamlit as st

from esengine import Engine, default_db_path
from esengine.room import FacilitatorGate, Room, configured_passphrase
from ui.navigation import stay_on_the_router


def _secrets() -> dict:
    return st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}


@st.cache_resource(show_spinner=False, on_release=Room.close)
def _room(path: str) -> Room:
    """One room per database path; the facilitator's passphrase is read once, when the app starts."""
    return Room(path, FacilitatorGate(configured_passphrase(_secrets())))


def room() -> Room:
    """The room of the database named by ``$ESENGINE_DB`` (default ``data/explorer.duckdb``).

    Every page calls this (through :func:`get_engine`) first, so it is also where a page makes sure it
    runs under app.py's router.
    """
    stay_on_the_router()
    return _room(str(default_db_path()))


def get_engine() -> Engine:
    """The room's open engine; opening it the first time writes the demo history into a new file."""
    current = room()
    if current.is_open:
        return current.engine
    with st.spinner("Opening the event store (the first start writes a demo history)..."):
        return current.engine


def replace_database(given: str | None, demo: bool) -> Engine:
    """Reset the room to a fresh demo (``demo``) or an empty store, checking the passphrase ``given``.

    Cached query results belong to the old file, so they go too; other sessions pick the new engine up
    on their next run.
    """
    engine = room().reset(given, demo=demo)
    st.cache_data.clear()
    return engine
