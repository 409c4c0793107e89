"""The PostgreSQL event store: one shared write side for many app instances, DuckDB as each one's read side.

``postgresql://user@host:port/dbname`` wherever a database is named selects it (see
:func:`esengine.store.opening.open_store`). The design (measured in docs/architecture.md):

* **Positions gap-free in commit order.** Every write transaction takes ``LOCK TABLE events IN EXCLUSIVE
  MODE`` (readers are not blocked) and gives its events ``max(position) + 1, ...``, as the ``eventsourcing``
  library does. A reader that takes ``position > last`` therefore never skips an event that commits later.
  ``lock_timeout`` (:data:`LOCK_TIMEOUT_ENV`, default 5 s) bounds the wait behind a stuck writer.
* **The replica.** Each engine keeps a DuckDB database (in memory) with the same tables as an embedded
  file: the events and command log pulled from PostgreSQL by position, and its own snapshots, checkpoints
  and read models. Every feature's DuckDB SQL runs on it unchanged. The writer pulls inside its locked
  transaction (so it plans against exactly what PostgreSQL holds) and right after its commit (so the
  instance reads its own writes), and a listener pulls when another instance's ``NOTIFY`` arrives, with a
  poll every :data:`POLL_SECONDS` as the fallback (a notification is not durable).
* **Faults.** A URL that cannot be reached, wrong credentials, another application's database, the server
  going away: :class:`StoreUnavailable`, and nothing half written (one transaction per commit; event ids
  make a retried command a no-op).
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time
from typing import Any
from collections.abc import Callable
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from esengine.core.events import StoredEvent
from esengine.errors import ConcurrencyError, EsEngineError, StoreUnavailable
from esengine.store.connection import SEALED, seconds_setting
from esengine.store.writer import EVENT_SCHEMA, GroupCommitWriter, _Group, _json, _Request, insert_rows

try:  # psycopg is needed only for a PostgreSQL store
    import psycopg
    from psycopg import sql as pgsql
except ImportError:  # pragma: no cover - requirements.txt pins it
    psycopg = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

URL_PREFIXES = ("postgresql://", "postgres://")
LOCK_TIMEOUT_ENV = "ESENGINE_PG_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5
CHANNEL = "esengine_events"
POLL_SECONDS = 1.0
GATHER_SECONDS = 0.02
PULL_CHUNK = 50_000
SHARED_TABLES = ("command_log",)
"""Tables the instances share (written to PostgreSQL in the append's transaction, pulled into each replica).
Every other table (snapshots, checkpoints, read models) is the instance's own, on its replica."""
PG_SCHEMA_VERSION = 1
SMALL_WRITE = 64
"""Up to this many rows (events and log rows) a group is written as one INSERT statement; more go by COPY."""
TAIL_SQL = "SELECT (SELECT coalesce(max(position), 0) FROM events), (SELECT coalesce(max(seq), 0) FROM command_log)"

_SCHEMA = [
    """CREATE TABLE esengine_schema (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE events (
        position       BIGINT    NOT NULL PRIMARY KEY,
        event_id       UUID      NOT NULL UNIQUE,
        stream_id      TEXT      NOT NULL,
        stream_type    TEXT      NOT NULL,
        version        INTEGER   NOT NULL,
        event_type     TEXT      NOT NULL,
        schema_version INTEGER   NOT NULL,
        data           JSON,
        metadata       JSON,
        occurred_at    TIMESTAMP NOT NULL,
        recorded_at    TIMESTAMP NOT NULL,
        hash           TEXT,
        UNIQUE (stream_id, version)
    )""",
    """CREATE TABLE command_log (
        seq            BIGINT    NOT NULL PRIMARY KEY,
        command_id     TEXT      NOT NULL,
        command_type   TEXT      NOT NULL,
        payload        JSON,
        user_id        TEXT,
        correlation_id TEXT,
        stream_id      TEXT,
        outcome        TEXT      NOT NULL,
        error_kind     TEXT,
        message        TEXT,
        occurred_at    TIMESTAMP NOT NULL,
        recorded_at    TIMESTAMP NOT NULL
    )""",
]
"""``json`` (not ``jsonb``) keeps the text as written, so the hash chain computed on it still holds.
Times are ``timestamp`` holding UTC, as in the DuckDB file."""

EVENT_SELECT = ("SELECT position, event_id::text, stream_id, stream_type, version, event_type, schema_version, "
                "data::text, metadata::text, occurred_at, recorded_at, hash FROM events")
LOG_COLUMNS = ("command_id", "command_type", "payload", "user_id", "correlation_id", "stream_id", "outcome",
               "error_kind", "message", "occurred_at", "recorded_at")


def is_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a DuckDB file."""
    return isinstance(target, str) and target.startswith(URL_PREFIXES)


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        url = url.replace(f":{parts.password}@", ":***@", 1)
    return url


def lock_timeout() -> float:
    """How long an append waits for the events table's lock: ``$ESENGINE_PG_LOCK_TIMEOUT`` seconds, else 5."""
    return seconds_setting(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT, least=0.1)


def unavailable(url: str, error: BaseException, doing: str = "used") -> StoreUnavailable:
    """The plain refusal for a PostgreSQL server that cannot be reached or used."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    low = text.lower()
    if "authentication failed" in low or ("role" in low and "does not exist" in low):
        hint = "Check the user name and password in the URL."
    elif "database" in low and "does not exist" in low:
        hint = "Create it first (createdb NAME), or check the name in the URL."
    elif "lock timeout" in low or "canceling statement due to lock timeout" in low:
        hint = (f"Another writer held the events table longer than {lock_timeout():g} s "
                f"(${LOCK_TIMEOUT_ENV}). Nothing was written; send the command again.")
    else:
        hint = "Check that the server runs and the URL's host and port; nothing was written, so a retry is safe."
    return StoreUnavailable(f"The PostgreSQL database {shown(url)} could not be {doing}: {text}. {hint}")


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    """A connection to ``url``; :class:`StoreUnavailable` when the server cannot be reached or refuses."""
    if psycopg is None:  # pragma: no cover
        raise StoreUnavailable("A PostgreSQL store needs psycopg: pip install 'psycopg[binary]'.")
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT,
                               application_name="esengine")
    except psycopg.Error as e:
        raise unavailable(url, e, "opened") from e
    except Exception as e:  # a malformed URL (psycopg raises ProgrammingError or ValueError)
        raise StoreUnavailable(f"{shown(url)} is not a usable PostgreSQL URL ({e}). Give one like "
                               "postgresql://user@localhost:5432/dbname.") from e


def migrate(con: psycopg.Connection, url: str) -> int:
    """Create the tables in an empty database; refuse a database of another application or a newer schema."""
    try:
        with con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(715517)")  # two instances opening a new database at once
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
            if "esengine_schema" in tables:
                version = con.execute("SELECT coalesce(max(version), 0) FROM esengine_schema").fetchall()[0][0]
                if version > PG_SCHEMA_VERSION:
                    raise StoreUnavailable(f"The PostgreSQL database {shown(url)} has esengine schema version "
                                           f"{version}, newer than this release understands ({PG_SCHEMA_VERSION}). "
                                           "Use a newer esengine.")
                return version
            if tables:
                listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
                raise StoreUnavailable(f"The PostgreSQL database {shown(url)} belongs to another application (it "
                                       f"holds the tables {listed} and no esengine schema). Give an empty database "
                                       "(createdb NAME) or one esengine created.")
            for statement in _SCHEMA:
                con.execute(statement)
            con.execute("INSERT INTO esengine_schema VALUES (%s, now() AT TIME ZONE 'UTC')", [PG_SCHEMA_VERSION])
            return PG_SCHEMA_VERSION
    except psycopg.Error as e:
        raise unavailable(url, e, "prepared") from e


class PostgresWriter(GroupCommitWriter):
    """The writer of a PostgreSQL store: the group commit of :class:`GroupCommitWriter`, each group one
    locked PostgreSQL transaction, and the replica (a DuckDB connection) kept in step."""

    def __init__(self, url: str, replica: duckdb.DuckDBPyConnection):
        self.url = url
        self._pg = connect(url, autocommit=True)  # reads stand alone; writes open a transaction of their own
        self._log_seq = 0
        self._listener: Listener | None = None
        self.pulled_at = 0.0  # time.monotonic() of the last pull that reached the server's end
        self.remote_position = 0  # the server's last position, as last seen
        try:
            migrate(self._pg, url)
            super().__init__(replica)
            self.pull()
        except BaseException:
            self._pg.close()
            raise

    # -- the contract's additions -------------------------------------------------------------------
    def head(self, stream_id: str) -> tuple[int, str | None]:
        """The stream's version and type as PostgreSQL has them now (the replica is brought up first)."""
        self.pull()
        return super().head(stream_id)

    def current_version(self, stream_id: str) -> int:
        return self.head(stream_id)[0]

    def pull(self) -> int:
        """Bring the replica up to the server: the events and command log after what it holds (with the
        inline projections applied in the same replica transaction). Returns how many events came."""
        with self._write_lock:
            self._flush_queue_locked()  # appends queued meanwhile are committed here rather than wait for the lock
            return self._pull_locked()

    @property
    def backend_pid(self) -> int:
        return self._pg.info.backend_pid

    def replica_lag(self) -> int:
        """Events the server holds that this instance's replica has not pulled yet (as last seen)."""
        return max(0, self.remote_position - self.last_position)

    def listen(self, on_new: Callable[[], None] | None = None) -> Listener:
        """Start pulling whenever another instance commits (``NOTIFY``), polling as the fallback."""
        if self._listener is None:
            self._listener = Listener(self, on_new)
            self._listener.start()
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        self._pg.close()

    # -- the write path -----------------------------------------------------------------------------
    def _commit(self, requests: list[_Request], check_ids: bool = False) -> None:
        """One locked PostgreSQL transaction for the group, with the replica's transaction inside it.

        Under the lock: pull what others wrote (so the plan sees exactly what the server holds), plan with the
        event ids checked (a retried command is a no-op), write the group into the replica (events, rows,
        inline projections: the engine's DuckDB write step), then on the server (events, command log,
        NOTIFY). The server commits first, then the replica; if anything fails before the server's commit,
        both roll back and nothing is written anywhere.
        """
        group: _Group | None = None
        replica_open = False
        try:
            pg = self._connection()
            self._pull_locked(pg)  # most of what others wrote, before the lock: the locked part stays short
            with pg.transaction():
                self._pull_locked(pg, self._lock(pg))
                heads, existing = self._read_heads_and_ids(requests, check_ids)
                group = self._plan_group(requests, heads, existing, self._next_position, check_ids)
                if group is None:
                    return
                self._cursor.execute("BEGIN TRANSACTION")
                replica_open = True
                self._write(self._cursor, group.accepted, group.events, group.hashes)
                self._write_server(pg, group)
            self._cursor.execute("COMMIT")  # the server has committed: the replica follows
            replica_open = False
        except Exception as e:  # noqa: BLE001 - the server refused or went away, a bad row, a failing projection
            if replica_open:
                self._rollback_replica()
            if not check_ids and group is not None and _duplicate(e):  # perhaps a retry: look the ids up
                self._commit([r for r in requests if not r.done], check_ids=True)
                return
            if isinstance(e, StoreUnavailable):
                for r in requests:
                    if not r.done:
                        r.error, r.done = e, True
            else:
                self._fail(requests, group, e)
            return
        self._settle(group)

    def _rollback_replica(self) -> None:
        try:
            self._cursor.execute("ROLLBACK")
        except duckdb.Error:
            pass
        for hook in self.hooks:
            getattr(hook, "rolled_back", lambda: None)()
        self._resync()

    def _fail(self, requests: list[_Request], group: _Group | None, error: Exception) -> None:
        """The group's transaction was rolled back: retry its requests one by one, or refuse plainly."""
        err: BaseException
        if isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
            err = unavailable(self.url, error)
        elif isinstance(error, EsEngineError):
            err = error
        elif group is not None and len(group.accepted) > 1:  # one bad request must not sink the others
            for r, _ in group.accepted:
                self._commit([r])
            return
        elif isinstance(error, psycopg.errors.UniqueViolation) and group is not None and group.accepted[0][0].appends:
            a = group.accepted[0][0].appends[0]
            err = ConcurrencyError(a.stream_id, a.expected_version, a.expected_version + 1)
        else:
            err = EsEngineError(f"The events could not be stored ({type(error).__name__}: {error}). "
                                "Nothing was written.")
        for r in requests:
            if not r.done:
                r.error, r.done = err, True

    @staticmethod
    def _lock(pg: psycopg.Connection) -> tuple[int, int]:
        """Take the events table's lock (waiting at most :func:`lock_timeout`) and read the server's tail, in one
        round trip: the last position and command-log number."""
        cur = pg.execute(f"SET LOCAL lock_timeout = '{lock_timeout():g}s'; LOCK TABLE events IN EXCLUSIVE MODE; "
                         + TAIL_SQL)
        while cur.nextset():
            pass
        return cur.fetchall()[0]

    def _write_server(self, pg: psycopg.Connection, group: _Group) -> None:
        """Insert the group's events and command-log rows on the server and NOTIFY the other instances: one
        statement for a command's few rows, COPY for large groups."""
        shared = [row for r, _ in group.accepted for name, rows in r.rows.items() if name in SHARED_TABLES
                  for row in rows]
        notify = [CHANNEL, str(group.next_position - 1)]
        event_rows = [(e.position, e.event_id, e.stream_id, e.stream_type, e.version, e.event_type, e.schema_version,
                       _json(e.data), _json(e.metadata), e.occurred_at, e.recorded_at, h)
                      for e, h in zip(group.events, group.hashes)]
        log_rows = [[self._log_seq + 1 + i] + [_json(v) if isinstance(v, (dict, list)) else v
                                               for v in (row.get(c) for c in LOG_COLUMNS)]
                    for i, row in enumerate(shared)]
        if len(event_rows) + len(log_rows) <= SMALL_WRITE:
            parts, params = [], []
            for table, columns, rows in (("events", EVENT_SCHEMA.names, event_rows),
                                         ("command_log", ["seq", *LOG_COLUMNS], log_rows)):
                if rows:
                    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
                    parts.append(f"{table}_new AS (INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 + ", ".join([marks] * len(rows)) + ")")
                    params += [v for row in rows for v in row]
            pg.execute(("WITH " + ", ".join(parts) + " " if parts else "") + "SELECT pg_notify(%s, %s)",
                       params + notify)
        else:
            for table, columns, rows in (("events", EVENT_SCHEMA.names, event_rows),
                                         ("command_log", ["seq", *LOG_COLUMNS], log_rows)):
                if rows:
                    with pg.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            pg.execute("SELECT pg_notify(%s, %s)", notify)
        self._log_seq += len(log_rows)

    def bulk_load(self, work: Callable[[duckdb.DuckDBPyConnection, int], int]) -> int:
        """Run ``work`` on the replica in a scratch transaction, copy the events it made to the server in one
        locked transaction, then pull them back (see :meth:`GroupCommitWriter.bulk_load`)."""
        with self._write_lock:
            self._flush_queue_locked()
            try:
                pg = self._connection()
                with pg.transaction():
                    self._pull_locked(pg, self._lock(pg))
                    start = self._next_position
                    table = self._scratch(work, start)
                    if table.num_rows:
                        with pg.cursor() as cur, cur.copy(
                                f"COPY events ({', '.join(EVENT_SCHEMA.names)}) FROM STDIN") as copy:
                            for row in zip(*(table.column(c).to_pylist() for c in EVENT_SCHEMA.names)):
                                copy.write_row(row)
                        pg.execute(pgsql.SQL("NOTIFY {}, {}").format(
                            pgsql.Identifier(CHANNEL), pgsql.Literal(str(start + table.num_rows - 1))))
            except psycopg.Error as e:
                raise unavailable(self.url, e, "written") from e
            finally:
                self._forget_heads()
            self._pull_locked()
            return table.num_rows

    def _scratch(self, work: Callable[[duckdb.DuckDBPyConnection, int], int], start: int) -> pa.Table:
        """The events ``work`` inserts from ``start`` on (hash chained), read back; the replica is left as it was."""
        from esengine.store import chain
        cur = self._cursor
        cur.execute("BEGIN TRANSACTION")
        try:
            n = work(cur, start)
            if n:
                chain.extend(cur, start)
            table = cur.sql(f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM events WHERE position >= {int(start)} "
                            "ORDER BY position").to_arrow_table()
            return table.cast(EVENT_SCHEMA)
        finally:
            cur.execute("ROLLBACK")

    # -- the replica --------------------------------------------------------------------------------
    def _connection(self) -> psycopg.Connection:
        if self._pg.closed or self._pg.broken:
            self._pg = connect(self.url, autocommit=True)
        return self._pg

    def _pull_locked(self, pg: psycopg.Connection | None = None, tail: tuple[int, int] | None = None) -> int:
        """Pull (under the write lock) from the server, on ``pg`` when inside its transaction (whose ``tail``,
        read with the lock, is then known)."""
        con = self._connection() if pg is None else pg
        try:
            pulled = self._pull_from(con, tail)
        except psycopg.Error as e:
            raise unavailable(self.url, e, "read") from e
        self.pulled_at = time.monotonic()
        return pulled

    def _pull_from(self, pg: psycopg.Connection, tail: tuple[int, int] | None) -> int:
        total = 0
        last, last_seq = tail or pg.execute(TAIL_SQL).fetchall()[0]
        self.remote_position = max(self.remote_position, last)
        while last > self._next_position - 1 or last_seq > self._log_seq:
            rows = pg.execute(EVENT_SELECT + " WHERE position > %s ORDER BY position LIMIT %s",
                              [self._next_position - 1, PULL_CHUNK]).fetchall() if last > self._next_position - 1 else []
            logs = pg.execute(f"SELECT seq, {', '.join(LOG_COLUMNS[:2])}, payload::text, "
                              f"{', '.join(LOG_COLUMNS[3:])} FROM command_log WHERE seq > %s ORDER BY seq",
                              [self._log_seq]).fetchall() if last_seq > self._log_seq else []
            if not rows and not logs:
                break
            self._in_transaction(functools.partial(self._apply, rows=rows, logs=logs))
            if rows:
                self._next_position, self._last_hash = rows[-1][0] + 1, rows[-1][11] or ""
                for row in rows:
                    self._heads.pop(row[2], None)  # its version moved: read again from the replica when asked
                self._heads_complete = False
            if logs:
                self._log_seq = logs[-1][0]
            total += len(rows)
        self.remote_position = max(self.remote_position, self._next_position - 1)
        return total

    def _apply(self, cur: duckdb.DuckDBPyConnection, rows: list[tuple], logs: list[tuple]) -> None:
        if rows:
            table = pa.table(dict(zip(EVENT_SCHEMA.names, (list(c) for c in zip(*rows)))), schema=EVENT_SCHEMA)
            cur.register("_pulled", table)
            try:
                cur.execute(f"INSERT INTO events ({', '.join(EVENT_SCHEMA.names)}) "
                            f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM _pulled")
            finally:
                cur.unregister("_pulled")
        if logs:
            insert_rows(cur, "command_log", [dict(zip(LOG_COLUMNS, row[1:])) for row in logs])
        if rows and self.hooks:
            names = EVENT_SCHEMA.names
            events = [StoredEvent.from_row(dict(zip(names, row))) for row in rows]
            for hook in self.hooks:
                hook.apply_in_transaction(cur, events)


class Listener:
    """A thread that pulls into the replica when another instance commits (LISTEN), or every
    :data:`POLL_SECONDS` when no notification comes (they are not durable: a reconnect can miss one)."""

    def __init__(self, writer: PostgresWriter, on_new: Callable[[], None] | None):
        self._writer, self._on_new = writer, on_new
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="esengine-pg-listener", daemon=True)
        self._con: psycopg.Connection | None = None
        self._stop_channel = f"esengine_stop_{os.getpid()}_{id(self)}"  # wakes only this listener, to stop it
        self.notifications = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:  # wake the thread from its wait for a notification
            with connect(self._writer.url, autocommit=True) as con:
                con.execute(pgsql.SQL("NOTIFY {}").format(pgsql.Identifier(self._stop_channel)))
        except StoreUnavailable:
            pass  # the server is gone: the thread's wait ends by its timeout
        self._thread.join(timeout=3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._con is None or self._con.closed:
                    self._con = connect(self._writer.url, autocommit=True)
                    for channel in (CHANNEL, self._stop_channel):
                        self._con.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(channel)))
                    self._catch_up()
                notes = self._notifications()
                self.notifications += len(notes)
                for note in notes:
                    if note.channel == CHANNEL and note.payload.isdigit():
                        self._writer.remote_position = max(self._writer.remote_position, int(note.payload))
                own = bool(notes) and all(n.pid == self._writer.backend_pid for n in notes)
                if not own and not self._stop.is_set():
                    self._catch_up()  # after another's commit, or every POLL_SECONDS without a notification
            except (StoreUnavailable, psycopg.Error) as e:
                log.info("listener: %s; retrying", e)
                self._close()
                self._stop.wait(POLL_SECONDS)
        self._close()

    def _notifications(self) -> list[Any]:
        """The next notification (waiting up to :data:`POLL_SECONDS`) and those that follow it within
        :data:`GATHER_SECONDS`: under a burst of commits one pull serves many of them."""
        assert self._con is not None
        notes = list(self._con.notifies(timeout=POLL_SECONDS, stop_after=1))
        deadline = time.monotonic() + 10 * GATHER_SECONDS
        while notes and not self._stop.is_set() and time.monotonic() < deadline:
            more = list(self._con.notifies(timeout=GATHER_SECONDS))
            if not more:
                break
            notes += more
        return notes

    def _catch_up(self) -> None:
        if self._writer.pull() and self._on_new is not None:
            self._on_new()

    def _close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except psycopg.Error:
                pass
            self._con = None


def _duplicate(error: Exception) -> bool:
    """Whether a write failed on a unique constraint (an event id already stored: perhaps a retry)."""
    return isinstance(error, (duckdb.ConstraintException, psycopg.errors.UniqueViolation))


def open_replica() -> duckdb.DuckDBPyConnection:
    """The instance's read side: an in-memory DuckDB, sealed like a file."""
    return duckdb.connect(":memory:", config=dict(SEALED))
