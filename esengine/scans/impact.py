"""Rule-change impact: which events of the existing histories would today's rules refuse?

Every stream of a type whose domain registered rule checks (the checks what-if uses) is replayed through its
aggregate class; before each event is applied, the check that decides it is run on a copy of the state just
before it. An event the check refuses is listed with the rule and the message, and applied all the same (it did
happen), so the next events are judged against the real history. A team changing a rule sees, before it ships,
which past events it would have refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

import pandas as pd

from esengine.core.events import StoredEvent
from esengine.errors import DomainRuleViolation, NotFound
from esengine.store.event_store import EVENT_COLUMNS
from esengine.timetravel.folds import AggregateFold
from esengine.timetravel.replay import fold_for

COLUMNS = ["stream_id", "version", "event_type", "rule", "message", "occurred_at", "recorded_at", "position"]


@dataclass
class Impact:
    """``refused``: one row per event today's rules would refuse (``COLUMNS``); ``streams`` and ``events``
    checked; ``skipped``: streams whose events do not fit their aggregate class, not checked."""

    stream_type: str
    refused: pd.DataFrame
    streams: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)


def rule_change_impact(engine, stream_type: str) -> Impact:
    """Run the current rule checks of ``stream_type`` over every existing history of that type.

    ``NotFound`` when no rules are registered for the type (nothing to check) or it has no aggregate class.
    """
    if not engine.rules.knows(stream_type) or stream_type not in engine.repositories:
        raise NotFound(f"No rules are registered for '{stream_type}' streams, so there is nothing to check. "
                       "A domain registers the checks that decide its events (see what-if in time travel).")
    rel = engine.store.cursor().execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE stream_type = ? ORDER BY stream_id, version", [stream_type])
    names = [d[0] for d in rel.description]
    events = (StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall())
    impact, rows = Impact(stream_type, pd.DataFrame(columns=COLUMNS)), []
    for stream_id, history in groupby(events, key=lambda e: e.stream_id):
        impact.streams += 1
        rows += _judge(engine, stream_type, stream_id, list(history), impact)
    impact.refused = pd.DataFrame(rows, columns=COLUMNS)
    return impact


def _judge(engine, stream_type: str, stream_id: str, history: list[StoredEvent], impact: Impact) -> list[list]:
    fold = fold_for(engine, stream_id, stream_type)
    if not isinstance(fold, AggregateFold):
        return []
    folded, refused = fold.empty(), []
    try:
        for event in history:
            impact.events += 1
            check = engine.rules.check_for(stream_type, event.event_type)
            if check is not None:
                try:
                    check(fold.copy(folded), fold.registry.to_domain(event))
                except DomainRuleViolation as e:
                    refused.append([stream_id, event.version, event.event_type, e.rule, str(e), event.occurred_at,
                                    event.recorded_at, event.position])
            folded = fold.apply(folded, event)
    except Exception:  # noqa: BLE001 - events the class cannot read: time travel folds them generically
        impact.skipped.append(stream_id)
        return []
    return refused
