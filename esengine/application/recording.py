"""What a command's handler did, recorded for display: each aggregate it loaded (at which version) or
created, so the rules it checked can be shown beside the events (the Commands page's flow diagram).

Recording is off unless a caller asks for it with :func:`recording`; the command bus then notes each
:class:`~esengine.application.buses.CommandScope` it opens on this thread (or task).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterator


@dataclass
class Load:
    """One aggregate a handler loaded: its stream, the version it was at (None: there was no such stream)."""

    aggregate_type: str
    stream_id: str
    version: int | None
    aggregate: Any = None  # the loaded aggregate; its ``rules_checked`` grow while the handler runs

    @property
    def rules_checked(self) -> list[str]:
        return list(getattr(self.aggregate, "rules_checked", []) or [])


@dataclass
class ScopeRecord:
    """What one command's handler touched, in order: loads, and aggregates it created and saved."""

    loads: list[Load] = field(default_factory=list)
    saved: list[Any] = field(default_factory=list)  # aggregates handed to ``scope.save``

    def aggregates(self) -> list[Load]:
        """Every aggregate the command worked on once: loaded ones first, then newly created ones."""
        seen = {id(load.aggregate) for load in self.loads if load.aggregate is not None}
        created = [Load(a.aggregate_type, a.id, 0, a) for a in self.saved if id(a) not in seen]
        return self.loads + created


_active: ContextVar[list[ScopeRecord] | None] = ContextVar("esengine_scope_records", default=None)


@contextmanager
def recording() -> Iterator[list[ScopeRecord]]:
    """Record the scopes of the commands run inside this block (on this thread) into the yielded list."""
    records: list[ScopeRecord] = []
    token = _active.set(records)
    try:
        yield records
    finally:
        _active.reset(token)


def new_record() -> ScopeRecord | None:
    """A record for a scope being opened now, if someone is recording (else None: nothing is kept)."""
    records = _active.get()
    if records is None:
        return None
    record = ScopeRecord()
    records.append(record)
    return record


class RecordingRepository:
    """A repository seen through a scope: each ``load`` is noted in the scope's record."""

    def __init__(self, repository: Any, record: ScopeRecord):
        self._repository, self._record = repository, record

    def load(self, aggregate_id: str, *args: Any, **kwargs: Any):
        try:
            aggregate = self._repository.load(aggregate_id, *args, **kwargs)
        except Exception:
            self._record.loads.append(Load(self._repository.stream_type, aggregate_id, None))
            raise
        self._record.loads.append(Load(self._repository.stream_type, aggregate_id, aggregate.version, aggregate))
        return aggregate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)
