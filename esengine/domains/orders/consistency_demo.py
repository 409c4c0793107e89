"""What the Projections page's eventual-consistency demonstration does: place orders, read both read models.

The order read model is inline (updated in the append's transaction); daily sales is asynchronous
(updated by the background worker). Both are asked the same question, how many units were ever ordered
(every line of ``OrderCreated`` and every ``OrderItemAdded``): right after a command the inline figure
has the new units and the asynchronous one not yet; once the worker has caught up they are equal.

They count all time, not "today": daily sales files an item under the day it was added, the order read
model under the day its order was created, so an item added today to yesterday's order made a "today"
figure differ forever (the page showed 20 against 23 with no lag).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from esengine.application.context import CommandContext
from esengine.core.events import NewEvent
from esengine.domains.orders import commands as c
from esengine.errors import NotFound
from esengine.projections import checkpoints as cp
from esengine.store.writer import ANY_VERSION

DEMO_USER = "projections-demo"
INLINE, ASYNC = "orders", "daily_sales"


@dataclass(frozen=True)
class Consistency:
    """Units ever ordered as each read model sees them, and how far the asynchronous one is behind."""

    in_orders: int  # inline order read model
    in_daily_sales: int  # asynchronous daily sales read model
    lag_events: int  # events stored that daily sales has not applied yet
    lag_seconds: int  # since the oldest of them was stored
    stopped: tuple[str, ...] = ()  # of the two, those stopped at a poison event

    @property
    def consistent(self) -> bool:
        return not self.lag_events and not self.stopped and self.in_orders == self.in_daily_sales


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


def consistency(engine) -> Consistency:
    """Both read models' count of units ever ordered, daily sales' lag and which of the two are stopped.

    One statement (about 10 ms on the demo), since every watching session asks for it every second.
    """
    runner, cur = engine.projections, engine.store.cursor()
    live = {name: state for (name, _), state in cp.read_all(cur).items() if state.live and name in (INLINE, ASYNC)}
    orders, sales = runner.live_table(INLINE, "orders"), runner.live_table(ASYNC, "product_days")
    in_orders, in_sales, head, lag_seconds = cur.execute(f"""
        SELECT (SELECT coalesce(sum(list_sum(CAST(json_extract(items, '$[*].quantity') AS BIGINT[]))), 0)
                FROM "{orders}"),
               (SELECT coalesce(sum(units), 0) FROM "{sales}"),
               (SELECT coalesce(max(position), 0) FROM events),
               (SELECT date_diff('second', min(recorded_at), now()::TIMESTAMP) FROM events WHERE position = ? + 1)
        """, [live[ASYNC].position]).fetchall()[0]
    return Consistency(int(in_orders), int(in_sales), head - live[ASYNC].position, int(lag_seconds or 0),
                       tuple(name for name, state in sorted(live.items()) if state.status == cp.STOPPED))


def append_malformed_event(engine) -> int:
    """Append an ``OrderShipped`` without its tracking number to the newest order (a poison event); its position."""
    orders = engine.store.stream_ids("order", 1)
    if not orders:
        raise NotFound("There is no order to attach the malformed event to.")
    result = engine.store.append(orders[0], [NewEvent("OrderShipped", {"order_id": orders[0]},
                                                      metadata={"user_id": DEMO_USER, "command": "PoisonDemo"})],
                                 ANY_VERSION)
    return result.events[0].position
