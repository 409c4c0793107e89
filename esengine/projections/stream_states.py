"""The generic state of every stream after every event, kept as a read model (``stream_states``).

One row per event: the generic fold (``esengine.timetravel.generic_fold``) of its stream's data up to and
including that event. "The state of every stream as of T" is then the latest row per stream at or before
T: the same ``QUALIFY row_number()`` query as over the raw events, instead of a fold at query time
(``esengine.temporal.as_of`` reads it when its checkpoint covers the moment).

Every event of every stream counts, typed or imported, so this projection has no handler per type: its
``event_types`` is None (read everything) and its own :meth:`apply_batch` folds each event onto the previous
row of its stream (key ``<stream>#<version - 1>``). A missing previous row is refolded from the events, so a
gap costs speed, never correctness. The set-based build reads the history partition by partition in
(stream, version) order and folds it in one Python loop, passing the other columns through as Arrow.

Besides the event's own columns each row keeps ``created_at`` and ``updated_at`` (the earliest and latest
``occurred_at`` of the stream so far) and ``recorded_until`` (the latest ``recorded_at`` so far): they let a
query tell whether the events at or before T are exactly the stream's first versions (times in version
order) and so whether the row is the fold of the events that happened by T.
"""
from __future__ import annotations

import json
import math
from typing import Any, Callable, Iterable

import duckdb
import pyarrow as pa

from esengine.core.events import StoredEvent
from esengine.projections.base import Projection, ProjectionHandlerFailed, ReadModelTable
from esengine.timetravel.generic_fold import fold_data, merge_data, merge_parsed

NAME = "stream_states"
STATES = ReadModelTable("states", "key", (
    ("key", "VARCHAR"), ("stream_id", "VARCHAR"), ("stream_type", "VARCHAR"), ("version", "INTEGER"),
    ("event_type", "VARCHAR"), ("occurred_at", "TIMESTAMP"), ("recorded_at", "TIMESTAMP"), ("position", "BIGINT"),
    ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"), ("recorded_until", "TIMESTAMP"), ("state", "JSON"),
))
COLUMNS = tuple(c for c, _ in STATES.columns)
SMALL_BATCH = 50  # up to this many rows (one command's events) go in as one INSERT ... VALUES
PARTITION_EVENTS = 500_000  # the set-based build folds about this many events per pass (memory stays small)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def state_key(stream_id: str, version: int) -> str:
    return f"{stream_id}#{version}"


def dump_state(state: dict[str, Any]) -> str:
    """A state as stored: minified JSON text, the same on both build paths."""
    return _encode(state)


def fold_rows(stream_ids: list[str], datas: list[str | None]) -> list[str]:
    """The folded state after each event, for events sorted by (stream, version), every stream from version 1.

    ``merge_parsed(state, json.loads(data))`` per event: this loop is the build's hot path.
    """
    out: list[str] = []
    append, loads, encode, merge = out.append, json.loads, _encode, merge_parsed
    current: str | None = None
    state: dict[str, Any] = {}
    for sid, text in zip(stream_ids, datas):
        if sid != current:
            current, state = sid, {}
        if text is not None:
            merge(state, loads(text))
        append(encode(state))
    return out


class StreamStatesProjection(Projection):
    """The folded state of every stream after each of its events, for "every stream as of T" queries."""

    name = NAME
    version = 1
    description = ("The generic state (merged event data) of every stream after each of its events, all streams "
                   "and types: 'every stream as of T' reads it instead of folding the history at query time.")
    tables = (STATES,)

    @property
    def event_types(self) -> None:  # type: ignore[override]
        return None  # every event: the runner reads them all

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        return {"states": [state_key(event.stream_id, event.version - 1)] if event.version > 1 else []}

    # -- event by event (inline appends, catch-up, replays) -------------------------------------------
    def apply_batch(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent],
                    version: int | None = None, scratch: str | None = None) -> None:
        if not events:
            return
        physical = self.table_name("states", version, scratch)
        previous: dict[str, dict[str, Any]] = {}  # stream -> its last row in this batch or in the table
        wanted = []
        seen = set()
        for e in events:
            if e.stream_id not in seen:
                seen.add(e.stream_id)
                if e.version > 1:
                    wanted.append(state_key(e.stream_id, e.version - 1))
        if wanted:
            match = "key = ?" if len(wanted) == 1 else "key IN (SELECT unnest(?))"
            rel = cur.execute(f'SELECT key, stream_id, version, created_at, updated_at, recorded_until, '
                              f'CAST(state AS VARCHAR) FROM "{physical}" WHERE {match}',
                              wanted if len(wanted) == 1 else [wanted])
            for _, sid, v, created, updated, until, state in rel.fetchall():
                previous[sid] = {"version": v, "created_at": created, "updated_at": updated,
                                 "recorded_until": until, "state": json.loads(state)}
        rows = []
        for e in events:
            try:
                prev = previous.get(e.stream_id)
                if e.version > 1 and (prev is None or prev["version"] != e.version - 1):
                    prev = self._refold(cur, e)  # not in the table (a gap): fold the stream's events instead
                if prev is None or e.version == 1:
                    row = {"created_at": e.occurred_at, "updated_at": e.occurred_at,
                           "recorded_until": e.recorded_at, "state": {}}
                else:
                    row = {"created_at": min(prev["created_at"], e.occurred_at),
                           "updated_at": max(prev["updated_at"], e.occurred_at),
                           "recorded_until": max(prev["recorded_until"], e.recorded_at), "state": prev["state"]}
                if isinstance(e.data, dict):
                    # in place: the previous row's state is already dumped; merge_data copies what it keeps of
                    # the event's data, so the stored event stays untouched
                    merge_data(row["state"], e.data)
                row["version"] = e.version
                previous[e.stream_id] = row
                rows.append({"key": state_key(e.stream_id, e.version), "stream_id": e.stream_id,
                             "stream_type": e.stream_type, "version": e.version, "event_type": e.event_type,
                             "occurred_at": e.occurred_at, "recorded_at": e.recorded_at, "position": e.position,
                             "created_at": row["created_at"], "updated_at": row["updated_at"],
                             "recorded_until": row["recorded_until"], "state": dump_state(row["state"])})
            except Exception as error:  # noqa: BLE001 - named as the poison event; nothing written yet
                raise ProjectionHandlerFailed(e, error) from error
        if len(rows) <= SMALL_BATCH:  # one plain statement: cheaper than registering an Arrow table
            values = ", ".join(["(" + ", ".join("?" * len(COLUMNS)) + ")"] * len(rows))
            cur.execute(f'INSERT INTO "{physical}" VALUES {values}', [r[c] for r in rows for c in COLUMNS])
        else:
            _insert(cur, physical, pa.Table.from_pylist(rows, schema=STATES.arrow_schema()))

    def _refold(self, cur, e: StoredEvent) -> dict[str, Any] | None:
        rel = cur.execute("SELECT CAST(data AS VARCHAR), occurred_at, recorded_at FROM events "
                          "WHERE stream_id = ? AND version < ? ORDER BY version", [e.stream_id, e.version])
        rows = rel.fetchall()
        if not rows:
            return None
        return {"version": e.version - 1, "created_at": min(r[1] for r in rows), "updated_at": max(r[1] for r in rows),
                "recorded_until": max(r[2] for r in rows), "state": fold_data(r[0] for r in rows)}

    # -- set-based build (catch-up from nothing, rebuilds) --------------------------------------------
    def build_set_based(self, cur: duckdb.DuckDBPyConnection, physical: Callable[[str], str], upto: int) -> bool:
        table = physical("states")
        total = cur.execute("SELECT count(*) FROM events WHERE position <= ?", [upto]).fetchall()[0][0]
        parts = max(1, math.ceil(total / PARTITION_EVENTS))
        for part in range(parts):
            source = cur.sql(f"""
                SELECT stream_id || '#' || version AS key, stream_id, stream_type, version, event_type, occurred_at,
                       recorded_at, position,
                       min(occurred_at) OVER w AS created_at, max(occurred_at) OVER w AS updated_at,
                       max(recorded_at) OVER w AS recorded_until, CAST(data AS VARCHAR) AS data
                FROM events
                WHERE position <= $upto AND ($parts = 1 OR hash(stream_id) % $parts = $part)
                WINDOW w AS (PARTITION BY stream_id ORDER BY version ROWS UNBOUNDED PRECEDING)
                ORDER BY stream_id, version""", params={"upto": upto, "parts": parts, "part": part}).to_arrow_table()
            if not source.num_rows:
                continue
            states = fold_rows(source.column("stream_id").to_pylist(), source.column("data").to_pylist())
            rows = source.drop_columns(["data"]).append_column("state", pa.array(states, pa.string()))
            _insert(cur, table, rows.cast(STATES.arrow_schema()))
        return True


def _insert(cur, physical: str, rows: pa.Table) -> None:
    cur.register("_stream_states_rows", rows)
    try:
        cur.execute(f'INSERT INTO "{physical}" SELECT {", ".join(COLUMNS)} FROM _stream_states_rows')
    finally:
        cur.unregister("_stream_states_rows")
