"""A stream's history kept in memory for time travel: its events and its usable snapshots.

Stepping a slider over one stream asks for many versions of it; once its events and snapshots are in
memory, the state at any version is the newest snapshot at or below it plus at most a policy's worth of
events, with no query. An entry is trusted only while the stream's version (as the writer knows it)
is the one it was read at: events are append-only, so a history whose last version has not moved is
the stored one. Streams whose snapshots need care (corrupt, or of another state schema) are not kept:
the usual path handles them and says so.
"""
from __future__ import annotations

import bisect
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from esengine.core.events import StoredEvent


@dataclass(frozen=True)
class History:
    version: int
    events: list[StoredEvent]  # events[i] has version i + 1
    snapshot_versions: list[int]  # ascending
    snapshot_states: list[dict[str, Any]]

    def snapshot_at_or_below(self, version: int) -> tuple[int, dict[str, Any]] | None:
        i = bisect.bisect_right(self.snapshot_versions, version)
        return (self.snapshot_versions[i - 1], self.snapshot_states[i - 1]) if i else None


class Histories:
    """Recently travelled streams of one repository, bounded by their total number of events."""

    def __init__(self, repository, max_events: int = 300_000):
        self._repository = weakref.proxy(repository)  # the repository keys this object: no cycle through it
        self._entries: OrderedDict[str, History] = OrderedDict()
        self._lock = threading.Lock()
        self.max_events = max_events

    def get(self, stream_id: str, store) -> History | None:
        current = self._repository.check_type(stream_id)
        with self._lock:
            hit = self._entries.get(stream_id)
            if hit is not None and hit.version == current:
                self._entries.move_to_end(stream_id)
                return hit
        history = _read(self._repository, stream_id, store, current)
        if history is not None:
            self._put(stream_id, history)
        return history

    def _put(self, stream_id: str, history: History) -> None:
        with self._lock:
            self._entries[stream_id] = history
            total = sum(len(h.events) for h in self._entries.values())
            while total > self.max_events and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                total -= len(dropped.events)


def _read(repository, stream_id: str, store, current: int) -> History | None:
    events = store.get_events(stream_id)
    if len(events) != current or any(e.version != i + 1 for i, e in enumerate(events)):
        return None  # moved meanwhile, or a gap: the usual path reads it
    snapshots = repository.snapshot_states(stream_id)
    if snapshots is None:
        return None
    versions = sorted(v for v in snapshots if v <= current)
    return History(current, events, versions, [snapshots[v] for v in versions])


_BY_REPOSITORY: weakref.WeakKeyDictionary[Any, Histories] = weakref.WeakKeyDictionary()


def histories(repository) -> Histories:
    """The histories kept for ``repository``'s streams."""
    found = _BY_REPOSITORY.get(repository)
    if found is None:
        found = _BY_REPOSITORY.setdefault(repository, Histories(repository))
    return found
