"""What happened between two moments: which streams were created, which changed and how, which finished."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from esengine.core.events import as_utc_naive
from esengine.errors import EsEngineError, ValidationError
from esengine.store.event_store import EventStore
from esengine.temporal.clocks import _time_column, of_type, query_frame

_WINDOW_SQL = """
SELECT stream_id, any_value(stream_type) AS stream_type,
       min(version) - 1 AS version_before, max(version) AS version_after, count(*) AS events,
       string_agg(event_type, ' → ' ORDER BY version) AS how,
       array_to_string(list_sort(list_distinct(flatten(list(coalesce(json_keys(data), []))))), ', ') AS fields_changed,
       arg_max(event_type, version) AS last_event_type,
       min({by}) AS first_change_at, max({by}) AS last_change_at
FROM events
WHERE {where} AND {by} > ? AND {by} <= ?
GROUP BY stream_id
ORDER BY first_change_at, stream_id
"""


@dataclass(frozen=True)
class Changes:
    """The streams touched in ``(start, end]``: ``created`` there, ``changed`` (existed before), ``finished``."""

    start: datetime
    end: datetime
    created: pd.DataFrame
    changed: pd.DataFrame
    finished: pd.DataFrame
    final_types: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return self.created.empty and self.changed.empty


def final_event_types(store: EventStore, stream_type: str | None = None) -> list[str]:
    """Event types that end a stream's life: never followed by another event, never a stream's first.

    For the orders that is ``OrderShipped`` and ``OrderCancelled``; for an imported log, its closing
    activities. Read from the data, so it works for streams no code describes.
    """
    clause, params = of_type(stream_type)
    rows = store.cursor().execute(f"""
        SELECT event_type FROM (
            SELECT event_type, version,
                   lead(version) OVER (PARTITION BY stream_id ORDER BY version) AS next_version
            FROM events WHERE {clause})
        GROUP BY event_type HAVING count(next_version) = 0 AND min(version) > 1
        ORDER BY event_type""", params).fetchall()
    return [r[0] for r in rows]


def changes_between(store: EventStore, start: datetime, end: datetime, stream_type: str | None = None,
                    final_types: tuple[str, ...] | list[str] | None = None, by: str = "occurred_at") -> Changes:
    """Which streams were created, changed (and how: their events and the data fields they set) and reached
    a final state between ``start`` (exclusive) and ``end`` (inclusive).

    ``final_types`` are the event types that count as a final state (default: :func:`final_event_types`).
    """
    column = _time_column(by)
    start, end = as_utc_naive(start), as_utc_naive(end)
    if end <= start:
        detail = (f"{end:%Y-%m-%d %H:%M} is not after {start:%Y-%m-%d %H:%M}; swap the two moments or widen "
                  "the range")
        raise ValidationError(f"The second moment must come after the first: {detail}.", {"to": detail})
    finals = tuple(final_types) if final_types is not None else tuple(final_event_types(store, stream_type))
    clause, params = of_type(stream_type)
    try:
        touched = query_frame(store, _WINDOW_SQL.format(where=clause, by=column), params + [start, end])
    except duckdb.Error as e:
        raise EsEngineError(f"The changes between {start} and {end} could not be computed: {e}") from e
    created = touched[touched["version_before"] == 0].drop(columns="version_before")
    changed = touched[touched["version_before"] > 0]
    finished = touched[touched["last_event_type"].isin(finals)]
    return Changes(start, end, created.reset_index(drop=True), changed.reset_index(drop=True),
                   finished.reset_index(drop=True), finals)
