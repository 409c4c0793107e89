"""A long stream to time-travel through: one product repriced thousands of times (benchmarks, browser tests)."""
from __future__ import annotations

from datetime import datetime, timedelta

from esengine.application.context import CommandContext
from esengine.domains.orders import commands as c


def repriced_product(engine, changes: int = 10_000, start: datetime = datetime(2026, 1, 1),
                     every: timedelta = timedelta(minutes=5)) -> str:
    """Add a product and change its price ``changes`` times through the command bus, in one batch.

    The stream has ``changes + 1`` events, snapshots by the product's policy, and one event per
    ``every`` from ``start``; returns its id.
    """
    def context(i: int) -> CommandContext:
        return CommandContext(user_id="bench", occurred_at=start + i * every)

    with engine.batch():
        product = engine.commands.dispatch(c.AddProduct(name="Long-lived espresso", price=10.0), context(0)).stream_id
        for i in range(1, changes + 1):
            price = round(10.0 + (i % 1000) / 100, 2)  # never equal to the previous price
            engine.commands.dispatch(c.ChangeProductPrice(product_id=product, new_price=price), context(i))
    return product
