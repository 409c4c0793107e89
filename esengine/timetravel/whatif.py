"""What-if replay: the state a stream would have if chosen events had never happened.

The chosen events are left out and the rest replayed. Where the stream has an aggregate class, every
later event is first decided again against the what-if state (the domain's checks in ``engine.rules``,
see :mod:`esengine.timetravel.rules`): an event the aggregate would now refuse is reported with the rule
it breaks and, like the refused command it stands for, left out as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable

from esengine.errors import DomainRuleViolation, ValidationError
from esengine.timetravel.diff import FieldChange, diff_states
from esengine.timetravel.folds import AggregateFold
from esengine.timetravel.replay import Replayer


@dataclass(frozen=True)
class RuleBreak:
    """A later event that the aggregate would refuse in the what-if history, and the rule it breaks."""

    version: int
    event_type: str
    rule: str
    message: str


@dataclass
class WhatIf:
    """The real state at ``version`` beside the state without the ``skipped`` events.

    ``refused`` lists the later events left out because they would break a rule; ``changes`` go from
    the real state to the what-if state.
    """

    stream_id: str
    version: int
    skipped: list[int]
    real: dict[str, Any]
    alternative: dict[str, Any]
    changes: list[FieldChange] = field(default_factory=list)
    breaks: list[RuleBreak] = field(default_factory=list)
    rules_checked: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[int]:
        return [b.version for b in self.breaks]


def what_if(engine, stream_id: str, skip: Iterable[int], version: int | None = None) -> WhatIf:
    """Replay ``stream_id`` up to ``version`` (default: latest) without the events at the versions in
    ``skip``; compare with the real state and report the later events that would break a rule.

    Raises ``NotFound`` for an unknown stream and ``ValidationError`` for versions outside 1..version.
    """
    replayer = Replayer(engine, stream_id)
    target = replayer.check_version(replayer.latest if version is None else version)
    skipped = sorted({int(v) for v in skip})
    outside = [v for v in skipped if not 1 <= v <= target]
    if outside:
        raise ValidationError(f"Only events 1 to {target} can be skipped; there is no event "
                              f"{', '.join(map(str, outside))} before version {target}.", {"skip": "out of range"})
    real_folded, _ = replayer.load(target)
    real = replayer.fold.state(real_folded)
    if not skipped:
        return WhatIf(replayer.stream_id, target, [], real, real, warnings=list(replayer.warnings))
    start = skipped[0] - 1
    folded: Any
    folded, _ = replayer.load(start)  # the history is the same up to the first skipped event: snapshots still serve
    checking = isinstance(replayer.fold, AggregateFold) and engine.rules.knows(replayer.stream_type)
    breaks: list[RuleBreak] = []
    for event in engine.store.get_events(replayer.stream_id, start, target):
        if event.version in skipped:
            continue
        fold = replayer.fold
        check = engine.rules.check_for(replayer.stream_type, event.event_type) if checking else None
        if check is not None and isinstance(fold, AggregateFold):
            try:
                check(fold.copy(folded), fold.registry.to_domain(event))
            except DomainRuleViolation as e:
                breaks.append(RuleBreak(event.version, event.event_type, e.rule, str(e)))
                continue
        folded = replayer.apply(folded, event)
    alternative = replayer.fold.state(folded)
    warnings = list(replayer.warnings)
    if not checking:
        warnings.append(f"No rules are known for '{replayer.stream_type}' streams, so the later events are "
                        "replayed without being checked.")
    return WhatIf(replayer.stream_id, target, skipped, real, alternative, diff_states(real, alternative),
                  breaks, checking, warnings)
