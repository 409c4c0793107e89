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
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
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
    """A column as DuckDB declares it; ``check`` says what is wrong with a value for it (None: DuckDB takes it)."""

    name: str
    type: str
    nullable: bool = True
    has_default: bool = False
    precision: int | None = None
    scale: int | None = None

    @cached_property
    def check(self) -> Callable[[Any], str | None]:
        return _checker(self)


@dataclass(frozen=True)
class Table:
    """A table's columns, and those a row must give (NOT NULL without a default)."""

    columns: dict[str, Column]

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(n for n, c in self.columns.items() if not c.nullable and not c.has_default)


def catalog(cur) -> dict[str, Table]:
    """Every table of the main schema with its columns."""
    tables: dict[str, dict[str, Column]] = {}
    for table, name, kind, nullable, default, precision, scale in cur.execute(CATALOG_SQL).fetchall():
        tables.setdefault(table, {})[name] = Column(name, kind, nullable, default, precision, scale)
    return {name: Table(columns) for name, columns in tables.items()}


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


def _checker(column: Column) -> Callable[[Any], str | None]:
    """The check of one column, chosen once per column (a commit checks every value of its rows)."""
    kind, none = column.type, None if column.nullable else "needs a value"

    def typed(accepts: Callable[[Any], bool], said: str) -> Callable[[Any], str | None]:
        return lambda value: none if value is None else (None if accepts(value) else said)

    if kind in _SIGNED or kind in _UNSIGNED:
        bits = _SIGNED.get(kind) or _UNSIGNED[kind]
        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if kind in _SIGNED else (0, 2 ** bits - 1)
        return typed(lambda v: isinstance(v, int) and low <= v <= high, f"takes a whole number from {low:,} to {high:,}")
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return typed(lambda v: isinstance(v, (int, float, Decimal)), "takes a number")
    if kind.startswith("DECIMAL"):
        below = 10 ** ((column.precision or 18) - (column.scale or 0))
        return typed(lambda v: isinstance(v, (int, float, Decimal)) and abs(v) < below, f"takes a number below {below:,}")
    if kind == "BOOLEAN":
        return typed(lambda v: isinstance(v, bool), "takes true or false")
    if kind == "VARCHAR":
        return typed(is_text, "takes text")
    if kind == "JSON":
        return lambda value: none if value is None else _json_misfit(value)
    if kind in _TIMES:
        return typed(lambda v: isinstance(v, datetime), "takes a date and time")
    if kind == "DATE":
        return typed(lambda v: isinstance(v, date) and not isinstance(v, datetime), "takes a date")
    if kind == "UUID":
        return typed(_is_uuid, "takes a UUID")
    return lambda value: none if value is None else None  # a type not modelled here: DuckDB decides


def _json_misfit(value: Any) -> str | None:
    if isinstance(value, (dict, list)):
        return json_text_refusal(json.dumps(value, default=str))
    try:
        json.loads(value, parse_constant=_not_a_constant)
    except (TypeError, ValueError):
        return "takes JSON text (no NaN or Infinity), a dict or a list"
    return json_text_refusal(value)


def _is_uuid(value: Any) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def row_refusal(name: str, table: Table, row: dict[str, Any]) -> str | None:
    """Why DuckDB would refuse ``row`` for the table ``name``, in a sentence, or None. Every column of the row
    is known."""
    for column in table.required:
        if column not in row:
            return f"the column '{column}' of '{name}' needs a value and the row has none"
    columns = table.columns
    for column, value in row.items():
        problem = columns[column].check(value)
        if problem:
            shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
            return f"the column '{column}' of '{name}' {problem}, not {shown}"
    return None
