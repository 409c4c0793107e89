"""The seed's Orders domain: orders, and the catalogue (customers, products) they denormalize from."""
from __future__ import annotations

import importlib

from esengine.core.snapshots import SnapshotPolicy
from esengine.projections.runner import ASYNC
from esengine.domains.orders import events
from esengine.domains.orders.aggregates import Customer, Order, Product
from esengine.domains.orders.handlers import HANDLERS
from esengine.domains.orders.daily_sales import DailySalesProjection
from esengine.domains.orders.forms import register_hints
from esengine.domains.orders.projection import OrderProjection
from esengine.domains.orders.projection_v2 import OrderProjectionV2
from esengine.domains.orders.queries import GetOrder, ListOrders, OrderQueries
from esengine.domains.orders.rules import register_rules


def register(engine, snapshot_every: dict[str, int] | None = None) -> None:
    """Wire the Orders domain into an engine: events, aggregates, handlers, projections, queries, the rules
    for what-if, the form hints and the demo history."""
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
    register_rules(engine.rules)
    register_hints(engine.forms)
    engine.add_demo("orders", _demo_history)


def _demo_history(engine, **options) -> None:
    # The shop's history (esengine/demo/shop.py) is written through this domain's commands, so it imports this
    # package; found by name when called, it makes no import cycle.
    importlib.import_module("esengine.demo.shop").generate_demo(engine, **options)
