"""The two clocks of the history and the moments on them: which column a clock reads, the span of the history, a
moment checked against it; and the small helpers every temporal query shares."""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from esengine.core.events import as_utc_naive
from esengine.errors import NotFound, ValidationError
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter

TIME_COLUMNS = ("occurred_at", "recorded_at")


def query_frame(store: EventStore, sql: str, params: list) -> pd.DataFrame:
    """A query's result as a DataFrame, by way of Arrow (several times faster than ``.df()`` for text)."""
    return store.cursor().sql(sql, params=params).to_arrow_table().to_pandas()


def of_type(stream_type: str | None) -> tuple[str, list]:
    """The WHERE clause and parameters for the events of one stream type (every event when None)."""
    return EventFilter(stream_types=(stream_type,) if stream_type else ()).where()



def time_column(by: str) -> str:
    """The events' column a clock reads (``occurred_at`` or ``recorded_at``); ``ValidationError`` for another."""
    if by not in TIME_COLUMNS:
        raise ValidationError(f"Unknown clock '{by}': moments are read on occurred_at or recorded_at.",
                              {"clock": "choose occurred_at or recorded_at"})
    return by


_time_column = time_column  # the name the other temporal modules have used


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

