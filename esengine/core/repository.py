"""The event-sourced repository: load an aggregate (through snapshots) and save its new events."""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

from esengine.core.aggregate import Aggregate
from esengine.core.events import AppendResult, EventRegistry, NewEvent, StoredEvent, StreamAppend
from esengine.core.snapshots import SnapshotPolicy, SnapshotStore
from esengine.errors import NotFound, SnapshotCorrupt, WrongStreamType

A = TypeVar("A", bound=Aggregate)
log = logging.getLogger(__name__)


class StreamWriter(Protocol):
    """What the repository asks of the store's single writer (:class:`esengine.store.writer.GroupCommitWriter`)."""

    def head(self, stream_id: str) -> tuple[int, str | None]: ...

    def commit(self, appends: list[StreamAppend], rows: dict[str, list[dict[str, Any]]] | None = None
               ) -> list[AppendResult]: ...


class EventStore(Protocol):
    """What the repository asks of the event store (:class:`esengine.store.event_store.EventStore`); the core
    names it here, so it does not import the store, which imports the core's events."""

    @property
    def writer(self) -> StreamWriter: ...

    def get_events(self, stream_id: str, after_version: int = 0, to_version: int | None = None
                   ) -> list[StoredEvent]: ...

    def current_version(self, stream_id: str) -> int: ...


class LatestStates:
    """The latest state of recently used aggregates, kept in memory (shared by every thread).

    An entry is trusted only while its version equals the stream's version as the writer knows it;
    any other write to the stream (another session, an import, a direct append) moves that version on,
    so the entry is passed over and replaced at the next load. States are copied in and out, so no
    caller can change what another one gets.
    """

    def __init__(self, capacity: int = 20_000):
        self._entries: OrderedDict[str, tuple[tuple[int, int], Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def get(self, aggregate_id: str, version: tuple[int, int]) -> Any | None:
        """A copy of the state kept at ``version`` (the stream's version and the state's schema version)."""
        with self._lock:
            entry = self._entries.get(aggregate_id)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(aggregate_id)
            state = entry[1]
        return state.model_copy(deep=True)

    def put(self, aggregate_id: str, version: tuple[int, int], state: Any) -> None:
        state = state.model_copy(deep=True)
        with self._lock:
            entry = self._entries.get(aggregate_id)
            if entry is not None and entry[0] > version:
                return
            self._entries[aggregate_id] = (version, state)
            self._entries.move_to_end(aggregate_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Repository(Generic[A]):
    """Loads and saves one aggregate type; snapshots by its :class:`SnapshotPolicy`."""

    def __init__(self, aggregate_cls: type[A], store: EventStore, registry: EventRegistry,
                 snapshots: SnapshotStore, policy: SnapshotPolicy, publish=None):
        self.aggregate_cls = aggregate_cls
        self._store, self._registry, self._snapshots = store, registry, snapshots
        self.policy = policy
        self._publish = publish
        self._local = threading.local()
        self.latest = LatestStates()

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
        """The aggregate at its latest version or at ``version``.

        Raises ``NotFound`` if the stream has no events and ``WrongStreamType`` (a ``NotFound``) if it is a
        stream of another type: an id typed by mistake must never make one aggregate fold another's history.
        """
        if version is None and (cached := self._cached(aggregate_id)) is not None:
            return cached
        current = self.check_type(aggregate_id)
        latest = version is None and use_snapshots
        schema = self.aggregate_cls.state_schema_version
        if latest and current and (state := self.latest.get(aggregate_id, (current, schema))) is not None:
            aggregate = self.aggregate_cls(aggregate_id)
            aggregate.state, aggregate.version = state, current
            return aggregate
        snapshot = self._from_snapshot(aggregate_id, version) if use_snapshots else None
        aggregate = snapshot if snapshot is not None else self.aggregate_cls(aggregate_id)
        warnings = aggregate.load_warnings
        events = self._store.get_events(aggregate_id, after_version=aggregate.version, to_version=version)
        for stored in events:
            aggregate.apply(self._registry.to_domain(stored))
        if aggregate.version == 0:
            raise NotFound(f"There is no {self.stream_type} '{aggregate_id}'.")
        aggregate.load_warnings = warnings
        if latest and aggregate.version == current and not warnings:
            self.latest.put(aggregate_id, (current, schema), aggregate.state)
        return aggregate

    def check_type(self, aggregate_id: str) -> int:
        """The stream's version; refuses a stream of another type (the store knows each stream's type)."""
        current, kind = self._store.writer.head(aggregate_id)
        if current and kind and kind != self.stream_type:
            raise WrongStreamType(aggregate_id, self.stream_type, kind)
        return current

    def snapshot_states(self, aggregate_id: str) -> dict[int, dict] | None:
        """Every snapshot of the stream that fits this class's state (None when any needs care)."""
        states = self._snapshots.all_states(aggregate_id, self.aggregate_cls.state_schema_version)
        try:
            for version, state in (states or {}).items():
                self.aggregate_cls.from_snapshot(aggregate_id, version, state)
        except SnapshotCorrupt:
            return None
        return states

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

    def prepare(self, aggregate: A, context) -> tuple[StreamAppend, dict[str, list[dict]]] | None:
        """The aggregate's new events as an append (expecting the version it was loaded at), with the
        snapshot row the policy asks for; None when there is nothing new. Nothing is written yet."""
        pending = aggregate.uncommitted_events
        if not pending:
            return None
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
        return StreamAppend(aggregate.id, self.stream_type, events, expected), rows

    def committed(self, aggregate: A, result: AppendResult) -> None:
        """After the commit of what :meth:`prepare` gave: clear the aggregate's new events, publish them."""
        aggregate.clear_uncommitted_events()
        if result.events and getattr(self._local, "cache", None) is None:
            self.latest.put(aggregate.id, (result.version, self.aggregate_cls.state_schema_version), aggregate.state)
        cache = getattr(self._local, "cache", None)
        if cache is not None:
            cache[aggregate.id] = aggregate
        if self._publish is not None and result.events:
            self._publish(result.events)

    def save(self, aggregate: A, context) -> AppendResult:
        """Append the aggregate's new events on their own (commands commit through their scope instead)."""
        prepared = self.prepare(aggregate, context)
        if prepared is None:
            return AppendResult(aggregate.id, [], aggregate.version)
        result = self._store.writer.commit([prepared[0]], prepared[1])[0]
        self.committed(aggregate, result)
        return result
