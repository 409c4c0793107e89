"""The store contract: what the engine's write path, repositories and projections may ask of a store.

Two stores keep it: the embedded DuckDB file (:class:`~esengine.store.writer.GroupCommitWriter`, one process
at a time) and PostgreSQL (:class:`~esengine.store.postgres.PostgresWriter`, many instances at once). Nothing
outside ``esengine/store`` writes the ``events`` table; ``tests/contract`` runs one suite against both.

What every store promises:

* **append** with an expected version (``ANY_VERSION`` skips the check): a stream that moved on is refused
  with ``ConcurrencyError`` and nothing is written; event ids are unique, so appending an id already stored
  is a no-op (a retried command does not duplicate history); several streams' appends and extra rows
  (``rows``: table -> list of dicts, e.g. snapshots, the command log) commit in ONE transaction or not at all,
  and so do the inline projections' rows (:class:`~esengine.store.writer.TransactionHook`).
* **positions** are global, gap-free and in commit order, so a reader that has read up to ``last_position``
  and next reads ``position > last`` misses nothing; ``version`` runs 1, 2, ... within a stream.
* **reads** by stream (``get_events``, ``current_version``, ``version_at``), by position (``read_all``,
  ``get_event``) and by filter (:class:`~esengine.store.filters.EventFilter`) are served by the read side:
  a DuckDB connection (``cursor()``) holding the same tables in both deployments (the file itself, or the
  instance's replica of a PostgreSQL store), so every feature's DuckDB SQL runs unchanged. An instance
  reads its own writes; another instance's commits reach its read side within about a second.
* **snapshots, checkpoints, read models** live on the read side and are written through ``run(work)``
  (one read-side transaction under the write lock) or as ``rows`` of an append. The **command log** is
  written as ``rows`` (``write_rows`` for a refused command) and, on PostgreSQL, shared by every instance.
* **migrations**: opening a store creates or upgrades its schema; a newer schema, a damaged file, an
  unreachable server or another application's database is refused with ``StoreUnavailable``.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from collections.abc import Callable

import duckdb
import pyarrow as pa

from esengine.core.events import NewEvent, StoredEvent
from esengine.store.filters import EventFilter
from esengine.store.writer import AppendResult, StreamAppend, TransactionHook

Rows = dict[str, list[dict[str, Any]]]


@runtime_checkable
class StoreWriter(Protocol):
    """The one writer of a store in this process: every append, snapshot, checkpoint and log row goes here."""

    hooks: list[TransactionHook]

    def append(self, stream_id: str, stream_type: str, events: list[NewEvent], expected_version: int,
               rows: Rows | None = None) -> AppendResult: ...

    def commit(self, appends: list[StreamAppend], rows: Rows | None = None) -> list[AppendResult]: ...

    def write_rows(self, rows: Rows) -> None: ...

    def run(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any: ...

    def head(self, stream_id: str) -> tuple[int, str | None]: ...

    def current_version(self, stream_id: str) -> int: ...

    @property
    def last_position(self) -> int: ...

    def bulk_insert(self, events: pa.Table) -> int: ...

    def bulk_load(self, work: Callable[[duckdb.DuckDBPyConnection, int], int]) -> int: ...

    def batch(self, flush_every: int = 2000) -> AbstractContextManager[Any]: ...

    def preparing(self) -> AbstractContextManager[None]: ...


@runtime_checkable
class EventLog(Protocol):
    """Reads (on the read side) and appends (through the writer) of one store."""

    writer: StoreWriter

    def cursor(self) -> duckdb.DuckDBPyConnection: ...

    def append(self, stream_id: str, events: list[NewEvent], expected_version: int, stream_type: str = "",
               rows: Rows | None = None) -> AppendResult: ...

    def get_events(self, stream_id: str, after_version: int = 0, to_version: int | None = None
                   ) -> list[StoredEvent]: ...

    def current_version(self, stream_id: str) -> int: ...

    def version_at(self, stream_id: str, moment: datetime, by: str = "occurred_at") -> int: ...

    def get_event(self, position: int | None = None, event_id: str | None = None) -> StoredEvent: ...

    def read_all(self, after_position: int = 0, limit: int | None = 1000, where: EventFilter | None = None,
                 descending: bool = False) -> list[StoredEvent]: ...

    def count(self, where: EventFilter | None = None) -> int: ...

    def last_position(self) -> int: ...
