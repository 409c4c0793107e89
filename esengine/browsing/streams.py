"""Stream search: ids by prefix or wildcard, with their type, event count and last activity."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from esengine.store.filters import EventFilter


@dataclass(frozen=True)
class StreamPage:
    """One page of matching streams (most recently active first) and whether more follow."""

    # stream_id, stream_type, events, version, first/last occurred_at, last_recorded_at, last_position
    rows: pd.DataFrame
    has_more: bool


def search_streams(store, search: str | None = None, stream_types: tuple[str, ...] = (), limit: int = 50,
                   offset: int = 0) -> StreamPage:
    """Streams whose id starts with ``search`` (or matches it with ``*``/``?`` wildcards)."""
    clause, params = EventFilter(stream_search=search or None, stream_types=tuple(stream_types)).where()
    frame = store.cursor().execute(
        f"""SELECT stream_id, any_value(stream_type) AS stream_type, count(*) AS events, max(version) AS version,
                   min(occurred_at) AS first_occurred_at, max(occurred_at) AS last_occurred_at,
                   max(recorded_at) AS last_recorded_at, max(position) AS last_position
            FROM events WHERE {clause} GROUP BY stream_id
            ORDER BY last_position DESC LIMIT ? OFFSET ?""", params + [limit + 1, offset]).df()
    return StreamPage(frame.head(limit).reset_index(drop=True), len(frame) > limit)


def stream_types(store) -> list[str]:
    """Every stream type in the store, alphabetically."""
    return [r[0] for r in store.cursor().execute(
        "SELECT DISTINCT stream_type FROM events ORDER BY 1").fetchall()]


def event_types(store) -> list[str]:
    """Every event type in the store, alphabetically."""
    return [r[0] for r in store.cursor().execute("SELECT DISTINCT event_type FROM events ORDER BY 1").fetchall()]
