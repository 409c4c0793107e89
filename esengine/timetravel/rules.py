"""Which rule an event would break if it were decided again: used by what-if replay.

Events are facts, so applying them never checks a rule; the rules live in the aggregate's command
methods. To ask "would this event still be allowed if earlier ones had not happened?", what-if calls
the command method that raises the event again, on a copy of the what-if state. Each engine has one
:class:`RuleBook` (``engine.rules``); a domain fills it in its ``register(engine)``::

    engine.rules.register(Order, "OrderConfirmed", lambda order, event: order.confirm())
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esengine.core.aggregate import Aggregate

RuleCheck = Callable[[Any, Any], None]
"""``check(aggregate_copy, domain_event)`` raises ``DomainRuleViolation`` when the event would be refused."""


class RuleBook:
    """The command method that decides each event type of each stream type, as the domains registered them."""

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], RuleCheck] = {}

    def register(self, stream_type: str | type[Aggregate], event_type: str, check: RuleCheck) -> None:
        """Say how ``event_type`` events of ``stream_type`` streams (a name, or an aggregate class) are decided."""
        kind = stream_type if isinstance(stream_type, str) else stream_type.aggregate_type
        self._checks[(kind, event_type)] = check

    def check_for(self, stream_type: str, event_type: str) -> RuleCheck | None:
        return self._checks.get((stream_type, event_type))

    def knows(self, stream_type: str) -> bool:
        """Whether any rule of ``stream_type`` streams is registered (what-if then checks their later events)."""
        return any(t == stream_type for t, _ in self._checks)
