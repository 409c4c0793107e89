"""A projection: a name, a version, a handler per event type and its own read-model tables.

Handlers work on rows in memory (:class:`RowSet`); the runner loads the rows a batch of events
touches in one query per table and writes the changed ones back as Arrow, so a batch costs a few
statements however many events it holds. A handler that asks for a row the batch did not preload
gets it from the table on demand, so a projection's ``keys`` is an optimisation, never a trap.
"""
from __future__ import annotations

import copy
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from collections.abc import Callable, Iterable

import duckdb
import pyarrow as pa

from esengine.core.events import StoredEvent
from esengine.errors import EsEngineError
from esengine.store.writer import SMALL_INSERT, insert_values

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

    def select_from(self, source: str) -> str:
        """``SELECT`` of every column from ``source``, JSON columns minified so both rebuild paths store the same text."""
        return ", ".join(f'json("{c}")' if t == "JSON" else f'"{c}"' for c, t in self.columns) + f" FROM {source}"


class ProjectionHandlerFailed(EsEngineError):
    """A handler raised on ``event`` (a poison event); nothing of the batch was written yet."""

    def __init__(self, event: StoredEvent, error: BaseException):
        self.event, self.error = event, error
        super().__init__(f"{event.event_type} at position {event.position} (stream {event.stream_id}) "
                         f"made the handler fail: {type(error).__name__}: {error}")


def handles(event_type: str) -> Callable:
    """Mark a projection method as the handler of ``event_type``: ``fn(self, event, rows)``."""
    def mark(fn):
        fn._handles = fn.__dict__.get("_handles", ()) + (event_type,)
        return fn
    return mark


class RowSet:
    """The rows of one batch, in memory: handlers read and change them; changes are written at the end."""

    def __init__(self, tables: dict[str, ReadModelTable], loader: Callable[[str, Any], dict | None] | None = None):
        self._tables = tables
        self._loader = loader
        self.rows: dict[str, dict[Any, dict[str, Any] | None]] = {name: {} for name in tables}
        self.dirty: dict[str, set[Any]] = {name: set() for name in tables}
        self.stored: dict[str, set[Any]] = {name: set() for name in tables}  # keys with a row in the table
        self.checked: dict[str, set[Any]] = {name: set() for name in tables}  # keys whose row was looked up

    def get(self, table: str, key: Any) -> dict[str, Any] | None:
        known = self.rows[table]
        if key not in known and self._loader is not None and key is not None:
            known[key] = self._loader(table, key)  # not preloaded: read it now rather than miss it
            self.checked[table].add(key)
            if known[key] is not None:
                self.stored[table].add(key)
        return known.get(key)

    def put(self, table: str, row: dict[str, Any]) -> None:
        key = row[self._tables[table].key]
        self.rows[table][key] = row
        self.dirty[table].add(key)

    def delete(self, table: str, key: Any) -> None:
        self.rows[table][key] = None
        self.dirty[table].add(key)


class RowCache:
    """Read-model rows kept in memory between the inline batches of one projection version.

    The runner keeps one per inline projection version and drops it whenever anything else may have
    written those tables (another checkpoint write, a rolled-back transaction); between those, the
    inline batches are the tables' only writer, so what they wrote is what the tables hold. Rows are
    copied in and out; ``None`` records a key known to be absent.
    """

    def __init__(self, capacity: int = 50_000):
        self.capacity = capacity
        self._tables: dict[str, OrderedDict[Any, dict[str, Any] | None]] = {}

    def known(self, table: str) -> OrderedDict:
        return self._tables.setdefault(table, OrderedDict())

    def remember(self, table: str, key: Any, row: dict[str, Any] | None) -> None:
        rows = self.known(table)
        rows[key] = copy.deepcopy(row)
        rows.move_to_end(key)
        while len(rows) > self.capacity:
            rows.popitem(last=False)


class Projection:
    """Base of projections. Subclasses set ``name``, ``version``, ``tables`` and mark handlers.

    ``keys(event)`` says which rows (table -> keys) an event's handler reads or writes, so the runner
    can load them before the batch is applied. A projection may also offer a set-based rebuild
    (:meth:`build_set_based`) that must give exactly the rows its handlers give.
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

    @property
    def has_set_based_rebuild(self) -> bool:
        return type(self).build_set_based is not Projection.build_set_based

    def table(self, name: str) -> ReadModelTable:
        for t in self.tables:
            if t.name == name:
                return t
        raise EsEngineError(f"Projection '{self.name}' v{self.version} has no table '{name}'; "
                            f"it has: {', '.join(t.name for t in self.tables)}.")

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        raise NotImplementedError

    def table_name(self, table: str, version: int | None = None, scratch: str | None = None) -> str:
        """The physical table of a logical read-model table at a projection version (or a scratch copy of it)."""
        return f"rm_{self.name}_v{version or self.version}_{scratch + '_' if scratch else ''}{table}"

    def create_tables(self, cur: duckdb.DuckDBPyConnection, version: int | None = None,
                      scratch: str | None = None) -> None:
        for t in self.tables:
            cur.execute(t.ddl(self.table_name(t.name, version, scratch)))

    def drop_tables(self, cur: duckdb.DuckDBPyConnection, version: int | None = None,
                    scratch: str | None = None) -> None:
        for t in self.tables:
            cur.execute(f'DROP TABLE IF EXISTS "{self.table_name(t.name, version, scratch)}"')

    def tables_match(self, cur: duckdb.DuckDBPyConnection, version: int | None = None) -> bool:
        """Whether this version's tables exist with the declared columns (a release may change a read model's
        columns without a new version: its rows are then rebuilt from the events)."""
        for t in self.tables:
            found = cur.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index",
                                [self.table_name(t.name, version)]).fetchall()
            if [c for (c,) in found] != [c for c, _ in t.columns]:
                return False
        return True

    def after_catch_up(self, cur: duckdb.DuckDBPyConnection, version: int, applied: int) -> None:
        """Called once a catch-up has applied ``applied`` events by the handlers (tidy the tables, if need be)."""

    def build_set_based(self, cur: duckdb.DuckDBPyConnection, physical: Callable[[str], str], upto: int,
                        until: datetime | None = None, clock: str = "occurred_at") -> bool:
        """Fill the (empty) tables named by ``physical(table)`` from the events up to position ``upto`` in SQL;
        with ``until``, from those of them that happened by then on ``clock`` (the read model as it was).

        Returns False, having written nothing, when it cannot give the handlers' rows for this history
        (the runner then applies the handlers instead).
        """
        raise NotImplementedError

    def apply_batch(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent],
                    version: int | None = None, scratch: str | None = None, cache: RowCache | None = None) -> None:
        """Apply events to the read-model tables of ``version`` through ``cur`` (caller owns the transaction).

        ``cache`` (inline batches only) serves rows read or written by earlier batches without a query.
        Raises :class:`ProjectionHandlerFailed` naming the first event whose handler raised; then
        nothing of this batch has been written, so the caller can apply the events before it.
        """
        relevant = [e for e in events if e.event_type in self._handlers]
        if not relevant:
            return
        tables = {t.name: t for t in self.tables}
        physical = {name: self.table_name(name, version, scratch) for name in tables}
        rows = RowSet(tables, lambda table, key: _load_one(cur, tables[table], physical[table], key, cache))
        wanted: dict[str, set[Any]] = {name: set() for name in tables}
        for event in relevant:
            try:
                for table, keys in self.keys(event).items():
                    wanted[table].update(k for k in keys if k is not None)
            except Exception as e:  # malformed data is a poison event, named as such
                raise ProjectionHandlerFailed(event, e) from e
        for name, keys in wanted.items():
            if keys:
                _load(cur, tables[name], physical[name], keys, rows, cache)
        for event in relevant:
            try:
                self._handlers[event.event_type](self, event, rows)
            except Exception as e:  # any handler bug stops this projection, not the store
                raise ProjectionHandlerFailed(event, e) from e
        for name, keys in rows.dirty.items():
            if keys:
                _store(cur, tables[name], physical[name], keys, rows, cache)


def _dicts(result) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def _decode(table: ReadModelTable, row: dict[str, Any]) -> dict[str, Any]:
    for c in table.json_columns:
        if isinstance(row.get(c), str):
            row[c] = json.loads(row[c])
    return row


def _load(cur, table: ReadModelTable, physical: str, keys: set[Any], rows: RowSet,
          cache: RowCache | None = None) -> None:
    known = rows.rows[table.name]
    if cache is not None:
        kept = cache.known(table.name)
        for key in [k for k in keys if k in kept]:
            known[key] = copy.deepcopy(kept[key])
        keys = {k for k in keys if k not in kept}
    if keys:
        found = _dicts(cur.execute(f'SELECT * FROM "{physical}" WHERE "{table.key}" IN (SELECT unnest(?))',
                                   [list(keys)]))
        known.update(dict.fromkeys(keys))  # absent keys are known to be absent: no second look
        for row in found:
            known[row[table.key]] = _decode(table, row)
        if cache is not None:
            for key in keys:
                cache.remember(table.name, key, known[key])
    rows.stored[table.name].update(k for k, row in known.items() if row is not None)
    rows.checked[table.name].update(known)


def _load_one(cur, table: ReadModelTable, physical: str, key: Any, cache: RowCache | None = None
              ) -> dict[str, Any] | None:
    if cache is not None and key in (kept := cache.known(table.name)):
        return copy.deepcopy(kept[key])
    found = _dicts(cur.execute(f'SELECT * FROM "{physical}" WHERE "{table.key}" = ?', [key]))
    row = _decode(table, found[0]) if found else None
    if cache is not None:
        cache.remember(table.name, key, row)
    return row


def _store(cur, table: ReadModelTable, physical: str, keys: set[Any], rows: RowSet,
           cache: RowCache | None = None) -> None:
    changed = rows.rows[table.name]
    if cache is not None:
        for key in keys:
            cache.remember(table.name, key, changed.get(key))
    json_cols = table.json_columns
    names = [c for c, _ in table.columns]

    def value(row: dict[str, Any], c: str) -> Any:
        v = row.get(c)
        return json.dumps(v) if c in json_cols and v is not None else v
    stored = rows.stored[table.name]
    updates = [row for k in keys if k in stored and (row := changed.get(k)) is not None]
    if len(updates) <= 2 and len(keys) <= SMALL_INSERT and keys <= rows.checked[table.name]:
        # a command's few rows, each known to be in the table or not: no Arrow, no rewrite
        for row in updates:  # an UPDATE in place is the cheapest statement for a row that stays
            _update(cur, table, physical, row, value)
        gone = [k for k in keys if k in stored and changed.get(k) is None]
        if gone:
            cur.execute(f'DELETE FROM "{physical}" WHERE "{table.key}" IN (SELECT unnest(?))', [gone])
        new = [row for k in keys if k not in stored and (row := changed.get(k)) is not None]
        if new:
            insert_values(cur, physical, names, [[value(r, c) for c in names] for r in new],
                          ["json(?)" if t == "JSON" else "?" for _, t in table.columns])
        return
    cur.execute(f'DELETE FROM "{physical}" WHERE "{table.key}" IN (SELECT unnest(?))', [list(keys)])
    live = [row for k in keys if (row := changed.get(k)) is not None]
    if not live:
        return
    data = pa.Table.from_pylist([{c: value(r, c) for c in names} for r in live], schema=table.arrow_schema())
    cur.register("_rm_rows", data)
    try:
        cur.execute(f'INSERT INTO "{physical}" SELECT {table.select_from("_rm_rows")}')
    finally:
        cur.unregister("_rm_rows")


def _update(cur, table: ReadModelTable, physical: str, row: dict[str, Any],
            value: Callable[[dict[str, Any], str], Any]) -> None:
    others = [(c, t) for c, t in table.columns if c != table.key]
    if not others:
        return
    sets = ", ".join(f'"{c}" = json(?)' if t == "JSON" else f'"{c}" = ?' for c, t in others)
    cur.execute(f'UPDATE "{physical}" SET {sets} WHERE "{table.key}" = ?',
                [value(row, c) for c, _ in others] + [row[table.key]])
