"""The event-sourced repository: load an aggregate (through snapshots) and save its new events."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Generic, TypeVar

from esengine.core.aggregate import Aggregate
from esengine.core.events import EventRegistry, NewEvent
from esengine.core.snapshots import SnapshotPolicy, SnapshotStore
from esengine.errors import NotFound, SnapshotCorrupt
from esengine.store.event_store import EventStore
from esengine.store.writer import AppendResult

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger(__name__)


class Repository(Generic[A]):
    """Loads and saves one aggregate type; snapshots by its :class:`SnapshotPolicy`."""

    def __init__(self, aggregate_cls: type[A], store: EventStore, registry: EventRegistry,
                 snapshots: SnapshotStore, policy: SnapshotPolicy, publish=None):
        self.aggregate_cls = aggregate_cls
        self._store, self._registry, self._snapshots = store, registry, snapshots
        self.policy = policy
        self._publish = publish
        self._local = threading.local()

    @contextmanager
    def identity_map(self):
        """Within this context (per thread) saved aggregates are kept in memory and loads use them,
        so a batch of commands can run before its events are committed (see ``Engine.batch``)."""
        self._local.cache = {}
        try:
            yield
        finally:
            self._local.cache = None

    def _cached(self, aggregate_id: str) -> A | None:
        cache = getattr(self._local, "cache", None)
        hit = cache.get(aggregate_id) if cache else None
        if hit is None:
            return None
        copy = self.aggregate_cls.from_snapshot(aggregate_id, hit.version, hit.to_snapshot())
        copy.snapshot_version = None
        return copy

    @property
    def stream_type(self) -> str:
        return self.aggregate_cls.aggregate_type

    def load(self, aggregate_id: str, version: int | None = None, use_snapshots: bool = True) -> A:
        """The aggregate at its latest version or at ``version``; ``NotFound`` if it has no events."""
        if version is None and (cached := self._cached(aggregate_id)) is not None:
            return cached
        aggregate = self._from_snapshot(aggregate_id, version) if use_snapshots else None
        if aggregate is None:
            aggregate = self.aggregate_cls(aggregate_id)
        warnings = aggregate.load_warnings
        events = self._store.get_events(aggregate_id, after_version=aggregate.version, to_version=version)
        for stored in events:
            aggregate.apply(self._registry.to_domain(stored))
        if aggregate.version == 0:
            raise NotFound(f"There is no {self.stream_type} '{aggregate_id}'.")
        aggregate.load_warnings = warnings
        return aggregate

    def from_snapshot(self, aggregate_id: str, version: int | None = None) -> A | None:
        """The aggregate from its newest usable snapshot at or below ``version`` (None: no snapshot), so a
        caller that needs the events after it too (time travel) can read them once. Corrupt or stale
        snapshots are handled as in :meth:`load` (the aggregate's ``load_warnings`` say so)."""
        return self._from_snapshot(aggregate_id, version)

    def _from_snapshot(self, aggregate_id: str, version: int | None) -> A | None:
        cls = self.aggregate_cls
        try:
            snap, stale = self._snapshots.latest(aggregate_id, version, cls.state_schema_version)
        except SnapshotCorrupt as e:
            log.warning("%s", e)
            aggregate = cls(aggregate_id)
            aggregate.load_warnings.append(str(e))
            return aggregate
        if stale:
            self._snapshots.drop_other_schemas(aggregate_id, cls.state_schema_version)
        if snap is None:
            if stale and version is None:
                self._replace_stale(aggregate_id)
            return None
        try:
            return cls.from_snapshot(aggregate_id, snap.version, snap.state)
        except SnapshotCorrupt as e:
            aggregate = cls(aggregate_id)
            aggregate.load_warnings.append(str(e))
            return aggregate

    def _replace_stale(self, aggregate_id: str) -> None:
        aggregate = self.load(aggregate_id, use_snapshots=False)
        self._snapshots.save(aggregate_id, self.stream_type, aggregate.version,
                             self.aggregate_cls.state_schema_version, aggregate.to_snapshot())

    def exists(self, aggregate_id: str) -> bool:
        return self._store.current_version(aggregate_id) > 0

    def save(self, aggregate: A, context) -> AppendResult:
        """Append the aggregate's new events (expecting the version it was loaded at), publish, clear."""
        pending = aggregate.uncommitted_events
        if not pending:
            return AppendResult(aggregate.id, [], aggregate.version)
        expected = aggregate.version - len(pending)
        events = [NewEvent(e.event_type, e.model_dump(mode="json"), e.schema_version,
                           context.metadata(), context.occurred_at,
                           context.event_id(aggregate.id, expected + i))
                  for i, e in enumerate(pending)]
        rows = {}
        if self.policy.due(expected, aggregate.version):
            rows[SnapshotStore.TABLE] = [SnapshotStore.row(aggregate.id, self.stream_type, aggregate.version,
                                                           self.aggregate_cls.state_schema_version,
                                                           aggregate.to_snapshot())]
        result = self._store.append(aggregate.id, events, expected, self.stream_type, rows)
        aggregate.clear_uncommitted_events()
        cache = getattr(self._local, "cache", None)
        if cache is not None:
            cache[aggregate.id] = aggregate
        if self._publish is not None and result.events:
            self._publish(result.events)
        return result
