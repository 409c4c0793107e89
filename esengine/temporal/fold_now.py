"""The state of streams as of a moment folded now, from the events: the path when the ``stream_states`` read
model does not cover the moment (not built, behind, or a filter on single events).

The generic fold is the time-travel one (``esengine.timetravel.generic_fold``): each event's data is
merged into the state in version order, later values winning. In SQL that is, per stream and key, the
value of the latest event carrying the key. Only a key holding an object in several events needs the
nested merge; those few streams are folded in Python with the very same function as time travel.
"""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from esengine.core.events import as_utc_naive
from esengine.errors import EsEngineError
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter
from esengine.temporal.clocks import query_frame
from esengine.timetravel.generic_fold import fold_data

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


def fold_now(store: EventStore, at: datetime, column: str, flt: EventFilter,
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



def _fold_in_python(store: EventStore, stream_id: str, column: str, at: datetime) -> str:
    rows = store.cursor().execute(f"SELECT CAST(data AS VARCHAR) FROM events WHERE stream_id = ? AND {column} <= ? "
                                  "ORDER BY version", [stream_id, as_utc_naive(at)]).fetchall()
    return json.dumps(fold_data(r[0] for r in rows))

