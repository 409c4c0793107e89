"""Helpers for the Commands page: load an order, let "a colleague" change it, prefill from an event."""
from __future__ import annotations

import json
from typing import Any

from esengine.application.context import CommandContext, new_id
from esengine.errors import DomainRuleViolation, NotFound
from esengine.forms.references import reference_options

COLLEAGUE = "a colleague"


def order_summary(engine, order_id: str) -> dict[str, Any]:
    """The order's current version, status and total, from its events; ``NotFound`` if it has none."""
    order = engine.repository("order").load(order_id)
    status = order.state.status.value if order.state.status else "not created"
    return {"order_id": order_id, "version": order.version, "status": status, "total": order.state.total}


def colleague_change(engine, order_id: str, correlation_id: str | None = None):
    """Change the order as someone else would, so a form loaded before now holds a stale version.

    A pending order gets one more item, a confirmed one is paid, a paid one is shipped. Returns the
    ``CommandResult``; a finished order (shipped, cancelled) cannot change and is refused.
    """
    summary = order_summary(engine, order_id)
    status = summary["status"]
    if status == "pending":
        products = reference_options(engine, "product", limit=1)
        if not products:
            raise NotFound("There is no product to add. Add one to the catalogue first.")
        command, payload = "AddOrderItem", {"order_id": order_id, "product_id": products[0].id, "quantity": 1}
    elif status == "confirmed":
        command, payload = "ReceivePayment", {"order_id": order_id, "amount": summary["total"]}
    elif status == "paid":
        command, payload = "ShipOrder", {"order_id": order_id, "tracking_number": "TRK-COLLEAGUE"}
    else:
        raise DomainRuleViolation(f"This order is {status}: nobody can change it any more. For the conflict "
                                  "demonstration pick a pending, confirmed or paid order.")
    context = CommandContext(user_id=COLLEAGUE, correlation_id=correlation_id or new_id())
    return engine.commands.submit(command, payload, context)


def command_of_event(store, position: int) -> tuple[str, dict[str, Any]]:
    """The command type and payload that produced the event at ``position`` (for "again like this")."""
    event = store.get_event(position=position)
    command_id = event.metadata.get("command_id")
    rows = store.cursor().execute(
        "SELECT command_type, CAST(payload AS VARCHAR) FROM command_log WHERE command_id = ? AND outcome = 'accepted'",
        [command_id or ""]).fetchall()
    if not rows:
        raise NotFound(f"Event {position} was not produced by a logged command (it was imported or bulk-loaded), "
                       "so there is no form to prefill. Pick an event from the Commands page or the demo history.")
    return rows[0][0], json.loads(rows[0][1])
