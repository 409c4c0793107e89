"""Swimlanes: the events of several streams side by side along time."""
from __future__ import annotations

import pandas as pd

from esengine.store.event_store import EVENT_COLUMNS


def swimlane_events(store, stream_ids: list[str], limit_per_stream: int = 500) -> pd.DataFrame:
    """The events of each stream (its latest ``limit_per_stream``), in time order, one lane per stream."""
    if not stream_ids:
        return pd.DataFrame(columns=["position", "stream_id", "version", "event_type", "occurred_at"])
    marks = ", ".join("?" * len(stream_ids))
    return store.cursor().execute(
        f"""SELECT * EXCLUDE (rn) FROM (
                SELECT {EVENT_COLUMNS}, row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) AS rn
                FROM events WHERE stream_id IN ({marks}))
            WHERE rn <= ? ORDER BY occurred_at, position""", list(stream_ids) + [limit_per_stream]).df()
