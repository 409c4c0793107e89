"""The state of every stream as of a moment: generically folded in DuckDB, or a read model replayed.

The generic fold is the time-travel one (``esengine.timetravel.generic_fold``): each event's data is
merged into the state in version order, later values winning. In SQL that is, per stream and key, the
value of the latest event carrying the key. Only a key holding an object in several events needs the
nested merge; those few streams are folded in Python with the very same function as time travel.

That fold runs only when it must: the ``stream_states`` projection keeps the folded state after every event
with the times from and until which it was its stream's state, so "every stream as of T" is normally the rows
of its table valid at T (``states_table`` says when its checkpoint covers T; tests hold both paths equal).
"""
from __future__ import annotations

import bisect
import json
import logging
import uuid
from dataclasses import fields
from datetime import datetime
from collections.abc import Callable

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from esengine.core.events import StoredEvent, as_utc_naive
from esengine.errors import EsEngineError, NotFound, ValidationError
from esengine.projections.stream_states import (CLOCKS as STATE_VALIDITY, NAME as STATES_PROJECTION,
                                               StreamStatesProjection)
from esengine.store.event_store import EVENT_COLUMNS, EventStore
from esengine.store.filters import EventFilter
from esengine.timetravel.generic_fold import fold_data

log = logging.getLogger(__name__)
TIME_COLUMNS = ("occurred_at", "recorded_at")
REPLAY_BATCH = 50_000

_FOLD_SQL = """
WITH scope AS (
    SELECT stream_id, stream_type, version, event_type, occurred_at, data FROM events
    WHERE {where} AND {by} <= ?),
heads AS (
    SELECT stream_id, any_value(stream_type) AS stream_type, max(version) AS version,
           arg_max(event_type, version) AS last_event_type,
           min(occurred_at) AS created_at, max(occurred_at) AS updated_at
    FROM scope GROUP BY stream_id),
pairs AS (
    SELECT stream_id, version, unnest(map_entries(TRY_CAST(data AS MAP(VARCHAR, JSON))), recursive := true)
    FROM scope),
latest AS (
    -- a JSON null arrives as SQL NULL: keep it as JSON null, so that a later null wins as in the fold
    SELECT stream_id, key, arg_max(coalesce(value, 'null'::JSON), version) AS value,
           count(*) FILTER (WHERE starts_with(CAST(value AS VARCHAR), '{{')) AS objects
    FROM pairs GROUP BY stream_id, key),
states AS (
    SELECT stream_id, json_group_object(key, value) AS state,
           max(objects) > 1 AS nested
    FROM latest GROUP BY stream_id)
SELECT h.stream_id, h.stream_type, h.version, h.last_event_type, h.created_at, h.updated_at,
       coalesce(CAST(s.state AS VARCHAR), '{{}}') AS state, coalesce(s.nested, false) AS nested
FROM heads h LEFT JOIN states s USING (stream_id)
"""


def query_frame(store: EventStore, sql: str, params: list) -> pd.DataFrame:
    """A query's result as a DataFrame, by way of Arrow (several times faster than ``.df()`` for text)."""
    return store.cursor().sql(sql, params=params).to_arrow_table().to_pandas()


def of_type(stream_type: str | None) -> tuple[str, list]:
    """The WHERE clause and parameters for the events of one stream type (every event when None)."""
    return EventFilter(stream_types=(stream_type,) if stream_type else ()).where()


def _time_column(by: str) -> str:
    if by not in TIME_COLUMNS:
        raise ValidationError(f"Unknown clock '{by}': moments are read on occurred_at or recorded_at.",
                              {"clock": "choose occurred_at or recorded_at"})
    return by


def history_span(store: EventStore, stream_type: str | None = None,
                 by: str = "occurred_at") -> tuple[datetime | None, datetime | None]:
    """The first and last moment of the history (of one stream type), or ``(None, None)`` if empty."""
    clause, params = of_type(stream_type)
    column = _time_column(by)
    return tuple(store.cursor().execute(f"SELECT min({column}), max({column}) FROM events WHERE {clause}",
                                        params).fetchall()[0])


def check_moment(store: EventStore, at: datetime, stream_type: str | None = None, by: str = "occurred_at") -> datetime:
    """``at`` as naive UTC; ``ValidationError`` when it is before the history starts or there is none."""
    if not isinstance(at, datetime):
        raise ValidationError(f"That is not a moment: '{at}' is no date and time.", {"moment": "give a date and time"})
    at = as_utc_naive(at)
    first, last = history_span(store, stream_type, by)
    what = f"streams of type '{stream_type}'" if stream_type else "events"
    if first is None:
        raise NotFound(f"There are no {what} in the store yet, so there is no state to show.")
    if at < first:
        detail = (f"{at:%Y-%m-%d %H:%M:%S} UTC is before the first of the {what} ({first:%Y-%m-%d %H:%M:%S} UTC); "
                  f"pick a moment between then and {last:%Y-%m-%d %H:%M:%S} UTC")
        raise ValidationError(f"The moment is before the history starts: {detail}.", {"moment": detail})
    return at


def streams_as_of(store: EventStore, at: datetime, stream_type: str | None = None, by: str = "occurred_at",
                  where: EventFilter | None = None, read_model: bool = True, sort: bool = True) -> pd.DataFrame:
    """The state of every stream (of ``stream_type``, or of all types) as of ``at``.

    One row per stream that had events by then: ``stream_id, stream_type, version, last_event_type,
    created_at, updated_at`` and ``state``, the generic fold of its events' data as JSON text.
    ``by`` says which clock ``at`` is read on: ``occurred_at`` (default) or ``recorded_at``.
    A moment before the history starts raises :class:`ValidationError`; an empty store, ``NotFound``.

    Read from the ``stream_states`` read model (the fold after every event, kept by a projection) when its
    checkpoint covers every event up to ``at``: then it is one filter, the rows valid at ``at``. Otherwise
    (not built, behind, a filter on single events) the history is folded now; both give the same states.
    ``read_model=False`` always folds now (to compare the two).
    Rows are ordered by stream id: the read model is stored in that order, so normally this costs nothing;
    ``sort=False`` leaves them in no particular order, which skips sorting a result that is not (rows appended
    since the table was last sorted).
    """
    column = _time_column(by)
    at = check_moment(store, at, stream_type, by)
    flt = (where or EventFilter()).with_(stream_types=(stream_type,) if stream_type else
                                         (where.stream_types if where else ()))
    frame = _from_states(store, at, column, flt, sort) if read_model else None
    if frame is not None:
        return frame
    frame = _fold_now(store, at, column, flt)
    # sorted here: ordering 200k JSON rows in DuckDB costs more than the fold itself
    return frame.sort_values("stream_id", ignore_index=True) if sort else frame


def _fold_now(store: EventStore, at: datetime, column: str, flt: EventFilter,
              only: list[str] | None = None) -> pd.DataFrame:
    """The query-time fold over the events (the path when the read model does not cover the moment), of the
    streams in ``only`` if given."""
    clause, params = flt.where()
    if only is not None:
        clause, params = f"{clause} AND stream_id IN (SELECT unnest(?))", params + [only]
    try:
        frame = query_frame(store, _FOLD_SQL.format(where=clause, by=column), params + [at])
    except duckdb.Error as e:
        raise EsEngineError(f"The state as of {at} could not be computed: {e}") from e
    nested = frame.index[frame["nested"]]
    if len(nested):
        frame.loc[nested, "state"] = [_fold_in_python(store, sid, column, at) for sid in frame.loc[nested, "stream_id"]]
    return frame.drop(columns="nested")


_STATES_SQL = """
SELECT stream_id, stream_type, version, event_type AS last_event_type, created_at, updated_at,
       CAST(state AS VARCHAR) AS state
FROM "{table}" WHERE {where} AND {since} <= ? AND ({until} IS NULL OR {until} > ?)
"""
_WHOLE_STREAM_FILTERS = ("stream_id", "stream_search", "stream_types")  # filters that keep or drop whole streams


def states_table(store: EventStore, at: datetime, by: str = "occurred_at") -> str | None:
    """The live ``stream_states`` table when its checkpoint covers every event that happened by ``at`` (on
    clock ``by``), else None: its rows valid at ``at`` are then the streams' states."""
    version = _covering_states_version(store, at, _time_column(by))
    return None if version is None else StreamStatesProjection().table_name("states", version)


def _covering_states_version(store: EventStore, at: datetime, column: str) -> int | None:
    cur = store.cursor()
    live = cur.execute("SELECT version, position FROM checkpoints WHERE projection = ? AND live",
                       [STATES_PROJECTION]).fetchall()
    if not live:
        return None
    version, position = live[0]
    table = StreamStatesProjection().table_name("states", version)
    if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0]:
        return None
    # the events after the checkpoint are not folded yet: none of them may have happened by then
    behind = cur.execute(f"SELECT count(*) FROM events WHERE position > ? AND {column} <= ?",
                         [position, as_utc_naive(at)]).fetchall()[0][0]
    return None if behind else version


def _from_states(store: EventStore, at: datetime, column: str, flt: EventFilter,
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
        folded = _fold_now(store, at, column, flt, only=missing)
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


_HEADS_SQL = """
SELECT stream_id, any_value(stream_type) AS stream_type, max(version) AS version,
       arg_max(event_type, version) AS last_event_type, min(occurred_at) AS created_at, max(occurred_at) AS updated_at
FROM events WHERE {where} AND {by} <= ?
GROUP BY stream_id
"""


def stream_heads_as_of(store: EventStore, at: datetime, stream_type: str | None = None,
                       by: str = "occurred_at") -> pd.DataFrame:
    """Where every stream stood at ``at``, without folding its data: ``stream_id, stream_type, version,
    last_event_type, created_at, updated_at``. The last event type is the status in most domains."""
    column = _time_column(by)
    at = check_moment(store, at, stream_type, by)
    clause, params = of_type(stream_type)
    try:
        frame = query_frame(store, _HEADS_SQL.format(where=clause, by=column), params + [at])
    except duckdb.Error as e:
        raise EsEngineError(f"The streams as of {at} could not be listed: {e}") from e
    return frame.sort_values("stream_id", ignore_index=True)


def _fold_in_python(store: EventStore, stream_id: str, column: str, at: datetime) -> str:
    rows = store.cursor().execute(f"SELECT CAST(data AS VARCHAR) FROM events WHERE stream_id = ? AND {column} <= ? "
                                  "ORDER BY version", [stream_id, as_utc_naive(at)]).fetchall()
    return json.dumps(fold_data(r[0] for r in rows))


def expand_states(frame: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The as-of table with each state key as its own column (``state.<key>``), for display and download."""
    head = frame if limit is None else frame.head(limit)
    states = pd.json_normalize([json.loads(s) for s in head["state"]], max_level=0)
    states.columns = [f"state.{c}" for c in states.columns]
    for c in states.columns:  # lists and objects as JSON text, so every column has one plain type
        if states[c].map(lambda v: isinstance(v, (list, dict))).any():
            states[c] = states[c].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return pd.concat([head.drop(columns="state").reset_index(drop=True), states], axis=1)


def read_model_as_of(engine, projection: str, at: datetime, by: str = "occurred_at",
                     set_based: bool = True) -> dict[str, pd.DataFrame]:
    """A projection's read model as it was at ``at``: built from its events up to then.

    Returns one DataFrame per read-model table (e.g. ``orders``, ``customers``, ``products``), rows ordered by
    key. The live read model is not touched. When the projection has a set-based build that covers the history,
    it builds the read model in SQL, into tables of a transaction that is rolled back (nothing is ever
    committed); otherwise (or with ``set_based=False``) its handlers replay the events in a private
    in-memory database. Tests hold both ways equal.
    """
    column = _time_column(by)
    p = engine.projections.projection(projection)
    at = as_utc_naive(at)
    if set_based and p.has_set_based_rebuild:
        frames = _read_model_built_in_sql(engine.store, p, at, column)
        if frames is not None:
            return frames
    return _read_model_replayed(engine.store, p, at, column)


def _read_model_built_in_sql(store: EventStore, p, at: datetime, column: str) -> dict[str, pd.DataFrame] | None:
    cur = store.cursor()
    scratch = f"asof_{uuid.uuid4().hex[:12]}"
    physical = lambda table: p.table_name(table, scratch=scratch)  # noqa: E731
    cur.execute("BEGIN TRANSACTION")
    try:
        p.create_tables(cur, scratch=scratch)
        upto = cur.execute("SELECT coalesce(max(position), 0) FROM events").fetchall()[0][0]
        if not p.build_set_based(cur, physical, upto, until=at, clock=column):
            return None  # a history it does not cover: the handlers replay it
        return _read_tables(cur, p, physical)
    except duckdb.Error as e:
        log.warning("read model %s as of %s built in SQL failed, replaying it instead: %s", p.name, at, e)
        return None
    finally:
        cur.execute("ROLLBACK")  # the tables were only ever this transaction's


def _read_model_replayed(store: EventStore, p, at: datetime, column: str) -> dict[str, pd.DataFrame]:
    scratch = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        p.create_tables(scratch)
        flt = EventFilter(event_types=p.event_types or ())  # None: every event
        clause, params = flt.where()
        cur = store.cursor()
        after = 0
        while True:
            rel = cur.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} AND {column} <= ? AND position > ? "
                              "ORDER BY position LIMIT ?", params + [at, after, REPLAY_BATCH])
            names = [d[0] for d in rel.description]
            events = [StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall()]
            if not events:
                break
            p.apply_batch(scratch, events)
            after = events[-1].position
        return _read_tables(scratch, p, p.table_name)
    finally:
        scratch.close()


def _read_tables(con, p, physical: Callable[[str], str]) -> dict[str, pd.DataFrame]:
    """Every table of a read model, rows ordered by key (tables named by ``physical(table)``)."""
    return {t.name: con.execute(f'SELECT * FROM "{physical(t.name)}" ORDER BY "{t.key}"').df() for t in p.tables}


def read_model_of(engine, stream_type: str) -> tuple[str, str] | None:
    """The projection and table that keep one row per stream of ``stream_type``, if one does.

    Found by the naming convention of read models: the table is the stream type in the plural
    (``order`` -> the ``orders`` table of the ``orders`` projection).
    """
    for name in engine.projections.registered:
        if name == STATES_PROJECTION:  # one row per event, not per stream: streams_as_of reads it
            continue
        for table in engine.projections.projection(name).tables:
            if table.name in (stream_type, f"{stream_type}s"):
                return name, table.name
    return None
