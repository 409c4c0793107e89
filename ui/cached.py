"""What every session would otherwise recompute on every rerun, computed once per state of the store.

A page calls these instead of the engine's functions of the same name (see docs/room-profile.md). Each
result is cached per database and per *generation*: the store's last position, which the single writer
keeps in memory (no query), so the cache is right after every write and is shared by every session of
the server until the next one. Values that do not depend on the store at all (the command forms) are
built once per server.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd
import streamlit as st

from esengine.browsing.streams import StreamPage
from esengine.browsing.streams import event_types as _event_types
from esengine.browsing.streams import search_streams as _search_streams
from esengine.browsing.streams import stream_types as _stream_types
from esengine.forms import CommandForm, Option, describe_commands
from esengine.forms import reference_options as _reference_options
from esengine.store.statistics import StoreOverview
from esengine.store.statistics import events_per_type as _events_per_type
from esengine.store.statistics import overview as _overview

_ENTRIES = 64  # a few generations of each value: sessions on an older rerun still hit
T = TypeVar("T")


def generation(engine) -> int:
    """The store's last position, from the writer's memory: it moves with every append, import or reset."""
    return engine.store.writer.last_position


def _key(engine) -> tuple[str, int]:
    return str(engine.path), generation(engine)


@st.cache_resource(show_spinner=False)
def command_forms(_commands: tuple, name: str) -> dict[str, CommandForm]:
    """The forms of a domain's commands, by command type; built once per server (``name`` names the set)."""
    return {f.command_type: f for f in describe_commands(list(_commands))}


def stream_types(engine) -> list[str]:
    return list(_cached_stream_types(engine, *_key(engine)))


def event_types(engine) -> list[str]:
    return list(_cached_event_types(engine, *_key(engine)))


def overview(engine) -> StoreOverview:
    return _cached_overview(engine, *_key(engine))


def events_per_type(engine) -> pd.DataFrame:
    return _cached_events_per_type(engine, *_key(engine))


def reference_options(engine, kind: str) -> list[Option]:
    """Customers, products or orders to pick from, as ``esengine.forms.reference_options``."""
    return list(_cached_options(engine, *_key(engine), kind))


def search_streams(engine, search: str | None = None, stream_types: tuple[str, ...] = (), limit: int = 50) -> StreamPage:
    """``esengine.browsing.streams.search_streams`` (a page's list of streams), per generation."""
    return _cached_search(engine, *_key(engine), search or None, tuple(stream_types), limit)


def shared(engine, build: Callable[..., T], *args: Hashable) -> T:
    """``build(engine, *args)``, computed once per store generation and per ``args`` and shared by every session.

    For what a page only reads, and that costs to build: plotly figures (20-200 ms each with plotly express
    here) and the frames behind them. ``build`` is named by its module and name, so it must be a module-level
    function; the caller must not change what it gets back.
    """
    return _cached_shared(engine, *_key(engine), f"{build.__module__}.{build.__qualname__}", args, build)


@st.cache_resource(max_entries=8 * _ENTRIES, show_spinner=False)
def _cached_shared(_engine, db: str, gen: int, name: str, args: tuple, _build: Callable[..., T]) -> T:
    return _build(_engine, *args)


@st.cache_resource(max_entries=_ENTRIES, show_spinner=False)
def _cached_stream_types(_engine, db: str, gen: int) -> tuple[str, ...]:
    return tuple(_stream_types(_engine.store))


@st.cache_resource(max_entries=_ENTRIES, show_spinner=False)
def _cached_event_types(_engine, db: str, gen: int) -> tuple[str, ...]:
    return tuple(_event_types(_engine.store))


@st.cache_resource(max_entries=_ENTRIES, show_spinner=False)
def _cached_overview(_engine, db: str, gen: int) -> StoreOverview:
    return _overview(_engine.store)  # a frozen dataclass: safe to share between sessions


@st.cache_data(max_entries=_ENTRIES, show_spinner=False)
def _cached_events_per_type(_engine, db: str, gen: int) -> pd.DataFrame:
    return _events_per_type(_engine.store)  # cache_data: each session gets its own copy of the frame


@st.cache_resource(max_entries=4 * _ENTRIES, show_spinner=False)
def _cached_options(_engine, db: str, gen: int, kind: str) -> tuple[Option, ...]:
    return tuple(_reference_options(_engine, kind))  # frozen Options in a tuple: safe to share


@st.cache_data(max_entries=4 * _ENTRIES, show_spinner=False)
def _cached_search(_engine, db: str, gen: int, search: str | None, stream_types: tuple[str, ...], limit: int) -> StreamPage:
    return _search_streams(_engine.store, search, stream_types, limit=limit)
