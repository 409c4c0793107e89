"""What the Projections page's eventual-consistency demonstration does: place orders, read both read models.

The order read model is inline (updated in the append's transaction); daily sales is asynchronous
(updated by the background worker). Right after a command the first shows the new order and the
second does not yet: the lag is the gap between the two figures below.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from esengine.application.context import CommandContext
from esengine.core.events import NewEvent, utcnow
from esengine.domains.orders import commands as c
from esengine.errors import NotFound
from esengine.store.writer import ANY_VERSION

DEMO_USER = "projections-demo"


@dataclass(frozen=True)
class UnitsToday:
    """Units ordered today (UTC) as each read model sees them."""

    day: date
    in_orders: int  # inline order read model
    in_daily_sales: int  # asynchronous daily sales read model


def place_demo_orders(engine, count: int = 5, seed: int | None = None) -> list[str]:
    """Place ``count`` small orders for existing customers and products; returns the order ids."""
    customers, products = engine.store.stream_ids("customer", 200), engine.store.stream_ids("product", 200)
    if not customers or not products:
        raise NotFound("The demonstration needs at least one customer and one product: add them on the Commands page.")
    rnd = random.Random(seed)
    ids = []
    for _ in range(count):
        command = c.CreateOrder(customer_id=rnd.choice(customers),
                                items=[c.OrderLine(product_id=rnd.choice(products), quantity=rnd.randint(1, 3))])
        ids.append(engine.commands.dispatch(command, CommandContext(user_id=DEMO_USER)).value)
    return ids


def units_today(engine) -> UnitsToday:
    """Units ordered today according to the live order read model and to the daily sales read model."""
    runner, cur = engine.projections, engine.store.cursor()
    today = utcnow().date()
    orders = runner.live_table("orders", "orders")
    sales = runner.live_table("daily_sales", "product_days")
    in_orders = cur.execute(
        f"SELECT coalesce(sum(list_sum(CAST(json_extract(items, '$[*].quantity') AS BIGINT[]))), 0) "
        f'FROM "{orders}" WHERE CAST(created_at AS DATE) = ?', [today]).fetchall()[0][0]
    in_sales = cur.execute(f'SELECT coalesce(sum(units), 0) FROM "{sales}" WHERE day = ?', [today]).fetchall()[0][0]
    return UnitsToday(today, int(in_orders), int(in_sales))


def append_malformed_event(engine) -> int:
    """Append an ``OrderShipped`` without its tracking number to the newest order (a poison event); its position."""
    orders = engine.store.stream_ids("order", 1)
    if not orders:
        raise NotFound("There is no order to attach the malformed event to.")
    result = engine.store.append(orders[0], [NewEvent("OrderShipped", {"order_id": orders[0]},
                                                      metadata={"user_id": DEMO_USER, "command": "PoisonDemo"})],
                                 ANY_VERSION)
    return result.events[0].position
