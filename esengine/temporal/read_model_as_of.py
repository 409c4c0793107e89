"""A projection's read model as it was at a moment: built from its events up to then, set-based when it can.

The live read model is never touched: a set-based build writes into uniquely named tables inside a transaction
that is rolled back; a replay by the handlers goes into a private in-memory database.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd

from esengine.core.events import StoredEvent, as_utc_naive
from esengine.projections.stream_states import NAME as STATES_PROJECTION
from esengine.store.event_store import EVENT_COLUMNS, EventStore
from esengine.store.filters import EventFilter
from esengine.temporal.clocks import time_column

log = logging.getLogger(__name__)
REPLAY_BATCH = 50_000


def read_model_as_of(engine, projection: str, at: datetime, by: str = "occurred_at",
                     set_based: bool = True) -> dict[str, pd.DataFrame]:
    """A projection's read model as it was at ``at``: built from its events up to then.

    Returns one DataFrame per read-model table (e.g. ``orders``, ``customers``, ``products``), rows ordered by
    key. The live read model is not touched. When the projection has a set-based build that covers the history,
    it builds the read model in SQL, into tables of a transaction that is rolled back (nothing is ever
    committed); otherwise (or with ``set_based=False``) its handlers replay the events in a private
    in-memory database. Tests hold both ways equal.
    """
    column = time_column(by)
    p = engine.projections.projection(projection)
    at = as_utc_naive(at)
    if set_based and p.has_set_based_rebuild:
        frames = _read_model_built_in_sql(engine.store, p, at, column)
        if frames is not None:
            return frames
    return _read_model_replayed(engine.store, p, at, column)


def _read_model_built_in_sql(store: EventStore, p, at: datetime, column: str) -> dict[str, pd.DataFrame] | None:
    cur = store.cursor()
    scratch = f"asof_{uuid.uuid4().hex[:12]}"

    def physical(table: str) -> str:
        return p.table_name(table, scratch=scratch)
    cur.execute("BEGIN TRANSACTION")
    try:
        p.create_tables(cur, scratch=scratch)
        upto = cur.execute("SELECT coalesce(max(position), 0) FROM events").fetchall()[0][0]
        if not p.build_set_based(cur, physical, upto, until=at, clock=column):
            return None  # a history it does not cover: the handlers replay it
        return _read_tables(cur, p, physical)
    except duckdb.Error as e:
        log.warning("read model %s as of %s built in SQL failed, replaying it instead: %s", p.name, at, e)
        return None
    finally:
        cur.execute("ROLLBACK")  # the tables were only ever this transaction's


def _read_model_replayed(store: EventStore, p, at: datetime, column: str) -> dict[str, pd.DataFrame]:
    scratch = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        p.create_tables(scratch)
        flt = EventFilter(event_types=p.event_types or ())  # None: every event
        clause, params = flt.where()
        cur = store.cursor()
        after = 0
        while True:
            rel = cur.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} AND {column} <= ? AND position > ? "
                              "ORDER BY position LIMIT ?", params + [at, after, REPLAY_BATCH])
            names = [d[0] for d in rel.description]
            events = [StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall()]
            if not events:
                break
            p.apply_batch(scratch, events)
            after = events[-1].position
        return _read_tables(scratch, p, p.table_name)
    finally:
        scratch.close()


def _read_tables(con, p, physical: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    """Every table of a read model, rows ordered by key (tables named by ``physical(table)``)."""
    return {t.name: con.execute(f'SELECT * FROM "{physical(t.name)}" ORDER BY "{t.key}"').df() for t in p.tables}


def read_model_of(engine, stream_type: str) -> tuple[str, str] | None:
    """The projection and table that keep one row per stream of ``stream_type``, if one does.

    Found by the naming convention of read models: the table is the stream type in the plural
    (``order`` -> the ``orders`` table of the ``orders`` projection).
    """
    for name in engine.projections.registered:
        if name == STATES_PROJECTION:  # one row per event, not per stream: streams_as_of reads it
            continue
        for table in engine.projections.projection(name).tables:
            if table.name in (stream_type, f"{stream_type}s"):
                return name, table.name
    return None
