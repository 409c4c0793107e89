"""Row-by-row comparison of two read-model tables: rows only in one side, and changed cells with both values.

The tables may have different columns (version 1 against version 2): the columns both have are
compared, the others are listed. JSON columns are compared as parsed JSON, not as text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from esengine.errors import EsEngineError


@dataclass
class Comparison:
    """What differs between a left and a right read-model table, keyed by ``key``."""

    left: str
    right: str
    key: str
    left_rows: int
    right_rows: int
    only_left_count: int
    only_right_count: int
    changed_rows_count: int
    only_left: pd.DataFrame
    only_right: pd.DataFrame
    changed: pd.DataFrame  # long form: key, column, left, right
    changed_per_column: dict[str, int] = field(default_factory=dict)
    compared_columns: list[str] = field(default_factory=list)
    columns_only_left: list[str] = field(default_factory=list)
    columns_only_right: list[str] = field(default_factory=list)

    @property
    def same_rows(self) -> int:
        return self.left_rows - self.only_left_count - self.changed_rows_count

    @property
    def identical(self) -> bool:
        """True when both sides hold the same keys with the same values in every shared column."""
        return not (self.only_left_count or self.only_right_count or self.changed_rows_count)


def _columns(cur: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                       "ORDER BY ordinal_position", [table]).fetchall()
    if not rows:
        raise EsEngineError(f"The table {table} does not exist: build that side first (rebuild or replay).")
    return dict(rows)


def _value(alias: str, column: str, kind: str, cast: bool) -> str:
    ref = f'{alias}."{column}"'
    if kind == "JSON":
        return f"json({ref})"
    return f"CAST({ref} AS VARCHAR)" if cast else ref


def compare_tables(cur: duckdb.DuckDBPyConnection, left: str, right: str, key: str, limit: int = 500) -> Comparison:
    """Compare table ``left`` with table ``right`` on ``key``; the frames hold at most ``limit`` rows each."""
    lcols, rcols = _columns(cur, left), _columns(cur, right)
    if key not in lcols or key not in rcols:
        raise EsEngineError(f"Both tables need the key column '{key}' to be compared row by row.")
    common = [c for c in lcols if c in rcols and c != key]
    counts = cur.execute(f'SELECT (SELECT count(*) FROM "{left}"), (SELECT count(*) FROM "{right}"), '
                         f'(SELECT count(*) FROM "{left}" l ANTI JOIN "{right}" r ON l."{key}" = r."{key}"), '
                         f'(SELECT count(*) FROM "{right}" r ANTI JOIN "{left}" l ON l."{key}" = r."{key}")'
                         ).fetchall()[0]
    only_left = cur.execute(f'SELECT l.* FROM "{left}" l ANTI JOIN "{right}" r ON l."{key}" = r."{key}" '
                            f'ORDER BY l."{key}" LIMIT ?', [limit]).df()
    only_right = cur.execute(f'SELECT r.* FROM "{right}" r ANTI JOIN "{left}" l ON l."{key}" = r."{key}" '
                             f'ORDER BY r."{key}" LIMIT ?', [limit]).df()
    per_column: dict[str, int] = {}
    changed_rows = 0
    changed = pd.DataFrame(columns=["key", "column", "left", "right"])
    if common:
        pairs = []
        for i, c in enumerate(common):
            cast = lcols[c] != rcols[c]
            lv, rv = _value("l", c, lcols[c], cast), _value("r", c, rcols[c], cast)
            pairs.append(f'CAST({lv} AS VARCHAR) AS l{i}, CAST({rv} AS VARCHAR) AS r{i}, '
                         f'({lv} IS DISTINCT FROM {rv}) AS d{i}')
        joined = (f'SELECT l."{key}" AS k, {", ".join(pairs)} FROM "{left}" l JOIN "{right}" r '
                  f'ON l."{key}" = r."{key}"')
        flags = " OR ".join(f"d{i}" for i in range(len(common)))
        sums = ", ".join(f"count(*) FILTER (WHERE d{i})" for i in range(len(common)))
        stats = cur.execute(f"WITH j AS ({joined}) SELECT count(*) FILTER (WHERE {flags}), {sums} FROM j").fetchall()[0]
        changed_rows = stats[0]
        per_column = {c: n for c, n in zip(common, stats[1:]) if n}
        cells = " UNION ALL ".join(f"SELECT CAST(k AS VARCHAR) AS key, '{c}' AS \"column\", l{i} AS \"left\", "
                                   f"r{i} AS \"right\", {i} AS ord FROM j WHERE d{i}"
                                   for i, c in enumerate(common) if c in per_column)
        if cells:
            changed = cur.execute(f"WITH j AS ({joined}) SELECT key, \"column\", \"left\", \"right\" FROM ({cells}) "
                                  "ORDER BY key, ord LIMIT ?", [limit]).df()
    return Comparison(left, right, key, counts[0], counts[1], counts[2], counts[3], changed_rows,
                      only_left, only_right, changed, per_column, common,
                      [c for c in lcols if c not in rcols], [c for c in rcols if c not in lcols])
