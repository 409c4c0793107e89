"""The two ways a stream's events become a state: through its aggregate class, or generically.

Both offer the same small interface, so replay, diff, what-if and fixtures work on any stream:
``empty()``, ``load(version)`` (through snapshots where the fold has them), ``apply(folded, event)``,
``state(folded)`` (JSON-ready dict) and ``copy(folded)``.
"""
from __future__ import annotations

import copy
from typing import Any

from esengine.core.aggregate import Aggregate
from esengine.core.events import EventRegistry, StoredEvent
from esengine.core.repository import Repository
from esengine.timetravel.generic_fold import fold_json, merge_data
from esengine.timetravel.memory import History, histories


class AggregateFold:
    """Replays a stream through its aggregate class (``engine.repositories[stream_type]``), with snapshots."""

    kind = "aggregate"

    def __init__(self, stream_id: str, repository: Repository, registry: EventRegistry, store):
        self.stream_id = stream_id
        self.repository = repository
        self.store = store
        self.registry = registry
        self.aggregate_cls: type[Aggregate] = repository.aggregate_cls

    def empty(self) -> Aggregate:
        return self.aggregate_cls(self.stream_id)

    def load(self, version: int, use_snapshots: bool = True) -> tuple[Aggregate, int | None, list[str], StoredEvent | None]:
        """The aggregate at ``version`` (>= 1), the snapshot version used, load warnings, and the event
        at ``version`` when it was read on the way (None when a snapshot sits exactly there)."""
        history = histories(self.repository).get(self.stream_id, self.store)
        if history is not None and version <= history.version:
            return self._load_from_memory(history, version, use_snapshots)
        aggregate = self.repository.from_snapshot(self.stream_id, version) if use_snapshots else None
        if aggregate is None:
            aggregate = self.empty()
        events = self.store.get_events(self.stream_id, aggregate.version, version)
        for event in events:
            self.apply(aggregate, event)
        return aggregate, aggregate.snapshot_version, list(aggregate.load_warnings), events[-1] if events else None

    def _load_from_memory(self, history: History, version: int, use_snapshots: bool):
        snapshot = history.snapshot_at_or_below(version) if use_snapshots else None
        if snapshot is not None:
            aggregate = self.aggregate_cls.from_snapshot(self.stream_id, *snapshot)
        else:
            aggregate = self.empty()
        events = history.events[aggregate.version:version]
        for event in events:
            self.apply(aggregate, event)
        return aggregate, aggregate.snapshot_version, [], events[-1] if events else None

    def apply(self, aggregate: Aggregate, event: StoredEvent) -> Aggregate:
        aggregate.apply(self.registry.to_domain(event))
        return aggregate

    def state(self, aggregate: Aggregate) -> dict[str, Any]:
        return aggregate.to_snapshot()

    def copy(self, aggregate: Aggregate) -> Aggregate:
        twin = self.aggregate_cls.from_snapshot(self.stream_id, aggregate.version, aggregate.to_snapshot())
        twin.snapshot_version = aggregate.snapshot_version
        return twin


class GenericFold:
    """Replays a stream no code knows: the state is the merge of its events' data (see ``generic_fold``)."""

    kind = "generic"

    def __init__(self, stream_id: str, store):
        self.stream_id = stream_id
        self.store = store

    def empty(self) -> dict[str, Any]:
        return {}

    def load(self, version: int, use_snapshots: bool = True) -> tuple[dict[str, Any], int | None, list[str], None]:
        rows = self.store.cursor().execute(
            "SELECT CAST(data AS VARCHAR) FROM events WHERE stream_id = ? AND version <= ? ORDER BY version",
            [self.stream_id, version]).fetchall()
        return fold_json([r[0] for r in rows]), None, [], None

    def apply(self, state: dict[str, Any], event: StoredEvent) -> dict[str, Any]:
        # data that is not an object (a bare list or value) has no fields to merge, as in fold_json
        return merge_data(state, event.data) if isinstance(event.data, dict) else state

    def state(self, state: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(state)

    def copy(self, state: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(state)
