"""The seed's Orders domain: orders, and the catalogue (customers, products) they denormalize from."""
from __future__ import annotations

from esengine.core.snapshots import SnapshotPolicy
from esengine.projections.runner import ASYNC
from esengine.domains.orders import events
from esengine.domains.orders.aggregates import Customer, Order, Product
from esengine.domains.orders.handlers import HANDLERS
from esengine.domains.orders.daily_sales import DailySalesProjection
from esengine.domains.orders.projection import OrderProjection
from esengine.domains.orders.projection_v2 import OrderProjectionV2
from esengine.domains.orders.queries import GetOrder, ListOrders, OrderQueries


def register(engine, snapshot_every: dict[str, int] | None = None) -> None:
    """Wire the Orders domain into an engine: events, aggregates, handlers, projection, queries."""
    every = {"order": 20, "customer": 50, "product": 20, **(snapshot_every or {})}
    engine.registry.register(*events.ALL_EVENTS)
    engine.registry.register_upcaster("ProductPriceChanged", 1, events.upcast_price_v1)
    for cls in (Order, Customer, Product):
        engine.add_aggregate(cls, SnapshotPolicy(every[cls.aggregate_type]))
    for command_cls, handler in HANDLERS.items():
        engine.commands.register(command_cls, handler)
    engine.projections.register(OrderProjection())
    engine.projections.register(OrderProjectionV2())  # beside v1, built on request (Projections page)
    engine.projections.register(DailySalesProjection(), mode=ASYNC)
    queries = OrderQueries(engine.store, engine.projections)
    engine.queries.register(GetOrder, queries.get_order)
    engine.queries.register(ListOrders, queries.list_orders)
