"""A projection: a name, a version, a handler per event type and its own read-model tables.

Handlers work on rows in memory (:class:`RowSet`); the runner loads the rows a batch of events
touches in one query per table and writes the changed ones back as Arrow, so a batch costs a few
statements however many events it holds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable

import duckdb
import pyarrow as pa

from esengine.core.events import StoredEvent

_ARROW_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "INTEGER": pa.int32(),
                "TIMESTAMP": pa.timestamp("us"), "JSON": pa.string(), "BOOLEAN": pa.bool_(), "DATE": pa.date32()}


@dataclass(frozen=True)
class ReadModelTable:
    """One read-model table: its logical name, key column, and columns with their DuckDB types."""

    name: str
    key: str
    columns: tuple[tuple[str, str], ...]

    @property
    def json_columns(self) -> set[str]:
        return {c for c, t in self.columns if t == "JSON"}

    def ddl(self, physical: str) -> str:
        cols = ", ".join(f'"{c}" {t}' for c, t in self.columns)
        return f'CREATE TABLE IF NOT EXISTS "{physical}" ({cols})'

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c, _ARROW_TYPES[t]) for c, t in self.columns])


def handles(event_type: str) -> Callable:
    """Mark a projection method as the handler of ``event_type``: ``fn(self, event, rows)``."""
    def mark(fn):
        fn._handles = fn.__dict__.get("_handles", ()) + (event_type,)
        return fn
    return mark


class RowSet:
    """The rows of one batch, in memory: handlers read and change them; changes are written at the end."""

    def __init__(self, tables: dict[str, ReadModelTable]):
        self._tables = tables
        self.rows: dict[str, dict[Any, dict[str, Any] | None]] = {name: {} for name in tables}
        self.dirty: dict[str, set[Any]] = {name: set() for name in tables}

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        return self.rows[table].get(key)

    def put(self, table: str, row: dict[str, Any]) -> None:
        key = row[self._tables[table].key]
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def delete(self, table: str, key: Any) -> None:
        self.rows[table][key] = None
        self.dirty[table].add(key)


class Projection:
    """Base of projections. Subclasses set ``name``, ``version``, ``tables`` and mark handlers.

    ``keys(event)`` says which rows (table -> keys) an event's handler reads or writes, so the runner
    can load them before the batch is applied.
    """

    name: ClassVar[str] = ""
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    tables: ClassVar[tuple[ReadModelTable, ...]] = ()
    _handlers: ClassVar[dict[str, Callable]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        handlers: dict[str, Callable] = {}
        for klass in reversed(cls.__mro__):
            for fn in vars(klass).values():
                for event_type in getattr(fn, "_handles", ()):
                    handlers[event_type] = fn
        cls._handlers = handlers

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self._handlers)

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        raise NotImplementedError

    def table_name(self, table: str, version: int | None = None) -> str:
        """The physical table of a logical read-model table at a projection version."""
        return f"rm_{self.name}_v{version or self.version}_{table}"

    def create_tables(self, cur: duckdb.DuckDBPyConnection, version: int | None = None) -> None:
        for t in self.tables:
            cur.execute(t.ddl(self.table_name(t.name, version)))

    def apply_batch(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent],
                    version: int | None = None) -> None:
        """Apply events to the read-model tables of ``version`` through ``cur`` (caller owns the transaction)."""
        relevant = [e for e in events if e.event_type in self._handlers]
        if not relevant:
            return
        tables = {t.name: t for t in self.tables}
        rows = RowSet(tables)
        wanted: dict[str, set[Any]] = {name: set() for name in tables}
        for event in relevant:
            for table, keys in self.keys(event).items():
                wanted[table].update(k for k in keys if k is not None)
        for name, keys in wanted.items():
            if keys:
                self._load(cur, tables[name], self.table_name(name, version), keys, rows)
        for event in relevant:
            self._handlers[event.event_type](self, event, rows)
        for name, keys in rows.dirty.items():
            if keys:
                self._store(cur, tables[name], self.table_name(name, version), keys, rows)

    @staticmethod
    def _load(cur, table: ReadModelTable, physical: str, keys: set[Any], rows: RowSet) -> None:
        found = cur.execute(f'SELECT * FROM "{physical}" WHERE "{table.key}" IN (SELECT unnest(?))',
                            [list(keys)]).to_arrow_table().to_pylist()
        for row in found:
            for c in table.json_columns:
                if isinstance(row.get(c), str):
                    row[c] = json.loads(row[c])
            rows.rows[table.name][row[table.key]] = row

    @staticmethod
    def _store(cur, table: ReadModelTable, physical: str, keys: set[Any], rows: RowSet) -> None:
        cur.execute(f'DELETE FROM "{physical}" WHERE "{table.key}" IN (SELECT unnest(?))', [list(keys)])
        live = [rows.rows[table.name][k] for k in keys if rows.rows[table.name].get(k) is not None]
        if not live:
            return
        json_cols = table.json_columns
        names = [c for c, _ in table.columns]
        data = pa.Table.from_pylist(
            [{c: (json.dumps(r.get(c)) if c in json_cols and r.get(c) is not None else r.get(c)) for c in names}
             for r in live], schema=table.arrow_schema())
        cur.register("_rm_rows", data)
        try:
            cur.execute(f'INSERT INTO "{physical}" SELECT * FROM _rm_rows')
        finally:
            cur.unregister("_rm_rows")
