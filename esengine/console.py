"""The sealed, read-only SQL console over the store: ``events`` and the read-model tables.

Four locks, each enough on its own for most attempts, together for all of them:

1. the text must parse as exactly one statement, and that statement must be a SELECT (DuckDB's own
   parser says so: ``duckdb.extract_statements``), so INSERT, DROP, COPY, ATTACH, SET, PRAGMA, CALL...
   are refused before anything runs;
2. the parsed query may not call functions that touch files, the network or the store's state
   (``read_csv``, ``glob``, ``checkpoint``, ``nextval``...);
3. it runs in a ``READ ONLY`` transaction on its own cursor, rolled back afterwards;
4. the engine's connection is opened with ``enable_external_access=false`` and locked settings, so
   even a function we did not list cannot read or write a file, load an extension or change a setting.

A timer interrupts a query that runs longer than its limit. The same function serves the Temporal
queries page and ``python -m esengine query``.
"""
from __future__ import annotations

import json
import re
import threading
from typing import Any, Iterator

import duckdb
import pandas as pd
import pyarrow as pa

from esengine.errors import QueryRejected

# Functions refused by name even though the sealed connection would stop most of them: the message is
# clearer, and a future DuckDB function that reads files is likely to follow these names.
_FORBIDDEN_FUNCTIONS = {
    "glob", "sniff_csv", "query", "query_table", "checkpoint", "force_checkpoint", "nextval", "setseed",
    "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata", "parquet_bloom_probe",
    "json_execute_serialized_sql", "install", "load", "attach", "detach", "copy",
}
_FORBIDDEN_PATTERN = re.compile(r"^(read_|.*_scan$|.*_read$|.*_attach|sqlite_|postgres_|mysql_|iceberg_|delta_)")

EXAMPLES: dict[str, str] = {
    "Events per type": "SELECT event_type, count(*) AS events\nFROM events\nGROUP BY event_type\nORDER BY events DESC",
    "Events per day": ("SELECT date_trunc('day', occurred_at) AS day, count(*) AS events\nFROM events\n"
                       "GROUP BY day\nORDER BY day"),
    "Latest event of every stream as of a moment": (
        "-- the moment: halfway through the history (or write TIMESTAMP '2026-03-01 12:00:00')\n"
        "SELECT stream_id, stream_type, version, event_type, occurred_at\nFROM events\n"
        "WHERE occurred_at <= (SELECT min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2 FROM events)\n"
        "QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) = 1\nORDER BY stream_id"),
    "Streams created in the last 30 days of the history": (
        "SELECT stream_id, stream_type, occurred_at AS created_at\nFROM events\n"
        "WHERE version = 1\n  AND occurred_at > (SELECT max(occurred_at) - INTERVAL 30 DAY FROM events)\n"
        "ORDER BY occurred_at"),
    "Every price a product had": (
        "SELECT stream_id, occurred_at, event_type,\n"
        "       coalesce(data->>'new_price', data->>'price') AS price\nFROM events\n"
        "WHERE stream_type = 'product' AND event_type IN ('ProductAdded', 'ProductPriceChanged')\n"
        "ORDER BY stream_id, version"),
    "Longest streams": ("SELECT stream_id, stream_type, max(version) AS events\nFROM events\n"
                        "GROUP BY ALL\nORDER BY events DESC\nLIMIT 20"),
    "Commands refused, by reason": (
        "SELECT command_type, error_kind, count(*) AS refused\nFROM command_log\n"
        "WHERE outcome = 'refused'\nGROUP BY ALL\nORDER BY refused DESC"),
    "Tables you can query": "SHOW TABLES",
}
"""Example queries for the questions the Temporal queries page answers (name -> SQL)."""

_WHAT = {
    "INSERT": "INSERT adds rows", "UPDATE": "UPDATE changes rows", "DELETE": "DELETE removes rows",
    "CREATE": "CREATE makes new objects", "DROP": "DROP removes objects", "ALTER": "ALTER changes a table",
    "COPY": "COPY reads or writes files", "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH closes a database", "LOAD": "INSTALL and LOAD add extensions",
    "SET": "SET and USE change settings", "PRAGMA": "PRAGMA changes or reads settings",
    "EXPORT": "EXPORT writes files", "CALL": "CALL runs a procedure", "TRANSACTION": "transactions are managed here",
    "VACUUM": "VACUUM and ANALYZE rewrite the store", "MULTI": "this statement (e.g. PIVOT) runs several",
}


def run_query(engine, sql: str, max_rows: int = 10_000, timeout_s: float = 10.0) -> pd.DataFrame:
    """Run one read-only SELECT on the store and return at most ``max_rows`` rows.

    ``result.attrs["truncated"]`` is True when the query had more rows than ``max_rows``.
    Raises :class:`~esengine.errors.QueryRejected` with a plain message when the query is not a single
    SELECT, uses a forbidden function, fails, or runs longer than ``timeout_s`` seconds; the store is
    unchanged in every case.
    """
    text = check_query(sql)
    cur = engine.connection.cursor()
    timer = threading.Timer(timeout_s, cur.interrupt)
    try:
        cur.execute("BEGIN TRANSACTION READ ONLY")
        timer.start()
        table = _fetch(cur, text, max_rows)
    except duckdb.Error as e:
        raise _rejection(e, timeout_s) from e
    finally:
        timer.cancel()
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the transaction may already be gone after an interrupt; nothing was written anyway
        cur.close()
    frame = table.slice(0, max_rows).to_pandas()
    frame.attrs["truncated"] = table.num_rows > max_rows
    return frame


def check_query(sql: str) -> str:
    """The query's text if it is one SELECT that calls no forbidden function; else ``QueryRejected``."""
    if not sql or not sql.strip():
        raise QueryRejected("The query is empty. Type a SELECT query, or pick one of the examples.")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryRejected(f"The query could not be read: {_first_line(e)}. Check the SQL syntax.") from e
    if len(statements) != 1:
        raise QueryRejected(f"The console runs one statement at a time; this text holds {len(statements)}. "
                            "Remove the others (and the semicolons between them).")
    kind = statements[0].type.name
    if kind != "SELECT":
        what = _WHAT.get(kind, f"{kind} statements are not queries")
        raise QueryRejected(f"Only reading queries (SELECT, WITH ... SELECT, FROM ...) are allowed here: "
                            f"{what}, and the console never changes the store, its files or its settings.")
    names = _function_names(statements[0].query)
    bad = sorted(n for n in names if n in _FORBIDDEN_FUNCTIONS or _FORBIDDEN_PATTERN.match(n))
    if bad:
        raise QueryRejected(f"The function {', '.join(bad)} is not allowed in the console: it reads files, "
                            "other databases or changes state. Query the tables instead (`events` and the "
                            "read models); to load a file, use the Import & export page.")
    return statements[0].query


def _function_names(query: str) -> set[str]:
    """Every function and table function the parsed query calls (lower case)."""
    con = duckdb.connect(config={"enable_external_access": False})
    try:
        serialized = json.loads(con.execute("SELECT json_serialize_sql(?)", [query]).fetchall()[0][0])
    except duckdb.Error:
        return set()  # not serializable (SHOW, DESCRIBE...): the read-only transaction still guards it
    finally:
        con.close()
    return {n.lower() for n in _walk(serialized)}


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str):
            yield name
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _fetch(cur: duckdb.DuckDBPyConnection, text: str, max_rows: int) -> pa.Table:
    # A relation with a LIMIT lets DuckDB stop early instead of materialising every row.
    return cur.sql(text).limit(max_rows + 1).to_arrow_table()


def _rejection(error: duckdb.Error, timeout_s: float) -> QueryRejected:
    message = _first_line(error)
    if isinstance(error, duckdb.InterruptException) or "INTERRUPT" in message.upper():
        return QueryRejected(f"The query was stopped after {timeout_s:g} seconds, its time limit. "
                             "Narrow it down (a WHERE on occurred_at or stream_type, a LIMIT) and try again.")
    if isinstance(error, duckdb.PermissionException):
        return QueryRejected("The console cannot read or write files or reach the network. "
                             "Query the tables instead; to load a file, use the Import & export page.")
    if isinstance(error, duckdb.TransactionException) and "read-only" in message:
        return QueryRejected("The console is read-only: this query would change the store.")
    if isinstance(error, duckdb.CatalogException):
        return QueryRejected(f"{message.rstrip('!.')}. Run SHOW TABLES or DESCRIBE events to see what can be queried.")
    return QueryRejected(f"The query failed: {message}")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
