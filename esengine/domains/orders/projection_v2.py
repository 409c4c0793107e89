"""Version 2 of the order read model: what a team changed after living with version 1.

- The status label no longer carries the tracking number ("Shipped", not "Shipped - TRK-1234"): it is
  shown in lists where the number only made labels long and unsortable; the number has its own column.
- New ``item_count`` (units in the order), so lists can show it without parsing ``items``.
- New ``cancel_reason``, kept from ``OrderCancelled`` (version 1 dropped it).
"""
from __future__ import annotations

from datetime import datetime
from collections.abc import Callable

from esengine.core.events import StoredEvent
from esengine.domains.orders.order_sql import build_orders
from esengine.domains.orders.projection import CUSTOMERS, ORDERS, PRODUCTS, OrderProjection
from esengine.projections.base import ReadModelTable, RowSet, handles

ORDERS_V2 = ReadModelTable("orders", "id", ORDERS.columns + (("item_count", "BIGINT"), ("cancel_reason", "VARCHAR")))


class OrderProjectionV2(OrderProjection):
    """The order read model, version 2 (see the module docstring for what changed)."""

    version = 2
    description = "Version 2: status label without the tracking number; new item_count and cancel_reason columns."
    tables = (CUSTOMERS, PRODUCTS, ORDERS_V2)

    def build_set_based(self, cur, physical: Callable[[str], str], upto: int, until: datetime | None = None,
                        clock: str = "occurred_at") -> bool:
        return build_orders(cur, physical, upto, shipped_label="'Shipped'",
                            extra_columns=", coalesce(i.item_count, 0) AS item_count, g.cancel_reason",
                            until=until, clock=clock)

    @handles("OrderCreated")
    def _created(self, e: StoredEvent, rows: RowSet) -> None:
        super()._created(e, rows)
        order = rows.get("orders", e.stream_id)
        assert order is not None  # just put by the first version's handler
        rows.put("orders", {**order, "item_count": sum(i["quantity"] for i in order["items"]), "cancel_reason": None})

    @handles("OrderItemAdded")
    def _item_added(self, e: StoredEvent, rows: RowSet) -> None:
        super()._item_added(e, rows)
        order = rows.get("orders", e.stream_id)
        if order is not None:
            rows.put("orders", {**order, "item_count": sum(i["quantity"] for i in order["items"])})

    @handles("OrderShipped")
    def _shipped(self, e: StoredEvent, rows: RowSet) -> None:
        tracking = e.data["tracking_number"]
        self._update(e, rows, status="shipped", status_label="Shipped", tracking_number=tracking)

    @handles("OrderCancelled")
    def _cancelled(self, e: StoredEvent, rows: RowSet) -> None:
        self._update(e, rows, status="cancelled", status_label="Cancelled", cancel_reason=e.data["reason"])
