"""The Orders domain's form hints: how pickers label customers, products and orders (from the order read
model), how an order reads in a sentence, and what a colleague does next to an order."""
from __future__ import annotations

from typing import Any

from esengine.domains.orders.aggregates import OrderState
from esengine.errors import DomainRuleViolation, NotFound
from esengine.forms.hints import FormHints, StreamPicker
from esengine.forms.references import reference_options

PICKERS = (  # every label holds the id, so searching the labels searches the ids too
    StreamPicker("customer", "orders", "customers", "name || ' <' || email || '> · ' || id", "name, id"),
    StreamPicker("product", "orders", "products", "name || ' (' || printf('%.2f', price) || ' €) · ' || id",
                 "name, id"),
    StreamPicker("order", "orders", "orders", "id || ' · ' || coalesce(customer_name, '?') || ' · ' || status || "
                 "' · ' || printf('%.2f', total) || ' €'", "updated_at DESC, id",
                 search_hint="part of an id, a customer's name or a status: Rossi, pending, order-07"),
)


def order_phrase(state: OrderState) -> str:
    status = state.status.value if state.status else "not created"
    return f"**{status}**, total **{state.total:.2f} €**"


def next_step(engine, order_id: str) -> tuple[str, dict[str, Any]]:
    """What a colleague does to the order now: a pending one gets one more item, a confirmed one is paid, a paid
    one is shipped; a finished one (shipped, cancelled) cannot change and is refused."""
    state = engine.repository("order").load(order_id).state
    status = state.status.value if state.status else "not created"
    if status == "pending":
        products = reference_options(engine, "product", limit=1)
        if not products:
            raise NotFound("There is no product to add. Add one to the catalogue first.")
        return "AddOrderItem", {"order_id": order_id, "product_id": products[0].id, "quantity": 1}
    if status == "confirmed":
        return "ReceivePayment", {"order_id": order_id, "amount": state.total}
    if status == "paid":
        return "ShipOrder", {"order_id": order_id, "tracking_number": "TRK-COLLEAGUE"}
    raise DomainRuleViolation(f"This order is {status}: nobody can change it any more. For the conflict "
                              "demonstration pick a pending, confirmed or paid order.")


def register_hints(hints: FormHints) -> None:
    for picker in PICKERS:
        hints.pick(picker)
    hints.phrase("order", order_phrase)
    hints.next_step("order", next_step)
