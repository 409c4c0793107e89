"""The store's tables as Arrow IPC files in a private directory, for the console's worker to map.

A table is written when a query first names it and again only when the store has changed since:
``events`` is append-only, so only its new positions are written (one more file); any other table
(read models, the command log, checkpoints) is rewritten when the store's change mark moves: the last
position, the projections' checkpoints, the command log's and snapshots' row counts or the table list.
Every other table gets an empty file with its columns, so ``SHOW TABLES`` and ``DESCRIBE`` still see it.
UUID and JSON columns keep their types (DuckDB writes them as plain strings unless told otherwise).
"""
from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from pyarrow import ipc

_MARK = """SELECT (SELECT coalesce(max(position), 0) FROM events),
                  (SELECT count(*) FROM command_log), (SELECT count(*) FROM snapshots),
                  (SELECT list((projection, version, position, status, live, updated_at) ORDER BY projection, version)
                   FROM checkpoints)"""
_COLUMNS = """SELECT table_name, list((column_name, data_type) ORDER BY column_index)
              FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main'
              GROUP BY table_name"""
_MAX_FILES = 8
_MAX_DERIVED = 16
_RETIRED_KEPT_S = 60.0
_KEPT_TYPES = ("UUID", "JSON")  # the types the Arrow round trip would turn into strings


@dataclass
class _Table:
    columns: tuple
    paths: list[str] = field(default_factory=list)
    mark: object = None  # the store's change mark (or, for events, the last position) the files hold


class TableFiles:
    """Arrow files of the store's tables in ``directory``, one writer at a time."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, directory: Path,
                 drain: Callable[[], None] = lambda: None):
        self._connection = connection
        self._drain = drain  # waits until the store holds every acknowledged commit
        self._directory = directory
        self._tables: dict[str, _Table] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._retired: list[tuple[float, str]] = []
        self._derived: dict[str, _Table] = {}  # tables the engine builds (as-of relations), newest last

    def derived(self, name: str, mark: object, build: Callable[[], pa.Table]) -> list[str]:
        """The file of a table the engine derives (a table as of a moment), built again only when ``mark`` (the
        store's last position) moved; the least recently used beyond ``_MAX_DERIVED`` are let go."""
        with self._lock:
            kept = self._derived.pop(name, None)
            if kept is not None and kept.mark == mark:
                self._derived[name] = kept
                return list(kept.paths)
        table = build()  # outside the lock: other queries go on meanwhile
        path = str(self._directory / f"t{next(self._numbers)}.arrow")
        with ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
        with self._lock:
            if kept is not None:
                self._retire(kept.paths)
            self._derived[name] = _Table((), [path], mark)
            while len(self._derived) > _MAX_DERIVED:
                self._retire(self._derived.pop(next(iter(self._derived))).paths)
        return [path]

    def files(self, names: set[str] | None) -> dict[str, list[str]]:
        """Every table's files, with current data for the tables in ``names`` (all when None)."""
        self._drain()
        with self._lock:
            self._sweep()
            cur = self._connection.cursor()
            try:
                cur.execute("BEGIN TRANSACTION READ ONLY")  # one consistent view for the mark and the rows
                self._refresh(cur, names)
                cur.execute("ROLLBACK")
            finally:
                cur.close()
            return {name: list(table.paths) for name, table in self._tables.items()}

    def _refresh(self, cur: duckdb.DuckDBPyConnection, names: set[str] | None) -> None:
        columns = {name: tuple(cols) for name, cols in cur.execute(_COLUMNS).fetchall()}
        for name in set(self._tables) - set(columns):
            self._drop(name)
        mark = cur.execute(_MARK).fetchall()[0]
        for name, cols in columns.items():
            table = self._tables.get(name)
            if table is None or table.columns != cols:
                if table is not None:
                    self._drop(name)
                table = self._tables[name] = _Table(cols, [self._write(cur, name, cols, "LIMIT 0")])
            if names is None or name in names:
                self._bring_up_to_date(cur, name, table, mark)

    def _bring_up_to_date(self, cur, name: str, table: _Table, mark: tuple) -> None:
        if name == "events":
            last = table.mark if isinstance(table.mark, int) else 0
            if mark[0] > last:
                table.paths.append(self._write(cur, name, table.columns, f"WHERE position > {int(last)}"))
                table.mark = mark[0]
            if len(table.paths) > _MAX_FILES:  # commands add small files; keep few open in the worker
                table.paths[2:] = [self._merge(table.paths[2:])]
        elif table.mark != mark:
            old, table.paths = table.paths, [self._write(cur, name, table.columns, "")]
            table.mark = mark
            self._retire(old)

    def _write(self, cur, name: str, columns: tuple, tail: str) -> str:
        path = str(self._directory / f"t{next(self._numbers)}.arrow")
        reader = cur.sql(f'SELECT * FROM "{name}" {tail}').to_arrow_reader(65_536)
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' if t in _KEPT_TYPES else f'"{c}"' for c, t in columns)
        typed = duckdb.connect(config={"enable_external_access": False, "arrow_lossless_conversion": True})
        try:
            typed.register("source", reader)
            out = typed.sql(f"SELECT {select} FROM source").to_arrow_reader(65_536)
            with ipc.new_file(path, out.schema) as writer:
                for batch in out:
                    writer.write_batch(batch)
        finally:
            typed.close()
        return path

    def _merge(self, paths: list[str]) -> str:
        path = str(self._directory / f"t{next(self._numbers)}.arrow")
        parts = [ipc.open_file(pa.memory_map(p)).read_all() for p in paths]
        with ipc.new_file(path, parts[0].schema) as writer:
            for part in parts:
                writer.write_table(part)
        self._retire(paths)
        return path

    def _drop(self, name: str) -> None:
        self._retire(self._tables.pop(name).paths)

    def _retire(self, paths: list[str]) -> None:
        # Deleted a while later: a query given these paths just before may not have mapped them yet
        # (a worker that has mapped a file keeps its pages after the file is gone).
        now = time.monotonic()
        self._retired.extend((now, path) for path in paths)

    def _sweep(self) -> None:
        now, kept = time.monotonic(), []
        for retired, path in self._retired:
            if now - retired < _RETIRED_KEPT_S:
                kept.append((retired, path))
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        self._retired = kept
