"""The event-sourced aggregate: state changes only by applying events; new events wait to be saved."""
from __future__ import annotations

from typing import Any, ClassVar, TypeVar, Self
from collections.abc import Callable, Iterable

import pydantic

from esengine.core.events import DomainEvent
from esengine.errors import DomainRuleViolation, SnapshotCorrupt

A = TypeVar("A", bound="Aggregate")


def applies(event_cls: type[DomainEvent]) -> Callable:
    """Mark an aggregate method as the one that applies ``event_cls`` to the state."""
    def mark(fn):
        fn._applies = event_cls.event_type
        return fn
    return mark


class Aggregate:
    """Base of event-sourced aggregates.

    Subclasses set ``aggregate_type`` (also the stream type), ``State`` (a pydantic model: the state,
    which is also the snapshot) and ``state_schema_version`` (raise it when ``State`` changes shape,
    so old snapshots are ignored), and mark their apply methods with :func:`applies`.
    Command methods check rules with :meth:`check_rule` (which remembers each rule in ``rules_checked``,
    so a caller can show what was checked), then call :meth:`raise_event`.
    """

    aggregate_type: ClassVar[str] = ""
    state_schema_version: ClassVar[int] = 1
    State: ClassVar[type[pydantic.BaseModel]]
    _appliers: ClassVar[dict[str, Callable[[Aggregate, Any], None]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._appliers = {fn._applies: fn for fn in vars(cls).values() if hasattr(fn, "_applies")}

    @classmethod
    def event_types(cls) -> frozenset[str]:
        """The event types that belong in this aggregate's streams (those it applies)."""
        return frozenset(cls._appliers)

    def __init__(self, aggregate_id: str):
        self.id = aggregate_id
        self.version = 0
        self.state = self.State()
        self._uncommitted: list[DomainEvent] = []
        self.snapshot_version: int | None = None
        self.load_warnings: list[str] = []
        self.rules_checked: list[str] = []

    def check_rule(self, holds: bool, rule: str, message: str) -> None:
        """Note that ``rule`` was checked; if it does not hold, refuse with ``message``."""
        self.rules_checked.append(rule)
        if not holds:
            raise DomainRuleViolation(message, rule=rule)

    # -- the seed's contract ------------------------------------------------------------------------
    @property
    def uncommitted_events(self) -> list[DomainEvent]:
        return list(self._uncommitted)

    def clear_uncommitted_events(self) -> None:
        self._uncommitted.clear()

    def raise_event(self, event: DomainEvent) -> None:
        """Apply a new event and keep it until the repository saves it (the seed's ``apply``)."""
        self.apply(event)
        self._uncommitted.append(event)

    def apply(self, event: DomainEvent) -> None:
        """Apply an event to the state and count it; unknown event types only advance the version."""
        applier = self._appliers.get(event.event_type)
        if applier is not None:
            applier(self, event)
        self.version += 1

    @classmethod
    def load_from_history(cls, aggregate_id: str, events: Iterable[DomainEvent]) -> Self:
        aggregate = cls(aggregate_id)
        for event in events:
            aggregate.apply(event)
        return aggregate

    # -- snapshots ----------------------------------------------------------------------------------
    def to_snapshot(self) -> dict[str, Any]:
        """The state as JSON-ready data; also the readable state shown by time travel."""
        return self.state.model_dump(mode="json")

    @classmethod
    def from_snapshot(cls, aggregate_id: str, version: int, state: dict[str, Any]) -> Self:
        aggregate = cls(aggregate_id)
        try:
            aggregate.state = cls.State.model_validate(state)
        except pydantic.ValidationError as e:
            raise SnapshotCorrupt(f"The snapshot of '{aggregate_id}' at version {version} does not fit "
                                  f"{cls.__name__}'s state; it is ignored.") from e
        aggregate.version = version
        aggregate.snapshot_version = version
        return aggregate
