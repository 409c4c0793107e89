"""Breakpoints in time travel: run a stream forward (or back) until a condition on its state becomes true.

The condition (:mod:`esengine.conditions`) is evaluated on the state time travel shows at each version (the
aggregate's state where the stream has a class, else the generic fold). A breakpoint stops where the condition
*becomes* true: at a version where it holds and did not hold at the version before (version 0, the empty state,
counts as the version before the first event). The event at that version is the one that made it true.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esengine.conditions import Condition, condition
from esengine.core.events import StoredEvent
from esengine.timetravel.replay import Replayer

DIRECTIONS = ("next", "previous")


@dataclass(frozen=True)
class Breakpoint:
    """Where running from ``start`` in ``direction`` until ``condition`` stopped: ``version`` and the ``event``
    that made it true, or ``version`` None when it never becomes true that way. ``holds_at_start`` says
    whether the condition already held at ``start``."""

    stream_id: str
    condition: Condition
    direction: str
    start: int
    version: int | None
    event: StoredEvent | None
    holds_at_start: bool

    @property
    def found(self) -> bool:
        return self.version is not None

    def describe(self) -> str:
        """One sentence for a person: where it stopped and why, or that it did not."""
        if self.found and self.event is not None:
            return (f"`{self.condition.text}` became true at version {self.version}, "
                    f"made true by {self.event.event_type}.")
        way = "after" if self.direction == "next" else "before"
        still = " (it holds at the cursor and stays true)" if self.holds_at_start and self.direction == "next" else ""
        return f"`{self.condition.text}` never becomes true {way} version {self.start}{still}."


def run_until(engine, stream_id: str, text: str, start: int = 0, direction: str = "next") -> Breakpoint:
    """The first version after ``start`` (``direction="next"``) or the last one before it (``"previous"``) at
    which ``text`` becomes true on ``stream_id``'s state. ``ConditionError`` for a condition that cannot be
    read, ``NotFound`` / ``ValidationError`` for an unknown stream or a version outside it."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}")
    cond = condition(text)
    replayer = Replayer(engine, stream_id)
    start = replayer.check_version(start)
    folded: Any  # the aggregate, or the generic fold's dict
    if direction == "next":
        folded, _ = replayer.load(start)
        before = at_start = cond.holds(replayer.fold.state(folded))
        for event, after in replayer.steps(start, replayer.latest, folded):
            now = cond.holds(replayer.fold.state(after))
            if now and not before:
                return Breakpoint(replayer.stream_id, cond, direction, start, event.version, event, at_start)
            before = now
        return Breakpoint(replayer.stream_id, cond, direction, start, None, None, at_start)
    folded = replayer.fold.empty()
    before = cond.holds(replayer.fold.state(folded))
    found: StoredEvent | None = None
    for event, after in replayer.steps(0, replayer.latest, folded):
        now = cond.holds(replayer.fold.state(after))
        if event.version == start:
            return Breakpoint(replayer.stream_id, cond, direction, start, found.version if found else None, found, now)
        if now and not before:
            found = event
        before = now
    return Breakpoint(replayer.stream_id, cond, direction, start, None, None, before)  # start == 0
