"""The difference between two states at field level, and which event last changed each field.

Paths name fields the way a person reads them: ``status``, ``items[1].quantity``, ``address.city``.
Nested objects and lists are compared element by element; a value whose type changed is "changed" whole.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from esengine.core.events import StoredEvent
from esengine.errors import EsEngineError
from esengine.timetravel.replay import Replayer, StreamState

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: ``kind`` is added, removed or changed; ``event`` last changed it (if known)."""

    path: str
    kind: str
    before: Any = None
    after: Any = None
    event: StoredEvent | None = None


@dataclass
class StateDiff:
    """The fields that differ between the state at ``from_version`` and at ``to_version``."""

    stream_id: str
    from_version: int
    to_version: int
    before: dict[str, Any]
    after: dict[str, Any]
    changes: list[FieldChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed_paths(self) -> set[str]:
        return {c.path for c in self.changes}

    def rows(self) -> list[dict[str, Any]]:
        """One row per change, values as compact JSON text, for a table on a page or in a report."""
        return [{"field": c.path, "change": c.kind, "before": _text(c.before, c.kind == ADDED),
                 "after": _text(c.after, c.kind == REMOVED),
                 "changed by": f"v{c.event.version} {c.event.event_type}" if c.event else ""}
                for c in self.changes]


def _text(value: Any, absent: bool) -> str:
    return "" if absent else json.dumps(value, ensure_ascii=False, default=str)


def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def diff_states(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Field-level changes from ``before`` to ``after`` (JSON-like values), in a stable order."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in before:
            if key not in after:
                changes.append(FieldChange(_join(path, key), REMOVED, before[key], None))
            else:
                changes.extend(diff_states(before[key], after[key], _join(path, key)))
        for key in after:
            if key not in before:
                changes.append(FieldChange(_join(path, key), ADDED, None, after[key]))
        return changes
    if isinstance(before, list) and isinstance(after, list):
        changes = []
        for i in range(min(len(before), len(after))):
            changes.extend(diff_states(before[i], after[i], _join(path, i)))
        changes += [FieldChange(_join(path, i), REMOVED, before[i], None) for i in range(len(after), len(before))]
        changes += [FieldChange(_join(path, i), ADDED, None, after[i]) for i in range(len(before), len(after))]
        return changes
    if before == after and type(before) is type(after):
        return []
    return [FieldChange(path or "(state)", CHANGED, before, after)]


def _related(a: str, b: str) -> bool:
    """Whether one path is the other or contains it (``items`` and ``items[2].quantity``)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return long_.startswith(short) and long_[len(short)] in ".["


def diff_versions(engine, stream_id: str, from_version: int, to_version: int | None = None) -> StateDiff:
    """The field-level diff from the state at ``from_version`` to the state at ``to_version`` (default:
    the latest), each change naming the event between the two versions that last changed that field.

    Works for any stream (aggregate or generic fold); either version may be the larger one.
    Raises ``NotFound`` for an unknown stream and ``ValidationError`` for a version outside 0..N.
    """
    replayer = Replayer(engine, stream_id)
    return _diff(replayer, from_version, replayer.latest if to_version is None else to_version)[0]


def state_and_diff(engine, stream_id: str, version: int, compare: int | None = None) -> tuple[StreamState, StateDiff]:
    """The state at ``version`` and its diff from ``compare`` (default: the version before), in one replay.

    What the Time travel page shows at its cursor; cheaper than :func:`state_at` plus :func:`diff_versions`.
    """
    replayer = Replayer(engine, stream_id)
    version = replayer.check_version(version)
    compare = max(version - 1, 0) if compare is None else compare
    diff, low_snapshot, last_stepped = _diff(replayer, compare, version)
    # the replay started from the lower version's snapshot whichever end the cursor is
    event = last_stepped if last_stepped is not None and last_stepped.version == version else replayer.event(version)
    state = StreamState(replayer.stream_id, replayer.stream_type, version, diff.after, low_snapshot, event,
                        diff.warnings, replayer.fold.kind, replayer.latest)
    return state, diff


def _diff(replayer: Replayer, from_version: int, to_version: int) -> tuple[StateDiff, int | None, StoredEvent | None]:
    """The diff, the snapshot the lower version was loaded from, and the last event replayed."""
    try:
        return _diff_once(replayer, from_version, to_version)
    except EsEngineError as e:  # a later event the class cannot apply: the whole range folds generically
        if not replayer.retry_generic(e):
            raise
        return _diff_once(replayer, from_version, to_version)


def _diff_once(replayer: Replayer, from_version: int, to_version: int) -> tuple[StateDiff, int | None, StoredEvent | None]:
    start = replayer.check_version(from_version, "version")
    end = replayer.check_version(to_version, "compared version")
    low, high = sorted((start, end))
    low_folded, low_snapshot = replayer.load(low)
    low_state = replayer.fold.state(low_folded)
    previous, last_change, last_event = low_state, {}, None
    for last_event, folded in replayer.steps(low, high, low_folded):
        current = replayer.fold.state(folded)
        for change in diff_states(previous, current):
            last_change[change.path] = last_event
        previous = current
    high_state = previous
    before, after = (low_state, high_state) if start <= end else (high_state, low_state)
    changes = []
    for change in diff_states(before, after):
        causes = [e for p, e in last_change.items() if _related(p, change.path)]
        cause = max(causes, key=lambda e: e.version) if causes else None
        changes.append(FieldChange(change.path, change.kind, change.before, change.after, cause))
    diff = StateDiff(replayer.stream_id, start, end, before, after, changes, list(replayer.warnings))
    return diff, low_snapshot, last_event
