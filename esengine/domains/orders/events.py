"""The Orders domain's events (past tense), with the catalogue's customers and products."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from esengine.core.events import DomainEvent


class LineItem(BaseModel):
    product_id: str
    quantity: int
    unit_price: float


class CustomerRegistered(DomainEvent):
    customer_id: str
    name: str
    email: str


class CustomerEmailChanged(DomainEvent):
    customer_id: str
    email: str


class ProductAdded(DomainEvent):
    product_id: str
    name: str
    price: float


class ProductPriceChanged(DomainEvent):
    """v2 keeps the old price beside the new one; v1 stored only ``price`` (see :func:`upcast_price_v1`)."""

    schema_version = 2
    product_id: str
    old_price: float | None
    new_price: float


def upcast_price_v1(data: dict[str, Any]) -> dict[str, Any]:
    """ProductPriceChanged v1 ``{product_id, price}`` -> v2 ``{product_id, old_price: None, new_price}``."""
    return {"product_id": data["product_id"], "old_price": None, "new_price": data["price"]}


class OrderCreated(DomainEvent):
    order_id: str
    customer_id: str
    items: list[LineItem]
    total: float


class OrderItemAdded(DomainEvent):
    order_id: str
    product_id: str
    quantity: int
    unit_price: float


class OrderConfirmed(DomainEvent):
    order_id: str


class PaymentReceived(DomainEvent):
    order_id: str
    amount: float


class OrderShipped(DomainEvent):
    order_id: str
    tracking_number: str


class OrderCancelled(DomainEvent):
    order_id: str
    reason: str


ALL_EVENTS = (CustomerRegistered, CustomerEmailChanged, ProductAdded, ProductPriceChanged, OrderCreated,
              OrderItemAdded, OrderConfirmed, PaymentReceived, OrderShipped, OrderCancelled)
