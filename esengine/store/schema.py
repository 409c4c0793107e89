"""The store's tables, created on first open; each release's changes are a numbered migration.

A step is SQL or a function of the connection (and the first position, for chain-style steps).
``schema_info`` records the version reached, so a later release runs only the migrations after it.
"""
from __future__ import annotations

from collections.abc import Callable

import duckdb

from esengine.errors import StoreUnavailable
from esengine.store import chain

SCHEMA_VERSION = 4

_MIGRATIONS: dict[int, list[str | Callable[[duckdb.DuckDBPyConnection, int], int]]] = {
    1: [
        """CREATE TABLE events (
            position       BIGINT    NOT NULL PRIMARY KEY,
            event_id       UUID      NOT NULL UNIQUE,
            stream_id      VARCHAR   NOT NULL,
            stream_type    VARCHAR   NOT NULL,
            version        INTEGER   NOT NULL,
            event_type     VARCHAR   NOT NULL,
            schema_version INTEGER   NOT NULL,
            data           JSON,
            metadata       JSON,
            occurred_at    TIMESTAMP NOT NULL,
            recorded_at    TIMESTAMP NOT NULL,
            UNIQUE (stream_id, version)
        )""",
        """CREATE TABLE snapshots (
            stream_id      VARCHAR   NOT NULL,
            stream_type    VARCHAR   NOT NULL,
            version        INTEGER   NOT NULL,
            state_schema   INTEGER   NOT NULL,
            state          JSON      NOT NULL,
            created_at     TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE checkpoints (
            projection     VARCHAR   NOT NULL,
            version        INTEGER   NOT NULL,
            position       BIGINT    NOT NULL,
            status         VARCHAR   NOT NULL,
            live           BOOLEAN   NOT NULL,
            error          VARCHAR,
            error_position BIGINT,
            updated_at     TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE command_log (
            command_id     VARCHAR   NOT NULL,
            command_type   VARCHAR   NOT NULL,
            payload        JSON,
            user_id        VARCHAR,
            correlation_id VARCHAR,
            stream_id      VARCHAR,
            outcome        VARCHAR   NOT NULL,
            error_kind     VARCHAR,
            message        VARCHAR,
            occurred_at    TIMESTAMP NOT NULL,
            recorded_at    TIMESTAMP NOT NULL
        )""",
    ],
    # 2: tamper evidence, a hash per event chained to the previous one (esengine.store.chain)
    2: [
        "ALTER TABLE events ADD COLUMN hash VARCHAR",
        chain.extend,
    ],
    # 3: the commit journal: its name (records carry it) and the last record whose rows are in the tables
    # (esengine.store.journal)
    3: [
        "CREATE TABLE journal_applied (journal VARCHAR NOT NULL, seq BIGINT NOT NULL)",
        "INSERT INTO journal_applied VALUES (CAST(uuid() AS VARCHAR), 0)",
    ],
    # 4: extra rows of a journaled commit that DuckDB refused after all (its events were written): kept, not lost
    4: [
        """CREATE TABLE journal_set_aside (
            journal      VARCHAR   NOT NULL,
            seq          BIGINT    NOT NULL,
            table_name   VARCHAR   NOT NULL,
            row_json     JSON      NOT NULL,
            error        VARCHAR   NOT NULL,
            set_aside_at TIMESTAMP NOT NULL
        )""",
    ],
}


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Create or upgrade the schema in place; returns the version reached.

    Raises :class:`StoreUnavailable` for a newer schema, or a file whose tables cannot be read or upgraded.
    """
    try:
        return _migrate(con)
    except duckdb.Error as e:
        raise StoreUnavailable(
            f"The database's tables cannot be read or upgraded ({type(e).__name__}: {str(e).splitlines()[0]}). "
            "The file may be damaged or made by another program: restore a copy, or choose another file.") from e


def _migrate(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS schema_info (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_info").fetchall()[0][0]
    if current > SCHEMA_VERSION:
        raise StoreUnavailable(
            f"This database has schema version {current}, newer than this release understands "
            f"({SCHEMA_VERSION}). Open it with a newer esengine, or choose another database file.")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            for step in _MIGRATIONS[version]:
                if callable(step):
                    step(con, 1)
                else:
                    con.execute(step)
            con.execute("INSERT INTO schema_info VALUES (?, now()::TIMESTAMP)", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
