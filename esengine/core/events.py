"""Events as the domain raises them, as the store keeps them, and the registry that maps one to the other."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any, ClassVar
from collections.abc import Callable

import pydantic

from esengine.errors import EsEngineError, ValidationError


def utcnow() -> datetime:
    """Now, in UTC, as the naive datetime the store keeps (all stored times are UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc_naive(moment: datetime) -> datetime:
    """Normalise an aware datetime to naive UTC; a naive one is taken as UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class DomainEvent(pydantic.BaseModel):
    """Base of the domain's events: past-tense names, immutable data, a schema version per type."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__


class GeneratedId(str):
    """An event id this process drew (a fresh UUID4): it cannot be stored already, so a commit need not look it up.
    An id a caller gives (an import, a retried command) is a plain ``str`` and is looked up."""

    __slots__ = ()

    def __reduce__(self):  # an id that left this process (pickled, queued, sent back later) is looked up again
        return str, (str(self),)


def generated_id() -> GeneratedId:
    return GeneratedId(uuid.uuid4())


@dataclass(frozen=True)
class NewEvent:
    """An event on its way into the store (position, version and recorded_at are assigned there)."""

    event_type: str
    data: dict[str, Any]
    schema_version: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None
    event_id: str = field(default_factory=generated_id)

    def __post_init__(self) -> None:
        if not isinstance(self.event_id, GeneratedId):  # a caller's id: checked, and written as the store writes it
            try:
                canonical = str(uuid.UUID(str(self.event_id)))
            except ValueError as e:
                raise ValidationError(f"The event id {self.event_id!r} is not a UUID. Give one such as "
                                      f"{uuid.uuid4()}, or leave the id out and one is drawn.") from e
            object.__setattr__(self, "event_id", canonical)


@dataclass(frozen=True)
class StoredEvent:
    """An event as the store keeps it. Immutable; ``data`` and ``metadata`` are plain dicts."""

    position: int
    event_id: str
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    occurred_at: datetime
    recorded_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> StoredEvent:
        data, meta = row["data"], row["metadata"]
        return cls(
            position=row["position"], event_id=str(row["event_id"]), stream_id=row["stream_id"],
            stream_type=row["stream_type"], version=row["version"], event_type=row["event_type"],
            schema_version=row["schema_version"],
            data=json.loads(data) if isinstance(data, str) else (data or {}),
            metadata=json.loads(meta) if isinstance(meta, str) else (meta or {}),
            occurred_at=row["occurred_at"], recorded_at=row["recorded_at"],
        )


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class StreamAppend:
    """New events for one stream of one type, expected at a version (``ANY_VERSION``: no check)."""

    stream_id: str
    stream_type: str
    events: list[NewEvent]
    expected_version: int


@dataclass
class AppendResult:
    """What one append did: the events as stored (empty when every event id was already stored)."""

    stream_id: str
    events: list[StoredEvent]
    version: int

    @property
    def duplicate(self) -> bool:
        return not self.events


class UnknownEventType(EsEngineError):
    """The registry has no class for an event type (imported or retired types fold generically)."""


class EventRegistry:
    """Maps event type names to their classes and current schema versions, and upcasts old data.

    ``register_upcaster("ProductPriceChanged", 1, fn)`` says how data stored as v1 becomes v2; a chain
    of upcasters takes any stored version to the current one when the event is read.
    """

    def __init__(self) -> None:
        self._classes: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, *classes: type[DomainEvent]) -> None:
        for cls in classes:
            self._classes[cls.event_type] = cls

    def register_upcaster(self, event_type: str, from_version: int, upcaster: Upcaster) -> None:
        self._upcasters[(event_type, from_version)] = upcaster

    def knows(self, event_type: str) -> bool:
        return event_type in self._classes

    def event_class(self, event_type: str) -> type[DomainEvent]:
        try:
            return self._classes[event_type]
        except KeyError:
            raise UnknownEventType(f"No event class is registered for '{event_type}'.") from None

    def upcast(self, event_type: str, schema_version: int, data: dict[str, Any]) -> dict[str, Any]:
        """The data of a stored event, brought to the current schema version of its type."""
        current = self.event_class(event_type).schema_version
        version = schema_version
        while version < current:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise EsEngineError(
                    f"'{event_type}' is stored at schema v{version} but no upcaster leads to v{current}; "
                    f"register one with register_upcaster('{event_type}', {version}, fn)."
                )
            data = step(dict(data))
            version += 1
        return data

    def to_domain(self, stored: StoredEvent) -> DomainEvent:
        """The stored event as an instance of its domain class, upcast to the current schema."""
        cls = self.event_class(stored.event_type)
        data = self.upcast(stored.event_type, stored.schema_version, stored.data)
        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as e:
            raise ValidationError.from_pydantic(
                f"Stored event at position {stored.position} ({stored.event_type})", e) from e

    @staticmethod
    def to_new_event(event: DomainEvent, metadata: dict[str, Any], occurred_at: datetime | None) -> NewEvent:
        return NewEvent(event_type=event.event_type, data=event.model_dump(mode="json"),
                        schema_version=event.schema_version, metadata=metadata, occurred_at=occurred_at)
