"""The state of every stream as of a moment, and where every stream stood then.

Normally one filter over the ``stream_states`` read model (:mod:`esengine.temporal.states_table`), which keeps the
folded state after every event with the times from and until which it was its stream's state; otherwise the
history is folded now (:mod:`esengine.temporal.fold_now`). Tests hold both paths equal. A projection's read model
as of a moment is :mod:`esengine.temporal.read_model_as_of`.
"""
from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from esengine.errors import EsEngineError
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter
from esengine.temporal.clocks import (  # noqa: F401
    TIME_COLUMNS,
    check_moment,
    history_span,
    of_type,
    query_frame,
    time_column,
)
from esengine.temporal.fold_now import fold_now
from esengine.temporal.read_model_as_of import read_model_as_of, read_model_of  # noqa: F401
from esengine.temporal.states_table import from_states, states_table  # noqa: F401


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
    column = time_column(by)
    at = check_moment(store, at, stream_type, by)
    flt = (where or EventFilter()).with_(stream_types=(stream_type,) if stream_type else
                                         (where.stream_types if where else ()))
    frame = from_states(store, at, column, flt, sort) if read_model else None
    if frame is not None:
        return frame
    frame = fold_now(store, at, column, flt)
    # sorted here: ordering 200k JSON rows in DuckDB costs more than the fold itself
    return frame.sort_values("stream_id", ignore_index=True) if sort else frame



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
    column = time_column(by)
    at = check_moment(store, at, stream_type, by)
    clause, params = of_type(stream_type)
    try:
        frame = query_frame(store, _HEADS_SQL.format(where=clause, by=column), params + [at])
    except duckdb.Error as e:
        raise EsEngineError(f"The streams as of {at} could not be listed: {e}") from e
    return frame.sort_values("stream_id", ignore_index=True)



def expand_states(frame: pd.DataFrame, limit: int | None = None) -> pd.DataFrame:
    """The as-of table with each state key as its own column (``state.<key>``), for display and download."""
    head = frame if limit is None else frame.head(limit)
    states = pd.json_normalize([json.loads(s) for s in head["state"]], max_level=0)
    states.columns = [f"state.{c}" for c in states.columns]
    for c in states.columns:  # lists and objects as JSON text, so every column has one plain type
        if states[c].map(lambda v: isinstance(v, (list, dict))).any():
            states[c] = states[c].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
    return pd.concat([head.drop(columns="state").reset_index(drop=True), states], axis=1)

