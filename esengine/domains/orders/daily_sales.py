"""A second read model from the same history: units and revenue ordered per product per day (asynchronous).

A day is the UTC date the order was placed (``OrderCreated``) or the item was added (``OrderItemAdded``).
It counts demand as ordered: a later cancellation does not remove it (the order read model has the status).
"""
from __future__ import annotations

from datetime import date
from typing import Any
from collections.abc import Iterable

from esengine.core.events import StoredEvent
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles

PRODUCT_NAMES = ReadModelTable("products", "id", (("id", "VARCHAR"), ("name", "VARCHAR")))
PRODUCT_DAYS = ReadModelTable("product_days", "key", (
    ("key", "VARCHAR"), ("day", "DATE"), ("product_id", "VARCHAR"), ("product_name", "VARCHAR"),
    ("order_lines", "BIGINT"), ("units", "BIGINT"), ("revenue", "DOUBLE"),
))


def day_key(day: date, product_id: str) -> str:
    return f"{day.isoformat()}|{product_id}"


class DailySalesProjection(Projection):
    """Per product and day: order lines, units and revenue ordered."""

    name = "daily_sales"
    version = 1
    description = "Units and revenue ordered per product per day (runs behind the writes, asynchronously)."
    tables = (PRODUCT_NAMES, PRODUCT_DAYS)

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        d, day = event.data, event.occurred_at.date()
        if event.event_type == "ProductAdded":
            return {"products": [event.stream_id]}
        lines = d["items"] if event.event_type == "OrderCreated" else [d]
        ids = [line["product_id"] for line in lines]
        return {"products": ids, "product_days": [day_key(day, pid) for pid in ids]}

    @handles("ProductAdded")
    def _product(self, e: StoredEvent, rows: RowSet) -> None:
        rows.put("products", {"id": e.stream_id, "name": e.data["name"]})

    def _line(self, e: StoredEvent, rows: RowSet, line: dict[str, Any]) -> None:
        day, pid = e.occurred_at.date(), line["product_id"]
        key = day_key(day, pid)
        row = rows.get("product_days", key) or {
            "key": key, "day": day, "product_id": pid, "product_name": (rows.get("products", pid) or {}).get("name"),
            "order_lines": 0, "units": 0, "revenue": 0.0}
        rows.put("product_days", {**row, "order_lines": row["order_lines"] + 1, "units": row["units"] + line["quantity"],
                                  "revenue": round(row["revenue"] + line["quantity"] * line["unit_price"], 2)})

    @handles("OrderCreated")
    def _created(self, e: StoredEvent, rows: RowSet) -> None:
        for line in e.data["items"]:
            self._line(e, rows, line)

    @handles("OrderItemAdded")
    def _item_added(self, e: StoredEvent, rows: RowSet) -> None:
        self._line(e, rows, e.data)
