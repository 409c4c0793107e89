"""The status table of the Projections page: every version's mode, checkpoint, status, lag and last error."""
from __future__ import annotations

import pandas as pd

from esengine.projections import checkpoints as cp
from esengine.projections.registry import Registered
from esengine.store.event_store import EventStore


def status_frame(store: EventStore, registered: dict[str, Registered]) -> pd.DataFrame:
    """Every projection version with mode, checkpoint, status, lag (events and seconds) and last error."""
    frame = store.cursor().execute("""
        SELECT c.projection, c.version, c.live, c.status, c.position AS checkpoint, h.head,
               h.head - c.position AS lag_events,
               coalesce(date_diff('second', (SELECT e.recorded_at FROM events e WHERE e.position = c.position + 1),
                                  now()::TIMESTAMP), 0) AS lag_seconds,
               c.error, c.error_position, c.updated_at
        FROM checkpoints c, (SELECT coalesce(max(position), 0) AS head FROM events) h
        ORDER BY c.projection, c.version""").df()
    frame.loc[frame["status"] == cp.NEW, "lag_seconds"] = None  # never built: "behind since" means nothing
    frame.insert(2, "mode", [registered[n].mode if n in registered else "not registered"
                             for n in frame["projection"]])
    frame["description"] = [registered[n].versions[v].description
                            if n in registered and v in registered[n].versions else ""
                            for n, v in zip(frame["projection"], frame["version"], strict=True)]
    return frame
