"""Figures about the whole store, for the Overview page and the CLI."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from esengine.store.event_store import EventStore


@dataclass(frozen=True)
class StoreOverview:
    events: int
    streams: int
    event_types: int
    stream_types: int
    first_occurred_at: datetime | None
    last_occurred_at: datetime | None
    last_recorded_at: datetime | None
    commands_accepted: int
    commands_refused: int


def overview(store: EventStore) -> StoreOverview:
    """Counts and time span of the store, in one scan of the log."""
    cur = store.cursor()
    row = cur.execute("""SELECT count(*), count(DISTINCT stream_id), count(DISTINCT event_type),
        count(DISTINCT stream_type), min(occurred_at), max(occurred_at), max(recorded_at) FROM events""").fetchall()[0]
    accepted, refused = cur.execute("""SELECT count(*) FILTER (WHERE outcome = 'accepted'),
        count(*) FILTER (WHERE outcome = 'refused') FROM command_log""").fetchall()[0]
    return StoreOverview(*(*row, accepted, refused))


def events_per_type(store: EventStore) -> pd.DataFrame:
    """Event type, stream type, count and last occurrence, most frequent first."""
    return store.cursor().execute("""SELECT event_type, stream_type, count(*) AS events,
        max(occurred_at) AS last_occurred_at FROM events GROUP BY ALL ORDER BY events DESC, event_type""").df()


def streams_per_type(store: EventStore) -> pd.DataFrame:
    return store.cursor().execute("""SELECT stream_type, count(DISTINCT stream_id) AS streams, count(*) AS events
        FROM events GROUP BY stream_type ORDER BY events DESC""").df()


def set_aside_rows(store: EventStore) -> pd.DataFrame:
    """Rows of acknowledged commits that DuckDB refused after all (their events were written; see
    :mod:`esengine.store.journaled_writer`), newest first: the table, the row as JSON, DuckDB's error, when."""
    return store.cursor().execute("""SELECT set_aside_at, table_name, CAST(row_json AS VARCHAR) AS row_json, error,
        seq AS journal_record FROM journal_set_aside ORDER BY set_aside_at DESC, seq DESC""").df()
