"""Staging an import: the file's batches into a temporary table (``_import_raw``), and the columns it holds.

The temporary tables of an import live inside the writer's transaction, so a refusal rolls them back with
everything else: ``RAW`` (the file's rows as read), ``EVENTS`` (one candidate event per row, see
:mod:`.expressions`) and ``KEYS`` (versions, ids and places in the log, see :mod:`.placing`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from esengine.errors import ImportRejected
from esengine.interchange.readers import LINE, ROW, Source, read_batches

RAW, EVENTS, KEYS = "_import_raw", "_import_events", "_import_keys"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def json_path(key: str) -> str:
    """The JSON path of a top-level key, whatever characters it holds."""
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stage(cur: duckdb.DuckDBPyConnection, source: Source, progress: Callable[[float, str], None]) -> int:
    """Read the file batch by batch into ``RAW``; returns how many rows it holds (0: no events)."""
    rows = 0
    size = max(source.size, 1)
    for batch in read_batches(source, lambda done, total: progress(0.6 * done / size, "Reading the file")):
        cur.register("_import_batch", batch)
        try:
            if rows == 0:
                cur.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM _import_batch LIMIT 0")
            cur.execute(f"INSERT INTO {RAW} BY NAME SELECT * FROM _import_batch")
        except duckdb.Error as e:
            line = batch.column(ROW)[0].as_py()
            raise ImportRejected(f"The rows from line {line} on do not fit the ones before them ({e}).",
                                 line=line) from e
        finally:
            cur.unregister("_import_batch")
        rows += batch.num_rows
    if rows == 0:
        raise ImportRejected(f"The file '{source.name}' holds no events (only a header, or blank).",
                             line=2 if source.fmt == "csv" else 1)
    return rows


@dataclass
class Staged:
    """What the staged rows hold: the file's columns (for JSON rows, the keys in order of appearance),
    the staged table's column types, and whether each row is one JSON text (``_line``)."""

    columns: list[str]
    types: dict[str, str]
    json: bool


def staged_columns(cur: duckdb.DuckDBPyConnection) -> Staged:
    """The columns of ``RAW``; JSON rows that are not objects are refused with their line."""
    described = cur.execute(f"DESCRIBE {RAW}").fetchall()
    types = {r[0]: r[1] for r in described}
    if LINE not in types:
        return Staged([r[0] for r in described if r[0] != ROW], types, False)
    bad = cur.execute(f"SELECT {ROW}, {LINE} FROM {RAW} WHERE NOT json_valid({LINE}) "
                      f"ORDER BY {ROW} LIMIT 1").fetchall()
    if not bad:
        bad = cur.execute(f"SELECT {ROW}, {LINE} FROM {RAW} WHERE json_type({LINE}::JSON) <> 'OBJECT' "
                          f"ORDER BY {ROW} LIMIT 1").fetchall()
    if bad:
        raise ImportRejected(f"This line is not a JSON object: {bad[0][1][:120]!r}. Each line (or each item "
                             "of a JSON array) must be one event as a JSON object.", line=bad[0][0])
    keys = [r[0] for r in cur.execute(
        f"SELECT k FROM (SELECT unnest(json_keys({LINE}::JSON)) AS k, {ROW} FROM {RAW}) "
        "GROUP BY k ORDER BY min(" + ROW + ")").fetchall()]
    return Staged(keys, types, True)
