"""The writer of a DuckDB file: a commit is durable in the journal first, and DuckDB is written behind it.

:class:`JournaledWriter` keeps everything :class:`~esengine.store.writer.GroupCommitWriter` promises (gap-free
positions in commit order, the version check, a stream keeps its type, each request all or nothing, group
commit), but its commit is one record in the commit journal (:mod:`esengine.store.journal`) made durable with
``fdatasync``: that is when the caller gets its results. An applier thread then writes the journaled records
into DuckDB, as many as have queued, in ONE transaction: the events, the extra rows (command log, snapshots),
the inline projections' rows and checkpoints, and the number of the last record applied.

Nobody reads a state older than what they were told was committed: every read of the store goes through
:meth:`drain` first (the event store's cursors call it before each use), which waits until the applier has
written everything acknowledged so far (at once when it has, which is the usual case between commands).
Everything that writes DuckDB directly (batches, bulk loads, projection rebuilds) drains first, under the
write lock, so DuckDB has one writer at a time.

What DuckDB could still refuse is checked before a commit is acknowledged: versions and stream types (the
writer's own bookkeeping), event ids a caller gave (ids this process drew cannot be stored yet), and the
tables, columns and values of extra rows (:mod:`esengine.store.row_check`). If an inline projection's rows
cannot be written, the events are stored without them and the projection stops there with the error, as at a
poison event; extra rows that DuckDB refuses after all are kept in ``journal_set_aside`` and the events are
written. If the applier cannot write a record at all (the disk is full, the file is damaged), the writer
refuses further commits and says so; the records stay in the journal and the next open writes them
(:func:`recover`).

Two engines of one process on the same file (tests, scripts) each go around the other's bookkeeping; while
there are two, both commit straight into DuckDB, whose constraints then arbitrate, as without a journal.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from esengine.core.events import AppendResult, GeneratedId, StoredEvent, StreamAppend
from esengine.errors import EsEngineError, StoreUnavailable
from esengine.store.journal import RESET_SIZE, Journal, Record, encode, merged
from esengine.store.row_check import Table, catalog, row_refusal
from esengine.store.writer import (ANY_VERSION, GroupCommitWriter, TransactionHook, _Group, _Request, merged_rows,
                                   write_group)

log = logging.getLogger(__name__)


def journal_path(database: Path) -> Path:
    return database.with_name(database.name + ".journal")


def journal_state(cur: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    """The database's journal name and the number of the last journaled record its tables hold."""
    return cur.execute("SELECT journal, seq FROM journal_applied").fetchall()[0]


def recover(connection: duckdb.DuckDBPyConnection, journal: Journal) -> tuple[str, int]:
    """Write the journal's records that DuckDB does not hold yet (after a crash), in one transaction; returns the
    journal's name and the number of its last record. Inline projections are not run here: they are registered
    later and catch up from their checkpoints then, as after a bulk load."""
    cur = connection.cursor()
    try:
        name, done = journal_state(cur)
        records = journal.read()
        foreign = [r for r in records if r.journal != name]
        if foreign:  # left by a database that this file replaced (a room reset): not ours to write
            aside = journal.path.with_name(f"{journal.path.name}.{foreign[0].journal}")
            log.warning("the journal %s belongs to another database; moved to %s", journal.path, aside)
            os.replace(journal.path, aside)
            journal.reopen()
            return name, done
        todo = [r for r in records if r.seq > done]
        if todo:
            try:
                apply_records(cur, todo)
            except duckdb.Error as e:
                raise StoreUnavailable(
                    f"The commits in the journal {journal.path} could not be written into the database "
                    f"({type(e).__name__}: {e}). Nothing was changed; restore the database from a copy, or "
                    "move the journal aside to open the database without them.") from e
            log.warning("wrote %d journaled commits that a crash had left out of %s", len(todo), journal.path)
            done = todo[-1].seq
        if journal.last_seq <= done:
            journal.reset(journal.last_seq)
        return name, done
    finally:
        cur.close()


def write_records(cur: duckdb.DuckDBPyConnection, records: list[Record], hooks: Sequence[Any] = (),
                  failed: dict[int, tuple[TransactionHook, Exception]] | None = None,
                  set_aside: Exception | None = None) -> None:
    """Write journaled ``records`` into DuckDB in one transaction, with the number of the last one. ``failed``
    hooks are left out and told; with ``set_aside`` (the error DuckDB gave), the extra rows of the (one) record
    go into ``journal_set_aside`` instead of their tables, so that its acknowledged events are written."""
    events, hashes, rows = merged(records)
    cur.execute("BEGIN TRANSACTION")
    try:
        if set_aside is not None:
            for table, items in rows.items():
                for row in items:
                    cur.execute("INSERT INTO journal_set_aside VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)",
                                [records[-1].journal, records[-1].seq, table, json.dumps(row, default=str),
                                 f"{type(set_aside).__name__}: {set_aside}"])
            log.error("DuckDB refused the extra rows of journaled commit %d (%s); its events are written and the "
                      "rows are kept in the table journal_set_aside", records[-1].seq, set_aside)
            rows = {}
        write_group(cur, events, hashes, rows, list(hooks))
        for hook, error in (failed or {}).values():
            log.error("a writer hook could not write its rows for positions %d-%d: %s",
                      events[0].position, events[-1].position, error)
            getattr(hook, "failed", lambda *_: None)(cur, events, error)
        cur.execute("UPDATE journal_applied SET seq = ?", [records[-1].seq])
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


def apply_records(cur: duckdb.DuckDBPyConnection, records: list[Record],
                  hooks: Sequence[TransactionHook] = ()) -> None:
    """Write ``records`` in one transaction (:func:`write_records`). If that fails, write them one by one; a record
    that a hook cannot take is written without that hook, which is told (an inline projection stops there); a
    record whose extra rows DuckDB refuses after all is written with those rows set aside. The applier and the
    recovery on open (no hooks) both write this way."""
    failed: dict[int, tuple[TransactionHook, Exception]] = {}
    set_aside: Exception | None = None
    while True:
        try:
            write_records(cur, records, [_Guarded(h) for h in hooks if id(h) not in failed], failed, set_aside)
            return
        except BaseException as e:
            for hook in hooks:
                getattr(hook, "rolled_back", lambda: None)()
            if not isinstance(e, (_HookFailed, duckdb.Error)):
                raise
            if len(records) > 1:
                break
            if isinstance(e, _HookFailed):
                failed[id(e.hook)] = (e.hook, e.error)
            elif set_aside is not None:
                raise
            else:
                set_aside = e
    for record in records:
        apply_records(cur, [record], hooks)


class _OpenFiles:
    """The journaled writers open in this process, per database file."""

    def __init__(self):
        self._writers: dict[str, list[JournaledWriter]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, writer: JournaledWriter) -> bool:
        """Register ``writer`` (the others on its file stop journaling, their commits drained into DuckDB first);
        True when it is the only one on its file."""
        with self._lock:
            others = self._writers.setdefault(key, [])
            for other in others:
                other.stop_journaling()
            others.append(writer)
            return len(others) == 1

    def remove(self, key: str, writer: JournaledWriter) -> bool:
        """Forget ``writer``; True when it was the last one on its file."""
        with self._lock:
            others = self._writers.get(key, [])
            if writer in others:
                others.remove(writer)
            if not others:
                self._writers.pop(key, None)
            return not others


_OPEN = _OpenFiles()


class JournaledWriter(GroupCommitWriter):
    """The one writer of a DuckDB file, with the commit journal in front (see the module docstring)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, database: Path):
        self._key = os.path.realpath(database)
        self.journal = Journal(journal_path(database))
        self._state = threading.Condition()
        self._pending: deque[Record] = deque()
        self._failure: StoreUnavailable | None = None
        self._stopping = False
        self._direct = False  # this commit goes straight into DuckDB (a batch)
        self._closed = False
        self._journaling = _OPEN.add(self._key, self)  # False while another engine of this process writes the file
        try:
            self._name, self._applied_seq = recover(connection, self.journal)
        except BaseException:
            _OPEN.remove(self._key, self)
            self.journal.close()
            raise
        self._journaled_seq = self._applied_seq
        self._tables: dict[str, Table] = {}
        self._catalog_lock = threading.Lock()
        super().__init__(connection)
        self._apply_cursor = connection.cursor()
        self._applier = threading.Thread(target=self._apply_loop, name="esengine-journal", daemon=True)
        self._applier.start()
        atexit.register(self._finish)  # never let the interpreter tear DuckDB down under a transaction

    # -- reading what was acknowledged ------------------------------------------------------------------
    def drain(self) -> None:
        """Wait until DuckDB holds every commit acknowledged so far (at once when it does)."""
        if self._applied_seq >= self._journaled_seq:
            return
        if threading.current_thread() is self._applier:
            return
        with self._state:
            target = self._journaled_seq
            while self._applied_seq < target:
                if self._failure is not None:
                    raise self._failure
                self._state.wait(0.5)

    @property
    def behind(self) -> int:
        """Commits acknowledged but not yet written into DuckDB."""
        return self._journaled_seq - self._applied_seq

    def stop_journaling(self) -> None:
        """Commit straight into DuckDB from now on (another engine of this process opened the file)."""
        with self._write_lock:
            self._flush_queue_locked()
            self.drain()
            self._journaling = False

    def close(self) -> None:
        """Write what is still journaled into DuckDB, stop the applier, and remove the (then empty) journal.
        Closing twice is harmless."""
        atexit.unregister(self._finish)
        self._finish()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_applier()
        last = _OPEN.remove(self._key, self)
        if self._failure is None and self._applied_seq == self._journaled_seq:
            self.journal.reset(self._applied_seq)
            if last and self.journal.size == 0:
                self.journal.path.unlink(missing_ok=True)
        self.journal.close()

    def _stop_applier(self) -> None:
        with self._state:
            self._stopping = True
            self._state.notify_all()
        self._applier.join(timeout=60)

    # -- the write path ---------------------------------------------------------------------------------
    def commit(self, appends: list[StreamAppend], rows: dict[str, list[dict[str, Any]]] | None = None
               ) -> list[AppendResult]:
        self._check_rows(rows or {})
        return super().commit(appends, rows)

    def write_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self._check_rows(rows)
        super().write_rows(rows)

    def _check_rows(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """Refuse extra rows that DuckDB would refuse (no such table or column, a value of the wrong type, a
        missing value), before anything is journaled: the applier must be able to write what was acknowledged."""
        for table, items in rows.items():
            names = {k for row in items for k in row}
            if table not in self._tables or not names <= self._tables[table].columns.keys():
                self._read_catalog()
                known = self._tables.get(table)
                if known is None:
                    raise EsEngineError(f"The rows cannot be stored: the store has no table '{table}'. "
                                        "Nothing was written.")
                if not names <= known.columns.keys():
                    raise EsEngineError(f"The rows cannot be stored: the table '{table}' has no column "
                                        f"{', '.join(repr(n) for n in sorted(names - known.columns.keys()))}. "
                                        "Nothing was written.")
            for row in items:
                problem = row_refusal(table, self._tables[table], row)
                if problem:
                    raise EsEngineError(f"The rows cannot be stored: {problem}. Nothing was written.")

    def _read_catalog(self) -> None:
        self.drain()
        with self._catalog_lock:
            cur = self._apply_cursor.cursor()
            try:
                self._tables = catalog(cur)
            finally:
                cur.close()

    def _read_heads_and_ids(self, requests: list[_Request], check_ids: bool
                            ) -> tuple[dict[str, tuple[int, str | None]], set[str]]:
        # An event whose id a caller gave may be stored already (an import run again, a retried command): look
        # such ids up now, since a journaled commit is acknowledged before DuckDB's unique constraint could object.
        # The ids this process drew itself cannot be stored yet, so the common command pays nothing for this.
        if (not check_ids and self._journaling and not self._direct
                and not all(a.expected_version != ANY_VERSION and all(isinstance(e.event_id, GeneratedId) for e in a.events)
                            for r in requests for a in r.appends)):
            check_ids = True
        return super()._read_heads_and_ids(requests, check_ids)

    def _commit_directly(self, requests: list[_Request]) -> None:
        self.drain()
        self._direct = True
        try:
            self._commit(requests)
        finally:
            self._direct = False

    def _store_group(self, group: _Group, heads: dict[str, tuple[int, str | None]], check_ids: bool) -> None:
        if self._direct or not self._journaling:
            super()._store_group(group, heads, check_ids)
            return
        failure = self._failure
        if failure is None:
            record = Record(self._name, self._journaled_seq + 1, group.events, group.hashes,
                            merged_rows(group.accepted))
            try:
                self.journal.append(record.seq, encode(record))
            except OSError as e:
                failure = StoreUnavailable(
                    f"The commit could not be written to the journal {self.journal.path} ({e.strerror or e}). "
                    "Nothing was written; free some disk space, then send it again.")
        if failure is not None:
            for r, _ in group.accepted:
                r.error, r.done = failure, True
            return
        with self._state:
            self._pending.append(record)
            self._journaled_seq = record.seq
            self._state.notify_all()
        self._settle(group)

    # -- the applier ------------------------------------------------------------------------------------
    def _apply_loop(self) -> None:
        while True:
            with self._state:
                while not self._pending and not self._stopping:
                    self._state.wait()
                if not self._pending:
                    return
                records = list(self._pending)
            try:
                self._apply(records)
            except Exception as e:  # noqa: BLE001 - every waiting reader and later commit is told
                log.error("journaled commits could not be written into DuckDB: %s", e)
                with self._state:
                    self._failure = StoreUnavailable(
                        f"Commits that were acknowledged could not be written into the database ({type(e).__name__}: "
                        f"{e}). They are kept in {self.journal.path}; restart the app to write them, after freeing "
                        "disk space if that is what failed.")
                    self._state.notify_all()
                return
            with self._state:
                for _ in records:
                    self._pending.popleft()
                self._applied_seq = records[-1].seq
                self._state.notify_all()
            if self.journal.size > RESET_SIZE:
                self.journal.reset(self._applied_seq)

    def _apply(self, records: list[Record]) -> None:
        apply_records(self._apply_cursor, records, self.hooks)


class _HookFailed(Exception):
    def __init__(self, hook: TransactionHook, error: Exception):
        super().__init__(str(error))
        self.hook, self.error = hook, error


class _Guarded:
    """A hook whose failure is told apart from the store's own (see :func:`apply_records`)."""

    def __init__(self, hook: TransactionHook):
        self.hook = hook

    def apply_in_transaction(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None:
        try:
            self.hook.apply_in_transaction(cur, events)
        except Exception as e:
            raise _HookFailed(self.hook, e) from e
