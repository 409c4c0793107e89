"""Whether DuckDB will take a row, checked in Python before a journaled commit is acknowledged.

A journaled commit is acknowledged before DuckDB sees its extra rows (command log, snapshots, rows a caller
adds), so a value DuckDB would refuse must be caught here: else the applier could never write the commit. The
common column types are checked exactly (a whole number in range, text, JSON that DuckDB can parse, a time);
columns of other types are left to DuckDB.
"""
from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_SIGNED = {"TINYINT": 8, "SMALLINT": 16, "INTEGER": 32, "BIGINT": 64, "HUGEINT": 128}
_UNSIGNED = {"UTINYINT": 8, "USMALLINT": 16, "UINTEGER": 32, "UBIGINT": 64, "UHUGEINT": 128}
_TIMES = {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"}

CATALOG_SQL = ("SELECT table_name, column_name, data_type, is_nullable, column_default IS NOT NULL, numeric_precision, "
               "numeric_scale FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'")


@dataclass(frozen=True)
class Column:
    """A column as DuckDB declares it."""

    name: str
    type: str
    nullable: bool = True
    has_default: bool = False
    precision: int | None = None
    scale: int | None = None


def catalog(cur) -> dict[str, dict[str, Column]]:
    """Every table of the main schema with its columns."""
    tables: dict[str, dict[str, Column]] = {}
    for table, name, kind, nullable, default, precision, scale in cur.execute(CATALOG_SQL).fetchall():
        tables.setdefault(table, {})[name] = Column(name, kind, nullable, default, precision, scale)
    return tables


_SURROGATE_ESCAPE = re.compile(r"\\ud[89a-f]", re.IGNORECASE)  # how json.dumps writes half of a UTF-16 pair


def json_text_refusal(text: str) -> str | None:
    """Why DuckDB would refuse JSON text that Python wrote (``json.dumps``), or None. A half of a UTF-16
    surrogate pair without its other half is not text; DuckDB's JSON parser refuses it (emoji come in pairs)."""
    if not _SURROGATE_ESCAPE.search(text):
        return None
    try:
        json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "holds half of a UTF-16 surrogate pair without the other half, which is not text"
    return None


def is_text(value: Any) -> bool:
    """A str DuckDB can store: UTF-8 has no place for half of a surrogate pair."""
    if not isinstance(value, str):
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_a_constant(text: str) -> None:
    raise ValueError(f"{text} is not JSON")


def misfit(column: Column, value: Any) -> str | None:
    """What is wrong with ``value`` for ``column`` in words, or None when DuckDB will take it."""
    if value is None:
        return None if column.nullable else "needs a value"
    kind = column.type
    if kind in _SIGNED or kind in _UNSIGNED:
        bits = _SIGNED.get(kind) or _UNSIGNED[kind]
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if kind in _SIGNED else (0, 2 ** bits - 1)
        if isinstance(value, int) and low <= value <= high:
            return None
        return f"takes a whole number from {low:,} to {high:,}"
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return None if isinstance(value, (int, float, Decimal)) else "takes a number"
    if kind.startswith("DECIMAL"):
        whole = (column.precision or 18) - (column.scale or 0)
        if isinstance(value, (int, float, Decimal)) and abs(value) < 10 ** whole:
            return None
        return f"takes a number below {10 ** whole:,}"
    if kind == "BOOLEAN":
        return None if isinstance(value, bool) else "takes true or false"
    if kind == "VARCHAR":
        return None if is_text(value) else "takes text"
    if kind == "JSON":
        if isinstance(value, (dict, list)):
            return json_text_refusal(json.dumps(value, default=str))
        try:
            json.loads(value, parse_constant=_not_a_constant)
        except (TypeError, ValueError):
            return "takes JSON text (no NaN or Infinity), a dict or a list"
        return json_text_refusal(value)
    if kind in _TIMES:
        return None if isinstance(value, datetime) else "takes a date and time"
    if kind == "DATE":
        return None if isinstance(value, date) and not isinstance(value, datetime) else "takes a date"
    if kind == "UUID":
        if isinstance(value, uuid.UUID):
            return None
        try:
            uuid.UUID(str(value))
            return None
        except ValueError:
            return "takes a UUID"
    return None  # a type not modelled here: DuckDB decides


def row_refusal(table: str, columns: dict[str, Column], row: dict[str, Any]) -> str | None:
    """Why DuckDB would refuse ``row`` for ``table``, in a sentence, or None. Every column of the row is known."""
    for name, column in columns.items():
        if name not in row and not column.nullable and not column.has_default:
            return f"the column '{name}' of '{table}' needs a value and the row has none"
    for name, value in row.items():
        problem = misfit(columns[name], value)
        if problem:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            return f"the column '{name}' of '{table}' {problem}, not {shown}"
    return None
