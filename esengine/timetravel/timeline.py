"""A stream's timeline for the slider: each version's event and times, and where snapshots are."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from esengine.errors import NotFound


@dataclass(frozen=True)
class Timeline:
    """``events`` has one row per version (version, event_type, occurred_at, recorded_at, position)."""

    stream_id: str
    stream_type: str
    events: pd.DataFrame
    snapshot_versions: list[int]

    @property
    def latest(self) -> int:
        return int(self.events["version"].iloc[-1]) if len(self.events) else 0

    def version_label(self, version: int) -> str:
        """``v3 · OrderConfirmed`` (``v0 · before the first event``)."""
        if version == 0:
            return "v0 · before the first event"
        return f"v{version} · {self.events['event_type'].iloc[version - 1]}"


def timeline(engine, stream_id: str) -> Timeline:
    """The stream's versions in order, with their event types and times; ``NotFound`` for no events."""
    frame = engine.store.cursor().execute(
        """SELECT version, event_type, occurred_at, recorded_at, position, stream_type FROM events
           WHERE stream_id = ? ORDER BY version""", [stream_id]).df()
    if frame.empty:
        raise NotFound(f"There is no stream '{stream_id}'. Check the id, or search the streams by prefix.")
    stream_type = str(frame["stream_type"].iloc[0])
    return Timeline(stream_id, stream_type, frame.drop(columns="stream_type"), engine.snapshots.versions(stream_id))
