"""The seed's order read model: orders denormalized with customer and product details (version 1)."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from collections.abc import Callable, Iterable

from esengine.core.events import StoredEvent
from esengine.domains.orders.order_sql import build_orders
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles

CUSTOMERS = ReadModelTable("customers", "id", (("id", "VARCHAR"), ("name", "VARCHAR"), ("email", "VARCHAR")))
PRODUCTS = ReadModelTable("products", "id", (("id", "VARCHAR"), ("name", "VARCHAR"), ("price", "DOUBLE")))
ORDERS = ReadModelTable("orders", "id", (
    ("id", "VARCHAR"), ("customer_id", "VARCHAR"), ("customer_name", "VARCHAR"), ("customer_email", "VARCHAR"),
    ("items", "JSON"), ("total", "DOUBLE"), ("status", "VARCHAR"), ("status_label", "VARCHAR"),
    ("tracking_number", "VARCHAR"), ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"),
))


class OrderProjection(Projection):
    """Keeps ``orders`` as in the seed's OrderReadModel, from the order and catalogue events."""

    name = "orders"
    version = 1
    description = "The seed's order read model: customer name and email, product names, totals, status label."
    tables = (CUSTOMERS, PRODUCTS, ORDERS)

    def build_set_based(self, cur, physical: Callable[[str], str], upto: int, until: datetime | None = None,
                        clock: str = "occurred_at") -> bool:
        return build_orders(cur, physical, upto, shipped_label="'Shipped - ' || g.tracking", until=until,
                            clock=clock)

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        d = event.data
        if event.stream_type == "customer":
            return {"customers": [event.stream_id]}
        if event.stream_type == "product":
            return {"products": [event.stream_id]}
        if event.event_type == "OrderCreated":
            return {"orders": [event.stream_id], "customers": [d.get("customer_id")],
                    "products": [i.get("product_id") for i in d.get("items", [])]}
        if event.event_type == "OrderItemAdded":
            return {"orders": [event.stream_id], "products": [d.get("product_id")]}
        return {"orders": [event.stream_id]}

    @handles("CustomerRegistered")
    def _customer(self, e: StoredEvent, rows: RowSet) -> None:
        rows.put("customers", {"id": e.stream_id, "name": e.data["name"], "email": e.data["email"]})

    @handles("CustomerEmailChanged")
    def _email(self, e: StoredEvent, rows: RowSet) -> None:
        customer = rows.get("customers", e.stream_id)
        if customer:
            rows.put("customers", {**customer, "email": e.data["email"]})

    @handles("ProductAdded")
    def _product(self, e: StoredEvent, rows: RowSet) -> None:
        rows.put("products", {"id": e.stream_id, "name": e.data["name"], "price": e.data["price"]})

    @handles("ProductPriceChanged")
    def _price(self, e: StoredEvent, rows: RowSet) -> None:
        product = rows.get("products", e.stream_id)
        price = e.data.get("new_price", e.data.get("price"))
        if product:
            rows.put("products", {**product, "price": price})

    def _item(self, rows: RowSet, item: dict[str, Any]) -> dict[str, Any]:
        product = rows.get("products", item["product_id"]) or {}
        return {"product_id": item["product_id"], "product_name": product.get("name"),
                "quantity": item["quantity"], "unit_price": item["unit_price"],
                "subtotal": round(item["quantity"] * item["unit_price"], 2)}

    @handles("OrderCreated")
    def _created(self, e: StoredEvent, rows: RowSet) -> None:
        customer = rows.get("customers", e.data["customer_id"]) or {}
        rows.put("orders", {
            "id": e.stream_id, "customer_id": e.data["customer_id"], "customer_name": customer.get("name"),
            "customer_email": customer.get("email"), "items": [self._item(rows, i) for i in e.data["items"]],
            "total": e.data["total"], "status": "pending", "status_label": "Pending", "tracking_number": None,
            "created_at": e.occurred_at, "updated_at": e.occurred_at})

    def _update(self, e: StoredEvent, rows: RowSet, **changes: Any) -> None:
        order = rows.get("orders", e.stream_id)
        if order is not None:
            rows.put("orders", {**order, **changes, "updated_at": e.occurred_at})

    @handles("OrderItemAdded")
    def _item_added(self, e: StoredEvent, rows: RowSet) -> None:
        order = rows.get("orders", e.stream_id)
        if order is not None:
            item = self._item(rows, e.data)
            self._update(e, rows, items=[*order["items"], item], total=round(order["total"] + item["subtotal"], 2))

    @handles("OrderConfirmed")
    def _confirmed(self, e: StoredEvent, rows: RowSet) -> None:
        self._update(e, rows, status="confirmed", status_label="Confirmed")

    @handles("PaymentReceived")
    def _paid(self, e: StoredEvent, rows: RowSet) -> None:
        self._update(e, rows, status="paid", status_label="Paid")

    @handles("OrderShipped")
    def _shipped(self, e: StoredEvent, rows: RowSet) -> None:
        tracking = e.data["tracking_number"]
        self._update(e, rows, status="shipped", status_label=f"Shipped - {tracking}", tracking_number=tracking)

    @handles("OrderCancelled")
    def _cancelled(self, e: StoredEvent, rows: RowSet) -> None:
        self._update(e, rows, status="cancelled", status_label="Cancelled")
