"""State of any stream at a version or a moment, through snapshots where they exist.

:func:`state_at` is the public entry point (the page and the ``replay`` command call it);
:class:`Replayer` is the machinery diff, what-if and fixtures share: it picks the stream's fold
(its aggregate class, or the generic fold) and replays step by step.
"""
from __future__ import annotations

import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Iterator

from esengine.browsing.links import parse_moment as parse_iso
from esengine.core.events import StoredEvent, as_utc_naive
from esengine.errors import EsEngineError, NotFound, ValidationError
from esengine.timetravel.folds import AggregateFold, GenericFold

TIME_AXES = ("occurred_at", "recorded_at")


@dataclass
class StreamState:
    """A stream's state at one version.

    ``state`` is JSON-ready; ``snapshot_version`` is the snapshot the replay started from (None when it
    folded from the first event); ``last_event`` produced this version (None at version 0);
    ``warnings`` say what was worked around (a corrupt snapshot, events that do not fit the class).
    ``fold`` is ``"aggregate"`` or ``"generic"``; ``latest_version`` is the stream's last version.
    """

    stream_id: str
    stream_type: str
    version: int
    state: dict[str, Any]
    snapshot_version: int | None = None
    last_event: StoredEvent | None = None
    warnings: list[str] = field(default_factory=list)
    fold: str = "aggregate"
    latest_version: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready values (times as ISO-8601 UTC text), e.g. for the command line."""
        out = asdict(self)
        if self.last_event is not None:
            out["last_event"] = event_to_dict(self.last_event)
        return out


def event_to_dict(event: StoredEvent) -> dict[str, Any]:
    """A stored event as JSON-ready values (times as ISO-8601 text in UTC)."""
    out = asdict(event)
    for key in TIME_AXES:
        out[key] = _iso(out[key])
    return out


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def parse_moment(at: datetime | str) -> datetime:
    """A moment as naive UTC; text is ISO-8601 (``2026-05-01T12:00:00Z``; without a zone it is UTC)."""
    if isinstance(at, datetime):
        return as_utc_naive(at)
    text = str(at).strip()
    try:
        return parse_iso(text)
    except ValueError:
        raise ValidationError(f"'{text}' is not a date and time. Write it as ISO-8601, for example "
                              "2026-05-01T12:00:00Z.", {"at": "not an ISO-8601 date and time"}) from None


def fold_for(engine, stream_id: str, stream_type: str) -> AggregateFold | GenericFold:
    """The aggregate class's fold when the engine has a repository for ``stream_type``, else the generic one."""
    repository = engine.repositories.get(stream_type)
    if repository is not None:
        return AggregateFold(stream_id, repository, engine.registry, engine.store)
    return GenericFold(stream_id, engine.store)


_KNOWN: weakref.WeakKeyDictionary[Any, dict[str, tuple[int, str, int]]] = weakref.WeakKeyDictionary()


def _stream_type_and_version(engine, stream_id: str) -> tuple[str, int]:
    """The stream's type and last version; ``NotFound`` if it has none.

    Remembered per engine until the store's last position moves (every write goes through the one
    writer), so the steps of a slider over one stream skip this query.
    """
    position = engine.writer.last_position
    known = _KNOWN.setdefault(engine, {})
    hit = known.get(stream_id)
    if hit is not None and hit[0] == position:
        return hit[1], hit[2]
    stream_type, latest = engine.store.cursor().execute(
        "SELECT any_value(stream_type), max(version) FROM events WHERE stream_id = ?", [stream_id]).fetchall()[0]
    if latest is None:
        raise NotFound(f"There is no stream '{stream_id}'. Check the id, or search the streams by prefix.")
    if len(known) > 10_000:
        known.clear()
    known[stream_id] = (position, stream_type, latest)
    return stream_type, latest


class Replayer:
    """Replays one stream. ``NotFound`` when the stream has no events."""

    def __init__(self, engine, stream_id: str):
        if not stream_id or not str(stream_id).strip():
            raise ValidationError("Choose a stream to time-travel: its id is empty.", {"stream": "required"})
        self.engine = engine
        self.stream_id = stream_id = str(stream_id).strip()
        self.stream_type, self.latest = _stream_type_and_version(engine, stream_id)
        self.warnings: list[str] = []
        self._read_on_the_way: StoredEvent | None = None
        self.fold = fold_for(engine, stream_id, self.stream_type)

    # -- choosing the target -------------------------------------------------------------------------
    def check_version(self, version: int, what: str = "version") -> int:
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise ValidationError(f"The {what} must be a whole number (got {version!r}).", {what: "not a number"}) from None
        if version < 0 or version > self.latest:
            raise ValidationError(
                f"Stream '{self.stream_id}' has {self.latest} events, so there is no {what} {version}. "
                f"Pick a version from 0 to {self.latest}.", {what: f"between 0 and {self.latest}"})
        return version

    def version_at(self, at: datetime | str, by: str = "occurred_at") -> int:
        """The version reached at a moment: the last event whose ``by`` time is at or before it."""
        if by not in TIME_AXES:
            raise ValidationError(f"Time travel goes by 'occurred_at' or 'recorded_at', not '{by}'.",
                                  {"by": "occurred_at or recorded_at"})
        moment = parse_moment(at)
        version = self.engine.store.version_at(self.stream_id, moment, by)
        if version == 0:
            first = self._first_time(by)
            raise ValidationError(
                f"{moment:%Y-%m-%d %H:%M:%S} UTC is before the first event of '{self.stream_id}' "
                f"({by.replace('_', ' ')} {first:%Y-%m-%d %H:%M:%S} UTC). Pick a later moment.",
                {"at": "before the first event"})
        return version

    def _first_time(self, by: str) -> datetime:
        return self.engine.store.cursor().execute(  # ``by`` is one of TIME_AXES, checked by the caller
            f"SELECT min({by}) FROM events WHERE stream_id = ?", [self.stream_id]).fetchall()[0][0]

    # -- replaying -----------------------------------------------------------------------------------
    def load(self, version: int, use_snapshots: bool = True) -> tuple[Any, int | None]:
        """The folded value at ``version`` (0 gives the empty state) and the snapshot version used."""
        if version == 0:
            return self.fold.empty(), None
        try:
            folded, snapshot_version, warnings, self._read_on_the_way = self.fold.load(version, use_snapshots)
        except Exception as e:  # noqa: BLE001 - any event or snapshot the class cannot take: fold generically
            self._fall_back_to_generic(e)
            folded, snapshot_version, warnings, self._read_on_the_way = self.fold.load(version, use_snapshots)
        self.warnings.extend(warnings)
        return folded, snapshot_version

    def steps(self, after_version: int, to_version: int, folded: Any) -> Iterator[tuple[StoredEvent, Any]]:
        """Apply the events after ``after_version`` up to ``to_version`` to ``folded`` (the value at
        ``after_version``, updated in place) one by one, yielding each event with the value after it."""
        for event in self.engine.store.get_events(self.stream_id, after_version, to_version):
            yield event, self.apply(folded, event)

    def apply(self, folded: Any, event: StoredEvent) -> Any:
        try:
            return self.fold.apply(folded, event)
        except Exception as e:  # translated: say which event could not be applied
            raise EsEngineError(
                f"Event v{event.version} ({event.event_type}) of '{self.stream_id}' cannot be applied by "
                f"the {self.stream_type} aggregate: {e}") from e

    def retry_generic(self, error: Exception) -> bool:
        """After ``error`` in a replay through the aggregate class: switch to the generic fold (with a
        warning) and say so, so the caller replays again; False when the fold was generic already."""
        if isinstance(self.fold, GenericFold):
            return False
        self._fall_back_to_generic(error)
        return True

    def _fall_back_to_generic(self, error: Exception) -> None:
        if isinstance(self.fold, GenericFold):
            raise error
        self.warnings.append(
            f"The events of '{self.stream_id}' do not fit the {self.stream_type} aggregate ({error}); "
            "the state shown is the generic fold (the merge of the events' data) instead.")
        self.fold = GenericFold(self.stream_id, self.engine.store)

    def event(self, version: int) -> StoredEvent | None:
        """The event at ``version`` (None for 0); free when the last :meth:`load` already read it."""
        if version == 0:
            return None
        if self._read_on_the_way is not None and self._read_on_the_way.version == version:
            return self._read_on_the_way
        return self.engine.store.get_events(self.stream_id, version - 1, version)[0]


def state_at(engine, stream_id: str, version: int | None = None, at: datetime | str | None = None,
             by: str = "occurred_at", use_snapshots: bool = True) -> StreamState:
    """The state of ``stream_id`` at ``version`` (0 = before its first event), or at the moment ``at``
    (the last event whose ``by`` time, ``occurred_at`` or ``recorded_at``, is at or before it), or at
    its latest version when neither is given.

    Streams whose type has an aggregate class replay through it, starting from the newest usable
    snapshot; any other stream folds generically (the merge of its events' data). Raises ``NotFound``
    for an unknown stream and ``ValidationError`` for a version beyond the end, a moment before the first
    event, or both ``version`` and ``at`` given; a corrupt snapshot is skipped with a warning.
    """
    replayer = Replayer(engine, stream_id)
    if version is not None and at is not None:
        raise ValidationError("Give either a version or a moment, not both.", {"at": "or version, not both"})
    if at is not None:
        target = replayer.version_at(at, by)
    elif version is not None:
        target = replayer.check_version(version)
    else:
        target = replayer.latest
    folded, snapshot_version = replayer.load(target, use_snapshots)
    return StreamState(stream_id=replayer.stream_id, stream_type=replayer.stream_type, version=target,
                       state=replayer.fold.state(folded), snapshot_version=snapshot_version,
                       last_event=replayer.event(target), warnings=list(replayer.warnings),
                       fold=replayer.fold.kind, latest_version=replayer.latest)
