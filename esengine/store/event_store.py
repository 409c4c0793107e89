"""The append-only event store: appends go through the single writer, reads use a cursor per thread."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from esengine.core.events import NewEvent, StoredEvent, as_utc_naive
from esengine.errors import EsEngineError, NotFound
from esengine.store import chain
from esengine.store.filters import EventFilter
from esengine.store.writer import ANY_VERSION, AppendResult, GroupCommitWriter

EVENT_COLUMNS = ("position, CAST(event_id AS VARCHAR) AS event_id, stream_id, stream_type, version, event_type, "
                 "schema_version, CAST(data AS VARCHAR) AS data, CAST(metadata AS VARCHAR) AS metadata, "
                 "occurred_at, recorded_at")


class ReadCursor:
    """A DuckDB cursor that drains the writer (see :meth:`GroupCommitWriter.drain`) before every use, so a
    cursor kept across commits still reads what was acknowledged."""

    __slots__ = ("_cursor", "_drain")

    def __init__(self, cursor: duckdb.DuckDBPyConnection, drain: Callable[[], None]):
        self._cursor, self._drain = cursor, drain

    def __getattr__(self, name: str) -> Any:
        self._drain()
        return getattr(self._cursor, name)


class EventStore:
    """Append events per stream with optimistic concurrency; read them per stream or as one log."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, writer: GroupCommitWriter):
        self._connection = connection
        self.writer = writer
        self._local = threading.local()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor on the store's connection. Every use of it first waits until the store
        holds every commit acknowledged so far (see :meth:`GroupCommitWriter.drain`)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = ReadCursor(self._connection.cursor(), self.writer.drain)
        return cur  # type: ignore[return-value]

    # -- writing ------------------------------------------------------------------------------------
    def append(self, stream_id: str, events: list[NewEvent], expected_version: int,
               stream_type: str = "", rows: dict[str, list[dict[str, Any]]] | None = None) -> AppendResult:
        """Append ``events`` to ``stream_id`` in one transaction if it is at ``expected_version``.

        A new stream expects 0; ``ANY_VERSION`` (-1) skips the check. Events whose id is already
        stored are skipped, so a retried command does not duplicate history.
        Raises ``ConcurrencyError`` naming both versions when the stream moved on.
        """
        return self.writer.append(stream_id, stream_type or stream_id.split("-", 1)[0], events,
                                  expected_version, rows)

    # -- reading one stream --------------------------------------------------------------------------
    def get_events(self, stream_id: str, after_version: int = 0, to_version: int | None = None) -> list[StoredEvent]:
        """The stream's events with ``after_version < version <= to_version``, in version order."""
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ? AND version > ?"
        params: list[Any] = [stream_id, after_version]
        if to_version is not None:
            sql += " AND version <= ?"
            params.append(to_version)
        return self._events(sql + " ORDER BY version", params)

    def current_version(self, stream_id: str) -> int:
        """The stream's version: the number of its events (0 when it has none)."""
        return self.cursor().execute("SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?",
                                     [stream_id]).fetchall()[0][0]

    def version_at(self, stream_id: str, moment: datetime, by: str = "occurred_at") -> int:
        """The stream's version at ``moment``: its last event with ``by`` at or before it (0 if none)."""
        if by not in ("occurred_at", "recorded_at"):
            raise EsEngineError("Time travel goes by 'occurred_at' or 'recorded_at'.")
        return self.cursor().execute(
            f"SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ? AND {by} <= ?",
            [stream_id, as_utc_naive(moment)]).fetchall()[0][0]

    def get_event(self, position: int | None = None, event_id: str | None = None) -> StoredEvent:
        """One event by global position or by event id; ``NotFound`` otherwise."""
        if position is not None:
            found = self._events(f"SELECT {EVENT_COLUMNS} FROM events WHERE position = ?", [position])
        else:
            found = self._events(f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id = TRY_CAST(? AS UUID)",
                                 [event_id])
        if not found:
            what = f"position {position}" if position is not None else f"id '{event_id}'"
            raise NotFound(f"There is no event with {what}.")
        return found[0]

    # -- reading the log -----------------------------------------------------------------------------
    def read_all(self, after_position: int = 0, limit: int | None = 1000,
                 where: EventFilter | None = None, descending: bool = False) -> list[StoredEvent]:
        """Events in global position order after ``after_position``, filtered, at most ``limit``."""
        flt = where or EventFilter()
        if after_position:
            flt = flt.with_(after_position=after_position)
        clause, params = flt.where()
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} ORDER BY position {'DESC' if descending else ''}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return self._events(sql, params)

    def read_frame(self, where: EventFilter | None = None, limit: int | None = 100, offset: int = 0,
                   descending: bool = True) -> pd.DataFrame:
        """A page of events as a DataFrame (data and metadata as JSON text), newest first by default."""
        clause, params = (where or EventFilter()).where()
        sql = (f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} "
               f"ORDER BY position {'DESC' if descending else 'ASC'}")
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return self.cursor().execute(sql, params).df()

    def read_arrow(self, where: EventFilter | None = None) -> pa.Table:
        """All matching events as Arrow, in position order (for exports and bulk work)."""
        clause, params = (where or EventFilter()).where()
        return self.cursor().sql(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} ORDER BY position", params=params).to_arrow_table()

    def count(self, where: EventFilter | None = None) -> int:
        clause, params = (where or EventFilter()).where()
        return self.cursor().execute(f"SELECT count(*) FROM events WHERE {clause}", params).fetchall()[0][0]

    def last_position(self) -> int:
        return self.cursor().execute("SELECT coalesce(max(position), 0) FROM events").fetchall()[0][0]

    def stream_ids(self, stream_type: str | None = None, limit: int = 50) -> list[str]:
        """Most recently active stream ids, optionally of one type."""
        flt = EventFilter(stream_types=(stream_type,) if stream_type else ())
        clause, params = flt.where()
        return [r[0] for r in self.cursor().execute(
            f"SELECT stream_id FROM events WHERE {clause} GROUP BY stream_id ORDER BY max(position) DESC LIMIT ?",
            params + [limit]).fetchall()]

    def chain_break(self, up_to: int | None = None) -> chain.ChainBreak | None:
        """The first event (up to position ``up_to``) whose stored hash does not match; None: the chain holds."""
        return chain.first_break(self.cursor(), up_to)[0]

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cur = self.cursor().execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def _events(self, sql: str, params: list[Any]) -> list[StoredEvent]:
        return [StoredEvent.from_row(r) for r in self._rows(sql, params)]


__all__ = ["EventStore", "ANY_VERSION", "AppendResult"]
