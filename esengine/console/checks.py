"""What the console lets through: one SELECT, calling no function that touches files, state or settings.

DuckDB's own parser decides: ``extract_statements`` gives the statement's type and
``json_serialize_sql`` its tree, from which we read every function, table function and table it names.
Table functions are allowed from a short list (they are the ones that read files or show the
database's internals); other functions are refused by name.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterator

import duckdb

from esengine.errors import QueryRejected

# Functions refused by name even though the sealed worker would stop most of them: the message is
# clearer, and a future DuckDB function that reads files is likely to follow these names.
_STATE_FUNCTIONS = {
    "glob", "sniff_csv", "query", "query_table", "checkpoint", "force_checkpoint", "nextval", "setseed",
    "json_execute_serialized_sql", "install", "load", "attach", "detach", "copy",
}
_STATE_PATTERN = re.compile(r"^(read_|parquet_|.*_scan$|.*_read$|.*_attach|sqlite_|postgres_|mysql_|iceberg_|delta_)")
# Functions that show where the app's files are or how it is configured.
_SETTINGS_FUNCTIONS = {
    "current_setting", "getenv", "getvariable", "duckdb_settings", "duckdb_databases", "duckdb_extensions",
    "duckdb_secrets", "which_secret", "duckdb_temporary_files", "duckdb_memory", "duckdb_external_file_cache",
    "duckdb_logs", "duckdb_logs_parsed", "duckdb_log_contexts", "duckdb_variables", "duckdb_profiling_settings",
    "extension_versions", "enable_profile", "disable_profile", "current_query",
}
_SETTINGS_PATTERN = re.compile(r"^(pragma_|duckdb_|.*_settings?$|.*_secrets?$|.*_director(y|ies)$)")
# The table functions a console query may call (functions on values, and the catalog of its tables).
_TABLE_FUNCTIONS = {
    "range", "generate_series", "unnest", "json_each", "json_tree", "repeat", "repeat_row",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_types", "duckdb_functions", "duckdb_keywords",
    "duckdb_constraints", "duckdb_indexes", "duckdb_schemas", "pragma_table_info", "pg_timezone_names",
    "icu_calendar_names",
}

_WHAT = {
    "INSERT": "INSERT adds rows", "UPDATE": "UPDATE changes rows", "DELETE": "DELETE removes rows",
    "CREATE": "CREATE makes new objects", "DROP": "DROP removes objects", "ALTER": "ALTER changes a table",
    "COPY": "COPY reads or writes files", "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH closes a database", "LOAD": "INSTALL and LOAD add extensions",
    "SET": "SET and USE change settings", "PRAGMA": "PRAGMA changes or reads settings",
    "EXPORT": "EXPORT writes files", "CALL": "CALL runs a procedure", "TRANSACTION": "transactions are managed here",
    "VACUUM": "VACUUM and ANALYZE rewrite the store", "MULTI": "this statement (e.g. PIVOT) runs several",
}


@dataclass(frozen=True)
class CheckedQuery:
    text: str
    tables: frozenset[str]
    """The names the query reads from (lower case): the store's tables among them are the ones it needs."""


def check_query(sql: str) -> str:
    """The query's text if it is one SELECT that calls no forbidden function; else ``QueryRejected``."""
    return checked(sql).text


def checked(sql: str) -> CheckedQuery:
    """The query's text and the tables it names, or ``QueryRejected`` with a plain reason."""
    if not sql or not sql.strip():
        raise QueryRejected("The query is empty. Type a SELECT query, or pick one of the examples.")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryRejected(f"The query could not be read: {first_line(e)}. Check the SQL syntax.") from e
    if len(statements) != 1:
        raise QueryRejected(f"The console runs one statement at a time; this text holds {len(statements)}. "
                            "Remove the others (and the semicolons between them).")
    kind = statements[0].type.name
    if kind != "SELECT":
        what = _WHAT.get(kind, f"{kind} statements are not queries")
        raise QueryRejected(f"Only reading queries (SELECT, WITH ... SELECT, FROM ...) are allowed here: "
                            f"{what}, and the console never changes the store, its files or its settings.")
    text = statements[0].query
    functions, table_functions, tables = _names(_tree(text))
    _refuse_calls(functions | table_functions | tables, table_functions | (tables & _known_table_functions()))
    return CheckedQuery(text, frozenset(tables))


def _refuse_calls(called: set[str], table_functions: set[str]) -> None:
    """``called``: every name the query calls or reads; ``table_functions``: those that are table functions."""
    touching = sorted(n for n in called if n in _STATE_FUNCTIONS or _STATE_PATTERN.match(n))
    if touching:
        raise QueryRejected(f"The function {', '.join(touching)} is not allowed in the console: it reads files, "
                            "other databases or changes state. Query the tables instead (`events` and the "
                            "read models); to load a file, use the Import & export page.")
    revealing = sorted(n for n in called if n not in _TABLE_FUNCTIONS
                       and (n in _SETTINGS_FUNCTIONS or _SETTINGS_PATTERN.match(n) or n in table_functions))
    if revealing:
        raise QueryRejected(f"The function {', '.join(revealing)} is not allowed in the console: the console "
                            "shows the store's tables, not the app's settings, files or internals. Query the "
                            "tables instead (`events`, the read models; SHOW TABLES lists them).")


_PARSERS = threading.local()


def _tree(text: str) -> Any:
    if not hasattr(_PARSERS, "con"):  # one scratch connection per thread: opening one costs more than parsing
        _PARSERS.con = duckdb.connect(config={"enable_external_access": False})
    tree = json.loads(_PARSERS.con.execute("SELECT json_serialize_sql(?)", [text]).fetchall()[0][0])
    if tree.get("error"):
        raise QueryRejected(f"The console cannot check this query ({tree.get('error_message', 'unknown form')}). "
                            "Write it as a plain SELECT ... FROM ... query.")
    return tree


def _names(tree: Any) -> tuple[set[str], set[str], set[str]]:
    """Functions, table functions and tables the tree names (lower case)."""
    functions, table_functions, tables, ctes = set[str](), set[str](), set[str](), set[str]()
    for node in _nodes(tree):
        ctes.update(entry["key"].lower() for entry in (node.get("cte_map") or {}).get("map", []))
        if isinstance(node.get("function_name"), str):
            functions.add(node["function_name"].lower())
        if node.get("type") == "TABLE_FUNCTION":
            table_functions.add(str(node.get("function", {}).get("function_name", "")).lower())
        if node.get("type") in ("BASE_TABLE", "SHOW_REF") and node.get("table_name"):
            tables.add(node["table_name"].strip('"').lower())
    return functions - table_functions, table_functions, tables - ctes


def _nodes(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


_TABLE_FUNCTION_NAMES: set[str] = set()


def _known_table_functions() -> set[str]:
    """DuckDB's table functions, which a bare name in FROM can call (``FROM duckdb_settings``)."""
    if not _TABLE_FUNCTION_NAMES:
        _TABLE_FUNCTION_NAMES.update(r[0] for r in duckdb.connect(config={"enable_external_access": False}).execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'table'").fetchall())
    return _TABLE_FUNCTION_NAMES - _TABLE_FUNCTIONS


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
