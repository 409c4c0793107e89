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
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from collections.abc import Callable, Iterable, Iterator

import duckdb
import pyarrow as pa

from esengine.core.events import AppendResult, NewEvent, StoredEvent, StreamAppend, as_utc_naive, utcnow
from esengine.errors import ConcurrencyError, EsEngineError, ValidationError, WrongStreamType
from esengine.store.row_check import is_text, json_text_refusal
from esengine.store import chain

SMALL_INSERT = 16
GROUP_WAIT = 0.004
"""Seconds a commit may wait for other commands in flight to join it (only when there are some)."""
ANY_VERSION = -1
"""Pass as ``expected_version`` to append without a concurrency check (imports, follow-up events)."""

EVENT_SCHEMA = pa.schema([
    ("position", pa.int64()), ("event_id", pa.string()), ("stream_id", pa.string()),
    ("stream_type", pa.string()), ("version", pa.int32()), ("event_type", pa.string()),
    ("schema_version", pa.int32()), ("data", pa.string()), ("metadata", pa.string()),
    ("occurred_at", pa.timestamp("us")), ("recorded_at", pa.timestamp("us")), ("hash", pa.string()),
])
COLUMNS = ", ".join(EVENT_SCHEMA.names)
HEAD_SQL = "max(version), arg_min(stream_type, version)"
"""A stream's version and type (the type its first event was stored with)."""


class TransactionHook(Protocol):
    """Something that writes in the append's transaction (an inline projection)."""

    def apply_in_transaction(self, cursor: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None: ...

    def rolled_back(self) -> None:
        """The transaction that ``apply_in_transaction`` wrote in was rolled back."""

    def failed(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent], error: BaseException) -> None:
        """``events`` are stored without this hook's writes, which failed with ``error``: record that (e.g. stop
        the projection at the first of them). Called in a transaction of its own."""


@dataclass
class _Batch:
    requests: list[_Request] = field(default_factory=list)
    heads: dict[str, tuple[int, str | None]] = field(default_factory=dict)


@dataclass
class _Group:
    """A planned group commit: the accepted requests with their results, and what the store looks like after."""

    accepted: list[tuple[_Request, list[AppendResult]]]
    planned: dict[str, tuple[int, str | None]]
    next_position: int
    events: list[StoredEvent]
    hashes: list[str]


@dataclass
class _Request:
    """One unit of work: appends to any streams plus extra rows, committed all together or not at all."""

    appends: list[StreamAppend]
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    results: list[AppendResult] | None = None
    error: BaseException | None = None
    done: bool = False


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _check_stream(append: StreamAppend) -> None:
    if not append.stream_id or not isinstance(append.stream_id, str):
        raise ValidationError("A stream id is required to append events.", {"stream_id": "required"})
    for what, name in (("stream id", append.stream_id), ("stream type", append.stream_type),
                       *(("event type", e.event_type) for e in append.events)):
        if not is_text(name):
            raise ValidationError(f"The {what} {name!r} is not text the store can keep (half of a UTF-16 surrogate "
                                  "pair, or not a string). Nothing was written.")
    for e in append.events:
        if type(e.schema_version) is not int or not 0 < e.schema_version < 2 ** 31:
            raise ValidationError(f"The schema version of a {e.event_type} event must be a whole number from 1 to "
                                  f"2,147,483,647, not {e.schema_version!r}. Nothing was written.")


class GroupCommitWriter:
    """The one writer of a database (see the module docstring)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._cursor = connection.cursor()
        self._write_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queued = threading.Condition(self._queue_lock)
        self._queue: list[_Request] = []
        self._in_flight = 0  # commands being prepared on other threads (see :meth:`preparing`)
        self._heads: dict[str, tuple[int, str | None]] = {}  # stream -> (version, stream type)
        self._heads_complete = False  # True when _heads holds every stream (unknown ones are new)
        self._next_position, self._last_hash = self._read_tail()
        self.hooks: list[TransactionHook] = []
        self._batch = threading.local()
        self.commits = 0

    # -- public API ---------------------------------------------------------------------------------
    def append(self, stream_id: str, stream_type: str, events: list[NewEvent], expected_version: int,
               rows: dict[str, list[dict[str, Any]]] | None = None) -> AppendResult:
        """Append ``events`` to a stream if it is at ``expected_version`` (or ``ANY_VERSION``).

        ``rows`` are extra rows (table -> list of dicts) written in the same transaction.
        Raises :class:`ConcurrencyError` when the stream moved on and :class:`WrongStreamType` when it
        is a stream of another type; nothing is written then.
        """
        return self.commit([StreamAppend(stream_id, stream_type, list(events), expected_version)], rows)[0]

    def commit(self, appends: list[StreamAppend], rows: dict[str, list[dict[str, Any]]] | None = None
               ) -> list[AppendResult]:
        """Commit appends to several streams and extra rows as one unit: all of it, or nothing.

        A command's events, its snapshots, its read-model rows (inline projections) and its command-log
        row go through here together, so they share one transaction and one commit.
        """
        for append in appends:
            _check_stream(append)
        request = _Request(list(appends), rows or {})
        self._submit(request)
        return request.results  # type: ignore[return-value]

    def write_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """Insert rows (table -> list of dicts) through the writer, e.g. a refused command's log row."""
        self._submit(_Request([], rows))

    def run(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """Run ``work(cursor)`` in its own transaction under the write lock (snapshots, projections)."""
        with self._write_lock:
            self._flush_queue_locked()
            self.drain()
            return self._in_transaction(work)

    def drain(self) -> None:
        """Wait until every commit acknowledged so far can be read from DuckDB (a journaled writer applies
        them behind; see :mod:`esengine.store.journaled_writer`). Here every commit is in DuckDB already."""

    def close(self) -> None:
        """Stop what the writer runs in the background (nothing here)."""

    def current_version(self, stream_id: str) -> int:
        """The stream's version as the writer knows it (0 for a stream with no events)."""
        return self.head(stream_id)[0]

    def head(self, stream_id: str) -> tuple[int, str | None]:
        """The stream's version and type as the writer knows them ((0, None) for a new stream).

        A known stream is answered from memory without the write lock (the dict is replaced entry by
        entry after each commit, so a reader sees the state before or after a commit, never between).
        """
        known = self._heads.get(stream_id)
        if known is not None:
            return known
        with self._write_lock:
            return self._load_heads([stream_id])[stream_id]

    @property
    def last_position(self) -> int:
        return self._next_position - 1

    def bulk_insert(self, events: pa.Table) -> int:
        """Insert a prepared Arrow table of events (positions are assigned here); for imports and demos.

        The table needs every column of :data:`EVENT_SCHEMA` but ``position``, ``recorded_at`` and
        ``hash``; versions must already be assigned. All rows are committed in one transaction, or none.
        """
        n = events.num_rows
        table = events.drop_columns([c for c in ("position", "recorded_at", "hash") if c in events.column_names])
        table = table.append_column("recorded_at", pa.array([utcnow()] * n, pa.timestamp("us")))
        table = table.append_column("hash", pa.nulls(n, pa.string()))

        def insert(cur, start):
            numbered = table.append_column("position", pa.array(range(start, start + n), pa.int64()))
            cur.register("_bulk_events", numbered.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA))
            try:
                cur.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM _bulk_events")
            finally:
                cur.unregister("_bulk_events")
            return n
        return self.bulk_load(insert)

    def bulk_load(self, work: Callable[[duckdb.DuckDBPyConnection, int], int]) -> int:
        """Run ``work(cursor, first_position)`` in ONE transaction under the write lock; for large imports.

        ``work`` may stage data in temporary tables over many statements, then inserts events with
        the gap-free positions ``first_position, first_position + 1, ...`` (``hash`` left NULL) and
        returns how many it inserted; the writer then extends the hash chain over them in the same
        transaction. If anything raises, everything is rolled back and the store is unchanged.
        """
        def load(cur):
            n = work(cur, start)
            if n:
                chain.extend(cur, start)
            return n
        with self._write_lock:
            self._flush_queue_locked()
            self.drain()
            start = self._next_position
            try:
                n = self._in_transaction(load)
            finally:
                self._forget_heads()
            self._next_position, self._last_hash = self._read_tail()
            return n

    @contextmanager
    def batch(self, flush_every: int = 2000) -> Iterator[GroupCommitWriter]:
        """A context in which this thread's appends are collected and committed together.

        Inside it, each append is checked for concurrency at once (against the store and the batch)
        but written when the batch holds ``flush_every`` requests or ends. For generators and imports.
        """
        with self._write_lock:
            self.drain()
            if not self._heads_complete:  # one scan instead of one lookup per new stream
                self._heads = {sid: (version, kind) for sid, version, kind in self._cursor.execute(
                    f"SELECT stream_id, {HEAD_SQL} FROM events GROUP BY 1").fetchall()}
                self._heads_complete = True
        batch = _Batch()
        self._batch.current, self._batch.flush_every = batch, flush_every
        try:
            yield self
            self._batch.current = None
            self._commit_batch_requests(batch.requests)
        finally:
            self._batch.current = None

    # -- internals ----------------------------------------------------------------------------------
    def _read_tail(self) -> tuple[int, str]:
        position = self._cursor.execute("SELECT coalesce(max(position), 0) + 1 FROM events").fetchall()[0][0]
        return position, chain.last_hash(self._cursor)

    def _forget_heads(self) -> None:
        self._heads.clear()
        self._heads_complete = False

    def _submit(self, request: _Request) -> None:
        batch = getattr(self._batch, "current", None)
        if batch is not None:
            self._add_to_batch(batch, request)
            return
        with self._queue_lock:
            self._queue.append(request)
            self._queued.notify_all()
        while True:  # lead a commit when the lock is free; else wait to be committed by the leader
            if self._write_lock.acquire(blocking=False):
                try:
                    if not request.done:
                        self._flush_queue_locked()
                finally:
                    self._write_lock.release()
            with self._queue_lock:
                if request.done:
                    break
                self._queued.wait(0.05)
        if request.error is not None:
            raise request.error

    def _add_to_batch(self, batch: _Batch, request: _Request) -> None:
        missing = [a.stream_id for a in request.appends if a.stream_id not in batch.heads]
        if missing:
            with self._write_lock:
                batch.heads.update(self._load_heads(missing))
        trial: dict[str, tuple[int, str | None]] = {}
        results = []
        for a in request.appends:
            actual, kind = trial.get(a.stream_id, batch.heads[a.stream_id])
            _refuse_mismatch(a, actual, kind)
            now = utcnow()
            stored = [StoredEvent(0, e.event_id, a.stream_id, a.stream_type, actual + i + 1, e.event_type,
                                  e.schema_version, e.data, e.metadata, e.occurred_at or now, now)
                      for i, e in enumerate(a.events)]
            trial[a.stream_id] = (actual + len(stored), kind or a.stream_type)
            results.append(AppendResult(a.stream_id, stored, actual + len(stored)))
        batch.heads.update(trial)
        request.results = results
        batch.requests.append(request)
        if len(batch.requests) >= self._batch.flush_every:
            self._commit_batch_requests(batch.requests)
            batch.requests = []

    def _commit_batch_requests(self, requests: list[_Request]) -> None:
        if not requests:
            return
        with self._write_lock:
            self._flush_queue_locked()
            self._commit_directly(requests)
        for r in requests:
            if r.error is not None:
                raise r.error

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """Around the preparation of a command: while several are in flight, a commit waits up to
        :data:`GROUP_WAIT` seconds for the others to queue, so they share one commit (group commit)."""
        with self._queue_lock:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._queue_lock:
                self._in_flight -= 1
                self._queued.notify_all()

    def _flush_queue_locked(self) -> None:
        with self._queue_lock:
            if self._queue and self._in_flight:  # others are about to queue: let them join this commit
                deadline = time.monotonic() + GROUP_WAIT
                while self._in_flight and (left := deadline - time.monotonic()) > 0:
                    self._queued.wait(left)
            requests, self._queue = self._queue, []
        if requests:
            try:
                self._commit(requests)
            except BaseException as e:
                for r in requests:  # never leave a waiting thread without an answer
                    if not r.done:
                        r.error, r.done = EsEngineError(f"The events could not be stored ({e}). Nothing was written."), True
                raise
            finally:
                with self._queue_lock:
                    self._queued.notify_all()  # wake the requests' threads: they are done

    def _load_heads(self, stream_ids: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        missing = [s for s in set(stream_ids) if s not in self._heads]
        if missing and self._heads_complete:
            self._heads.update(dict.fromkeys(missing, (0, None)))
        elif missing:
            found = {sid: (version, kind) for sid, version, kind in self._cursor.execute(
                f"SELECT stream_id, {HEAD_SQL} FROM events WHERE stream_id IN (SELECT unnest(?)) GROUP BY 1",
                [missing]).fetchall()}
            for s in missing:
                self._heads[s] = found.get(s, (0, None))
        return {s: self._heads[s] for s in stream_ids}

    def _existing_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        self.drain()
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
            heads, existing = self._read_heads_and_ids(requests, check_ids)
        except duckdb.Error as e:
            for r in requests:
                r.error, r.done = EsEngineError(f"The store could not be read: {e}"), True
            return
        group = self._plan_group(requests, heads, existing, self._next_position, check_ids)
        if group is None:
            return
        self._store_group(group, heads, check_ids)

    def _commit_directly(self, requests: list[_Request]) -> None:
        """Commit a large group (a batch) straight into DuckDB, under the write lock."""
        self._commit(requests)

    def _store_group(self, group: _Group, heads: dict[str, tuple[int, str | None]], check_ids: bool) -> None:
        """Write a planned group in one DuckDB transaction, then settle it (or retry, or refuse)."""
        try:
            self._in_transaction(lambda cur: self._write(cur, group.accepted, group.events, group.hashes))
        except Exception as e:  # noqa: BLE001 - retried or translated below
            self._resync()
            self._retry_or_refuse(group, heads, e, check_ids)
            return
        self._settle(group)

    # The named steps of a commit (the PostgreSQL writer runs the same steps inside its own transaction).
    def _read_heads_and_ids(self, requests: list[_Request], check_ids: bool
                            ) -> tuple[dict[str, tuple[int, str | None]], set[str]]:
        """Step 1: the streams' versions and types, and (when asked) which event ids are already stored."""
        heads = self._load_heads([a.stream_id for r in requests for a in r.appends])
        existing = (self._existing_ids([e.event_id for r in requests for a in r.appends for e in a.events])
                    if check_ids else set())
        return heads, existing

    def _plan_group(self, requests: list[_Request], heads: dict[str, tuple[int, str | None]], existing: set[str],
                    first_position: int, check_ids: bool) -> _Group | None:
        """Step 2: give each request's events positions and versions; refuse (mark done) the ones that
        conflict. None when nothing is left to write. Also step 3: chain the accepted events' hashes."""
        planned = dict(heads)
        position = first_position
        now = self._now()
        accepted: list[tuple[_Request, list[AppendResult]]] = []
        for r in requests:
            try:
                results, after = self._plan(r, planned, existing, position, now, check_ids)
            except (ConcurrencyError, WrongStreamType, ValidationError) as e:
                r.error, r.done = e, True
                continue
            for res in results:
                position += len(res.events)
                existing.update(e.event_id for e in res.events)
            planned.update(after)
            accepted.append((r, results))
        if not accepted:
            return None
        events = [e for _, results in accepted for res in results for e in res.events]
        hashes = chain.event_digests(events, self._last_hash, _json) if events else []
        return _Group(accepted, planned, position, events, hashes)

    def _retry_or_refuse(self, group: _Group, heads: dict[str, tuple[int, str | None]], error: Exception,
                         check_ids: bool) -> None:
        """Step 4 when the write failed: retry the group with ids checked, then request by request; a
        single request that still fails gets the error, translated."""
        if not check_ids:
            self._commit([r for r, _ in group.accepted], check_ids=True)
        elif len(group.accepted) > 1:
            for r, _ in group.accepted:
                self._commit([r], check_ids=True)
        else:
            r = group.accepted[0][0]
            r.error, r.done = self._translate(error, r, heads), True

    def _settle(self, group: _Group) -> None:
        """Step 4 after the commit: remember the new tail and heads, hand each request its results."""
        self._next_position = group.next_position
        if group.hashes:
            self._last_hash = group.hashes[-1]
        self._heads.update(group.planned)
        self.commits += 1
        for r, results in group.accepted:
            r.results, r.done = results, True

    def _now(self) -> datetime:
        """The time a commit records as ``recorded_at`` (taken under the write lock, so it follows commit order
        within the process)."""
        return utcnow()

    def _plan(self, r: _Request, planned: dict[str, tuple[int, str | None]], existing: set[str], position: int,
              now: datetime, check_ids: bool) -> tuple[list[AppendResult], dict[str, tuple[int, str | None]]]:
        """The events of one request as they would be stored; raises if any of its appends is refused."""
        trial: dict[str, tuple[int, str | None]] = {}
        results = []
        ids: set[str] = set()
        for a in r.appends:
            actual, kind = trial.get(a.stream_id, planned[a.stream_id])
            _refuse_mismatch(a, actual, kind, check_version=False)
            fresh = [e for e in a.events if e.event_id not in existing]
            if len({e.event_id for e in fresh} | ids) < len(ids) + len(fresh):
                raise ValidationError(f"Two events of one commit to '{a.stream_id}' carry the same id. Nothing was "
                                      "written; give each event its own id (or leave it out and one is drawn).")
            ids.update(e.event_id for e in fresh)
            for e in fresh:
                for part in ("data", "metadata"):
                    problem = json_text_refusal(_json(getattr(e, part)))
                    if problem:
                        raise ValidationError(f"The {part} of a {e.event_type} event for '{a.stream_id}' {problem}. "
                                              "Nothing was written; correct the text and send it again.")
            if a.expected_version not in (ANY_VERSION, actual) and len(fresh) == len(a.events) and a.events:
                if not check_ids:  # perhaps a retried command whose events are already stored
                    known = self._existing_ids([e.event_id for e in a.events])
                    fresh = [e for e in fresh if e.event_id not in known]
                if len(fresh) == len(a.events):
                    raise ConcurrencyError(a.stream_id, a.expected_version, actual)
            stored = [StoredEvent(position + i, e.event_id, a.stream_id, a.stream_type, actual + i + 1,
                                  e.event_type, e.schema_version, e.data, e.metadata,
                                  as_utc_naive(e.occurred_at) if e.occurred_at else now, now)
                      for i, e in enumerate(fresh)]
            position += len(stored)
            trial[a.stream_id] = (actual + len(stored), kind or (a.stream_type if stored else None))
            results.append(AppendResult(a.stream_id, stored, actual + len(stored)))
        return results, trial

    def _resync(self) -> None:
        """After a failed commit, forget what may be stale: someone else may have written."""
        self.drain()
        self._forget_heads()
        self._next_position, self._last_hash = self._read_tail()

    @staticmethod
    def _translate(error: Exception, r: _Request, heads: dict[str, tuple[int, str | None]]) -> BaseException:
        if isinstance(error, EsEngineError):
            return error
        if isinstance(error, (duckdb.ConstraintException, duckdb.TransactionException)) and r.appends:
            a = r.appends[0]
            return ConcurrencyError(a.stream_id, a.expected_version, heads.get(a.stream_id, (0, None))[0] + 1)
        return EsEngineError(f"The events could not be stored ({type(error).__name__}: {error}). Nothing was written.")

    def _write(self, cur: duckdb.DuckDBPyConnection, accepted: list[tuple[_Request, list[AppendResult]]],
               events: list[StoredEvent], hashes: list[str]) -> None:
        write_group(cur, events, hashes, merged_rows(accepted), self.hooks)

    def _in_transaction(self, work: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        cur = self._cursor
        cur.execute("BEGIN TRANSACTION")
        try:
            result = work(cur)
            cur.execute("COMMIT")
            return result
        except BaseException:
            cur.execute("ROLLBACK")
            for hook in self.hooks:
                getattr(hook, "rolled_back", lambda: None)()
            raise


def write_group(cur: duckdb.DuckDBPyConnection, events: list[StoredEvent], hashes: list[str],
                extra: dict[str, list[dict[str, Any]]], hooks: list[TransactionHook]) -> None:
    """Insert events (with their hashes) and extra rows, then run the hooks over the events."""
    if 0 < len(events) <= SMALL_INSERT:  # one prepared statement beats an Arrow round trip here
        cur.execute(f"INSERT INTO events ({COLUMNS}) VALUES "
                    + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(events)),
                    [v for e, h in zip(events, hashes)
                     for v in (e.position, e.event_id, e.stream_id, e.stream_type, e.version, e.event_type,
                               e.schema_version, _json(e.data), _json(e.metadata), e.occurred_at,
                               e.recorded_at, h)])
    elif events:
        table = pa.table({
            "position": [e.position for e in events], "event_id": [e.event_id for e in events],
            "stream_id": [e.stream_id for e in events], "stream_type": [e.stream_type for e in events],
            "version": [e.version for e in events], "event_type": [e.event_type for e in events],
            "schema_version": [e.schema_version for e in events],
            "data": [_json(e.data) for e in events], "metadata": [_json(e.metadata) for e in events],
            "occurred_at": [e.occurred_at for e in events], "recorded_at": [e.recorded_at for e in events],
            "hash": hashes,
        }, schema=EVENT_SCHEMA)
        cur.register("_new_events", table)
        try:
            cur.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM _new_events")
        finally:
            cur.unregister("_new_events")
    for name, rows in extra.items():
        insert_rows(cur, name, rows)
    if events:
        for hook in hooks:
            hook.apply_in_transaction(cur, events)


def merged_rows(accepted: list[tuple[_Request, list[AppendResult]]]) -> dict[str, list[dict[str, Any]]]:
    """The extra rows of a group's requests, table by table."""
    extra: dict[str, list[dict[str, Any]]] = {}
    for r, _ in accepted:
        for name, rows in r.rows.items():
            extra.setdefault(name, []).extend(rows)
    return extra


def _refuse_mismatch(a: StreamAppend, actual: int, kind: str | None, check_version: bool = True) -> None:
    """Refuse an append to a stream of another type (and, in a batch, at another version)."""
    if actual > 0 and kind and a.stream_type and kind != a.stream_type:
        raise WrongStreamType(a.stream_id, a.stream_type, kind)
    if check_version and a.expected_version not in (ANY_VERSION, actual):
        raise ConcurrencyError(a.stream_id, a.expected_version, actual)


def insert_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert a list of dicts into ``table`` by column name (dicts and lists stored as JSON text)."""
    if not rows:
        return
    names = list(rows[0])
    if len(rows) <= SMALL_INSERT and all(list(r) == names for r in rows):
        insert_values(cur, table, names, [[_json(v) if isinstance(v, (dict, list)) else v for v in r.values()]
                                          for r in rows])
        return
    data = pa.Table.from_pylist([{k: (_json(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()}
                                 for row in rows])
    columns = ", ".join(f'"{c}"' for c in data.column_names)
    cur.register("_rows", data)
    try:
        cur.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM _rows')
    finally:
        cur.unregister("_rows")


def insert_values(cur: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[list[Any]],
                  placeholders: list[str] | None = None) -> None:
    """Insert a few rows as ONE prepared statement (for a handful of rows this beats an Arrow round trip).

    ``placeholders`` may wrap a column's parameter, e.g. ``json(?)`` to store JSON minified.
    """
    marks = "(" + ", ".join(placeholders or ["?"] * len(columns)) + ")"
    names = ", ".join(f'"{c}"' for c in columns)
    cur.execute(f'INSERT INTO "{table}" ({names}) VALUES ' + ", ".join([marks] * len(rows)),
                [v for row in rows for v in row])
