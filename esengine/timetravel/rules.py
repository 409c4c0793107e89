"""Which rule an event would break if it were decided again: used by what-if replay.

Events are facts, so applying them never checks a rule; the rules live in the aggregate's command
methods. To ask "would this event still be allowed if earlier ones had not happened?", what-if calls
the command method that raises the event again, on a copy of the what-if state. A domain says which
method that is with :func:`register_rule_check`; the Orders domain's checks are registered here.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Callable

from esengine.core.aggregate import Aggregate

RuleCheck = Callable[[Aggregate, Any], None]
"""``check(aggregate_copy, domain_event)`` raises ``DomainRuleViolation`` when the event would be refused."""

_CHECKS: dict[tuple[str, str], RuleCheck] = {}


def register_rule_check(stream_type: str, event_type: str, check: RuleCheck) -> None:
    """Say which command method decides ``event_type`` events of ``stream_type`` streams."""
    _CHECKS[(stream_type, event_type)] = check


def rule_check(stream_type: str, event_type: str) -> RuleCheck | None:
    return _CHECKS.get((stream_type, event_type))


def knows_rules_for(stream_type: str) -> bool:
    return any(t == stream_type for t, _ in _CHECKS)


def _orders(event_type: str, check: Callable[[Any, Any], None], stream_type: str = "order") -> None:
    register_rule_check(stream_type, event_type, check)


_orders("OrderItemAdded", lambda o, e: o.add_item(e.product_id, e.quantity, e.unit_price))
_orders("OrderConfirmed", lambda o, e: o.confirm())
_orders("PaymentReceived", lambda o, e: o.receive_payment(e.amount))
_orders("OrderShipped", lambda o, e: o.ship(e.tracking_number))
_orders("OrderCancelled", lambda o, e: o.cancel(e.reason))
_orders("ProductPriceChanged", lambda p, e: p.change_price(e.new_price), "product")
_orders("CustomerEmailChanged", lambda c, e: c.change_email(e.email), "customer")
