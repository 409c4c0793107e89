"""Every stream's state as of a moment read from the ``stream_states`` read model: the rows valid at that moment,
when the projection's checkpoint covers every event that happened by then; results in stream order."""
from __future__ import annotations

import bisect
from dataclasses import fields
from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from esengine.core.events import as_utc_naive
from esengine.errors import EsEngineError
from esengine.projections.stream_states import CLOCKS as STATE_VALIDITY
from esengine.projections.stream_states import NAME as STATES_PROJECTION
from esengine.projections.stream_states import StreamStatesProjection
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter
from esengine.temporal.clocks import time_column
from esengine.temporal.fold_now import fold_now

_STATES_SQL = """
SELECT stream_id, stream_type, version, event_type AS last_event_type, created_at, updated_at,
       CAST(state AS VARCHAR) AS state
FROM "{table}" WHERE {where} AND {since} <= ? AND ({until} IS NULL OR {until} > ?)
"""
_WHOLE_STREAM_FILTERS = ("stream_id", "stream_search", "stream_types")  # filters that keep or drop whole streams


def states_table(store: EventStore, at: datetime, by: str = "occurred_at") -> str | None:
    """The live ``stream_states`` table when its checkpoint covers every event that happened by ``at`` (on
    clock ``by``), else None: its rows valid at ``at`` are then the streams' states."""
    version = _covering_states_version(store, at, time_column(by))
    return None if version is None else StreamStatesProjection().table_name("states", version)


def live_states(store: EventStore) -> tuple[int, int] | None:
    """The live ``stream_states`` version and the position its checkpoint reached, when its table exists."""
    cur = store.cursor()
    live = cur.execute("SELECT version, position FROM checkpoints WHERE projection = ? AND live",
                       [STATES_PROJECTION]).fetchall()
    if not live:
        return None
    version, position = live[0]
    table = StreamStatesProjection().table_name("states", version)
    if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0]:
        return None
    return version, position


def _covering_states_version(store: EventStore, at: datetime, column: str) -> int | None:
    live = live_states(store)
    if live is None:
        return None
    version, position = live
    # the events after the checkpoint are not folded yet: none of them may have happened by then
    behind = store.cursor().execute(f"SELECT count(*) FROM events WHERE position > ? AND {column} <= ?",
                                    [position, as_utc_naive(at)]).fetchall()[0][0]
    return None if behind else version


def from_states(store: EventStore, at: datetime, column: str, flt: EventFilter,
                 sort: bool = True) -> pd.DataFrame | None:
    if any(getattr(flt, f.name) not in (None, (), "") for f in fields(flt) if f.name not in _WHOLE_STREAM_FILTERS):
        return None  # a filter on single events folds only some of a stream's events: fold now
    version = _covering_states_version(store, at, column)
    if version is None:
        return None
    tables = StreamStatesProjection()
    clause, params = flt.where()
    since, until = STATE_VALIDITY[column]
    cur = store.cursor()
    try:
        rows = cur.sql(_STATES_SQL.format(table=tables.table_name("states", version), where=clause, since=since,
                                          until=until), params=params + [at, at]).to_arrow_table()
        disordered = [sid for (sid,) in cur.execute(
            f'SELECT stream_id FROM "{tables.table_name("disordered", version)}" WHERE {clause}', params).fetchall()]
    except duckdb.Error as e:
        raise EsEngineError(f"The state as of {at} could not be read: {e}") from e
    # a stream with times out of version order may have, at ``at``, no row holding its fold (the events by then
    # are not its first versions): those few are folded now
    missing = []
    if disordered:  # (the few disordered ids are the hashed side)
        ids = rows.column("stream_id")
        found = set(pc.filter(ids, pc.is_in(ids, value_set=pa.array(disordered, pa.string()))).to_pylist())
        missing = [sid for sid in disordered if sid not in found]
    if missing:
        folded = fold_now(store, at, column, flt, only=missing)
        rows = pa.concat_tables([rows, pa.Table.from_pandas(folded, preserve_index=False).cast(rows.schema)])
    return (_in_stream_order(rows) if sort else rows).to_pandas()


MERGE_LIMIT = 2_000  # rows out of place that are put in place one by one; more: the whole result is sorted


def _in_stream_order(rows: pa.Table) -> pa.Table:
    """``rows`` sorted by stream id. They come in the table's order: stream order, then the rows appended since
    the table was last sorted (and any folded now). A few such rows are put in place between zero-copy slices
    of the sorted run; only many are sorted with the rest (which copies every state once)."""
    ids = rows.column("stream_id")
    if len(ids) < 2:
        return rows
    first_out = pc.index(pc.less(ids[1:], ids[:-1]), True).as_py()
    if first_out < 0:
        return rows
    start = first_out + 1  # rows[:start] are in order; from there on, only appended ones
    if rows.num_rows - start > MERGE_LIMIT:
        # sorted in Arrow, column by column (Table.take over many chunks, ORDER BY in DuckDB with the states,
        # or sorting the DataFrame all copy more)
        order = pc.array_sort_indices(ids)
        return pa.table({name: rows.column(name).take(order) for name in rows.column_names})
    tail = rows.slice(start)
    tail = tail.take(pc.sort_indices(tail.column("stream_id")))
    head = _Ids(ids.slice(0, start))
    pieces, done = [], 0
    for n, stream_id in enumerate(tail.column("stream_id").to_pylist()):
        cut = bisect.bisect_left(head, stream_id)
        pieces += [rows.slice(done, cut - done), tail.slice(n, 1)]
        done = cut
    pieces.append(rows.slice(done, start - done))
    return pa.concat_tables(pieces)


class _Ids:
    """A sorted Arrow column of ids as a sequence for ``bisect`` (reads only the ~log2(n) ids it probes)."""

    def __init__(self, ids: pa.ChunkedArray):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> str:
        return self.ids[i].as_py()

