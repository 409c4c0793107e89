"""The single writer of a database: assigns positions and versions, and commits in groups.

Every append in the process goes through one :class:`GroupCommitWriter`. A caller queues its request
and then takes the write lock; whoever holds the lock commits *every* request queued so far in one
transaction (group commit), so concurrent Streamlit sessions share the cost of a commit. Each request
is still all-or-nothing: its concurrency check is made in Python before the transaction, and if the
group's transaction fails, the requests are retried one by one so that one bad request cannot sink
the others.

Positions are assigned here, under the lock, so they are gap-free and in commit order.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Protocol

import duckdb
import pyarrow as pa

from esengine.core.events import NewEvent, StoredEvent, as_utc_naive, utcnow
from esengine.errors import ConcurrencyError, EsEngineError, ValidationError

SMALL_INSERT = 16
ANY_VERSION = -1
"""Pass as ``expected_version`` to append without a concurrency check (imports, follow-up events)."""

EVENT_SCHEMA = pa.schema([
    ("position", pa.int64()), ("event_id", pa.string()), ("stream_id", pa.string()),
    ("stream_type", pa.string()), ("version", pa.int32()), ("event_type", pa.string()),
    ("schema_version", pa.int32()), ("data", pa.string()), ("metadata", pa.string()),
    ("occurred_at", pa.timestamp("us")), ("recorded_at", pa.timestamp("us")),
])


class TransactionHook(Protocol):
    """Something that writes in the append's transaction (an inline projection)."""

    def apply_in_transaction(self, cursor: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None: ...


@dataclass
class AppendResult:
    """What one append did: the events as stored (empty when every event id was already stored)."""

    stream_id: str
    events: list[StoredEvent]
    version: int

    @property
    def duplicate(self) -> bool:
        return not self.events


@dataclass
class _Batch:
    requests: list["_Request"] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)


@dataclass
class _Request:
    stream_id: str | None
    stream_type: str | None
    events: list[NewEvent]
    expected_version: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    result: AppendResult | None = None
    error: BaseException | None = None
    done: bool = False


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


class GroupCommitWriter:
    """The one writer of a database (see the module docstring)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._cursor = connection.cursor()
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Request] = []
        self._versions: dict[str, int] = {}
        self._versions_complete = False  # True when _versions holds every stream (unknown ones are new)
        self._next_position = self._cursor.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM events").fetchall()[0][0]
        self.hooks: list[TransactionHook] = []
        self._batch = threading.local()
        self.commits = 0

    # -- public API ---------------------------------------------------------------------------------
    def append(self, stream_id: str, stream_type: str, events: list[NewEvent], expected_version: int,
               rows: dict[str, list[dict[str, Any]]] | None = None) -> AppendResult:
        """Append ``events`` to a stream if it is at ``expected_version`` (or ``ANY_VERSION``).

        ``rows`` are extra rows (table -> list of dicts) written in the same transaction.
        Raises :class:`ConcurrencyError` when the stream moved on; nothing is written then.
        """
        if not stream_id or not isinstance(stream_id, str):
            raise ValidationError("A stream id is required to append events.", {"stream_id": "required"})
        request = _Request(stream_id, stream_type, list(events), expected_version, rows or {})
        self._submit(request)
        return request.result  # type: ignore[return-value]

    def write_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """Insert rows (table -> list of dicts) through the writer, e.g. the command log."""
        self._submit(_Request(None, None, [], ANY_VERSION, rows))

    def run(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """Run ``work(cursor)`` in its own transaction under the write lock (snapshots, projections)."""
        with self._write_lock:
            self._flush_queue_locked()
            return self._in_transaction(work)

    def current_version(self, stream_id: str) -> int:
        """The stream's version as the writer knows it (0 for a stream with no events)."""
        with self._write_lock:
            return self._load_versions([stream_id])[stream_id]

    @property
    def last_position(self) -> int:
        return self._next_position - 1

    def bulk_insert(self, events: pa.Table) -> int:
        """Insert a prepared Arrow table of events (positions are assigned here); for imports and demos.

        The table needs every column of :data:`EVENT_SCHEMA` but ``position`` and ``recorded_at``;
        versions must already be assigned. All rows are committed in one transaction, or none.
        """
        with self._write_lock:
            self._flush_queue_locked()
            start = self._next_position
            n = events.num_rows
            recorded = pa.array([utcnow()] * n, pa.timestamp("us")) if n else pa.array([], pa.timestamp("us"))
            table = events
            for name in ("position", "recorded_at"):
                if name in table.column_names:
                    table = table.drop_columns([name])
            table = table.append_column("position", pa.array(range(start, start + n), pa.int64()))
            table = table.append_column("recorded_at", recorded)
            table = table.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)

            def insert(cur):
                cur.register("_bulk_events", table)
                try:
                    cur.execute("INSERT INTO events SELECT * FROM _bulk_events")
                finally:
                    cur.unregister("_bulk_events")
            self._in_transaction(insert)
            self._next_position = start + n
            self._versions.clear()
            self._versions_complete = False
            return n

    def bulk_load(self, work: Callable[[duckdb.DuckDBPyConnection, int], int]) -> int:
        """Run ``work(cursor, first_position)`` in ONE transaction under the write lock; for large imports.

        ``work`` may stage data in temporary tables over many statements, then inserts events with
        the gap-free positions ``first_position, first_position + 1, ...`` and returns how many it
        inserted. If it raises, everything is rolled back and the store is unchanged.
        """
        with self._write_lock:
            self._flush_queue_locked()
            start = self._next_position
            try:
                n = self._in_transaction(lambda cur: work(cur, start))
            finally:
                self._versions.clear()
                self._versions_complete = False
            self._next_position = start + n
            return n

    @contextmanager
    def batch(self, flush_every: int = 2000) -> Iterator["GroupCommitWriter"]:
        """A context in which this thread's appends are collected and committed together.

        Inside it, each append is checked for concurrency at once (against the store and the batch)
        but written when the batch holds ``flush_every`` requests or ends. For generators and imports.
        """
        with self._write_lock:
            if not self._versions_complete:  # one scan instead of one lookup per new stream
                self._versions = dict(self._cursor.execute(
                    "SELECT stream_id, max(version) FROM events GROUP BY 1").fetchall())
                self._versions_complete = True
        batch = _Batch()
        self._batch.current, self._batch.flush_every = batch, flush_every
        try:
            yield self
            self._batch.current = None
            self._commit_batch_requests(batch.requests)
        finally:
            self._batch.current = None

    # -- internals ----------------------------------------------------------------------------------
    def _submit(self, request: _Request) -> None:
        batch = getattr(self._batch, "current", None)
        if batch is not None:
            self._add_to_batch(batch, request)
            return
        with self._queue_lock:
            self._queue.append(request)
        with self._write_lock:
            if not request.done:
                self._flush_queue_locked()
        if request.error is not None:
            raise request.error

    def _add_to_batch(self, batch: _Batch, request: _Request) -> None:
        if request.stream_id is not None:
            sid = request.stream_id
            if sid not in batch.versions:
                with self._write_lock:
                    batch.versions[sid] = self._load_versions([sid])[sid]
            actual = batch.versions[sid]
            if request.expected_version not in (ANY_VERSION, actual):
                raise ConcurrencyError(sid, request.expected_version, actual)
            batch.versions[sid] = actual + len(request.events)
            stored = [StoredEvent(0, e.event_id, sid, request.stream_type or "", actual + i + 1, e.event_type,
                                  e.schema_version, e.data, e.metadata, e.occurred_at or utcnow(), utcnow())
                      for i, e in enumerate(request.events)]
            request.result = AppendResult(sid, stored, actual + len(request.events))
        batch.requests.append(request)
        if len(batch.requests) >= self._batch.flush_every:
            self._commit_batch_requests(batch.requests)
            batch.requests = []

    def _commit_batch_requests(self, requests: list[_Request]) -> None:
        if not requests:
            return
        with self._write_lock:
            self._flush_queue_locked()
            self._commit(requests)
        for r in requests:
            if r.error is not None:
                raise r.error

    def _flush_queue_locked(self) -> None:
        with self._queue_lock:
            requests, self._queue = self._queue, []
        if requests:
            self._commit(requests)

    def _load_versions(self, stream_ids: Iterable[str]) -> dict[str, int]:
        missing = [s for s in set(stream_ids) if s not in self._versions]
        if missing and self._versions_complete:
            self._versions.update(dict.fromkeys(missing, 0))
        elif missing:
            found = dict(self._cursor.execute(
                "SELECT stream_id, max(version) FROM events WHERE stream_id IN (SELECT unnest(?)) GROUP BY 1",
                [missing]).fetchall())
            for s in missing:
                self._versions[s] = found.get(s, 0)
        return {s: self._versions[s] for s in stream_ids}

    def _existing_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        rows = self._cursor.execute(
            "SELECT CAST(event_id AS VARCHAR) FROM events WHERE event_id IN (SELECT unnest(?::UUID[]))",
            [ids]).fetchall()
        return {r[0] for r in rows}

    def _commit(self, requests: list[_Request], check_ids: bool = False) -> None:
        """Check, then write all accepted requests in one transaction.

        Event ids are looked up only when something points at a retry (a version mismatch, or the
        unique constraint firing), so the common path costs one statement per group. If the group's
        transaction fails, it is retried with the ids checked, and then request by request.
        """
        try:
            versions = self._load_versions([r.stream_id for r in requests if r.stream_id])
            existing = self._existing_ids([e.event_id for r in requests for e in r.events]) if check_ids else set()
        except duckdb.Error as e:
            for r in requests:
                r.error, r.done = EsEngineError(f"The store could not be read: {e}"), True
            return
        planned = dict(versions)
        position = self._next_position
        now = utcnow()
        accepted: list[tuple[_Request, list[StoredEvent]]] = []
        for r in requests:
            fresh = [e for e in r.events if e.event_id not in existing]
            stored: list[StoredEvent] = []
            if r.stream_id is not None:
                actual = planned[r.stream_id]
                if r.expected_version not in (ANY_VERSION, actual) and len(fresh) == len(r.events) and r.events:
                    if not check_ids:  # perhaps a retried command whose events are already stored
                        known = self._existing_ids([e.event_id for e in r.events])
                        fresh = [e for e in fresh if e.event_id not in known]
                    if len(fresh) == len(r.events):
                        r.error, r.done = ConcurrencyError(r.stream_id, r.expected_version, actual), True
                        continue
                if r.events and not fresh:
                    r.result, r.done = AppendResult(r.stream_id, [], actual), True  # a retry: a no-op
                    continue
                for i, e in enumerate(fresh):
                    stored.append(StoredEvent(
                        position + i, e.event_id, r.stream_id, r.stream_type or "", actual + i + 1,
                        e.event_type, e.schema_version, e.data, e.metadata,
                        as_utc_naive(e.occurred_at) if e.occurred_at else now, now))
                position += len(stored)
                planned[r.stream_id] = actual + len(stored)
                existing.update(e.event_id for e in fresh)
            accepted.append((r, stored))
        if not accepted:
            return
        try:
            self._in_transaction(lambda cur: self._write(cur, accepted))
        except Exception as e:  # noqa: BLE001 - retried or translated below
            self._resync()
            if not check_ids:
                self._commit([r for r, _ in accepted], check_ids=True)
            elif len(accepted) > 1:
                for r, _ in accepted:
                    self._commit([r], check_ids=True)
            else:
                r = accepted[0][0]
                r.error, r.done = self._translate(e, r, versions), True
            return
        self._next_position = position
        self._versions.update(planned)
        self.commits += 1
        for r, stored in accepted:
            r.result = AppendResult(r.stream_id or "", stored, planned.get(r.stream_id, 0) if r.stream_id else 0)
            r.done = True

    def _resync(self) -> None:
        """After a failed commit, forget what may be stale: someone else may have written."""
        self._versions.clear()
        self._versions_complete = False
        self._next_position = self._cursor.execute(
            "SELECT coalesce(max(position), 0) + 1 FROM events").fetchall()[0][0]

    @staticmethod
    def _translate(error: Exception, r: _Request, versions: dict[str, int]) -> BaseException:
        if isinstance(error, EsEngineError):
            return error
        if isinstance(error, (duckdb.ConstraintException, duckdb.TransactionException)) and r.stream_id:
            return ConcurrencyError(r.stream_id, r.expected_version, versions.get(r.stream_id, 0) + 1)
        return EsEngineError(f"The events could not be stored ({type(error).__name__}: {error}). Nothing was written.")

    def _write(self, cur: duckdb.DuckDBPyConnection, accepted: list[tuple[_Request, list[StoredEvent]]]) -> None:
        events = [e for _, stored in accepted for e in stored]
        if 0 < len(events) <= SMALL_INSERT:  # one prepared statement beats an Arrow round trip here
            cur.execute("INSERT INTO events VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(events)),
                        [v for e in events for v in (e.position, e.event_id, e.stream_id, e.stream_type, e.version,
                                                     e.event_type, e.schema_version, _json(e.data),
                                                     _json(e.metadata), e.occurred_at, e.recorded_at)])
        elif events:
            table = pa.table({
                "position": [e.position for e in events], "event_id": [e.event_id for e in events],
                "stream_id": [e.stream_id for e in events], "stream_type": [e.stream_type for e in events],
                "version": [e.version for e in events], "event_type": [e.event_type for e in events],
                "schema_version": [e.schema_version for e in events],
                "data": [_json(e.data) for e in events], "metadata": [_json(e.metadata) for e in events],
                "occurred_at": [e.occurred_at for e in events], "recorded_at": [e.recorded_at for e in events],
            }, schema=EVENT_SCHEMA)
            cur.register("_new_events", table)
            try:
                cur.execute("INSERT INTO events SELECT * FROM _new_events")
            finally:
                cur.unregister("_new_events")
        extra: dict[str, list[dict[str, Any]]] = {}
        for r, _ in accepted:
            for name, rows in r.rows.items():
                extra.setdefault(name, []).extend(rows)
        for name, rows in extra.items():
            insert_rows(cur, name, rows)
        if events:
            for hook in self.hooks:
                hook.apply_in_transaction(cur, events)

    def _in_transaction(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        cur = self._cursor
        cur.execute("BEGIN TRANSACTION")
        try:
            result = work(cur)
            cur.execute("COMMIT")
            return result
        except BaseException:
            cur.execute("ROLLBACK")
            raise


def insert_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert a list of dicts into ``table`` by column name, as one Arrow statement."""
    if not rows:
        return
    data = pa.Table.from_pylist([{k: (_json(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()}
                                 for row in rows])
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    cur.register("_rows", data)
    try:
        cur.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _rows')
    finally:
        cur.unregister("_rows")
