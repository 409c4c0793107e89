"""A bulk history for benchmarks: millions of order events written as Arrow, bypassing the handlers.

The events have the same types and data shapes as the Orders domain writes, so every page, the
projections and time travel work on them; they are simply not produced one command at a time.
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from esengine.demo.shop import default_end

CHUNK = 250_000


def generate_bulk(engine, events: int = 1_000_000, seed: int = 11, days: int = 365,
                  end: datetime | None = None, catch_up: bool = True,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Append about ``events`` events (catalogue, then orders); returns how many were written."""
    rng = random.Random(seed)
    end = end or default_end()
    start = end - timedelta(days=days)
    span = (end - start).total_seconds()
    rows = _Columns()
    written = 0
    products = [(f"product-bulk{i:05d}", f"Bulk product {i}", round(rng.uniform(3, 150), 2)) for i in range(200)]
    for pid, name, price in products:
        rows.add(pid, "product", 1, "ProductAdded", {"product_id": pid, "name": name, "price": price}, start)
    customers = [f"customer-bulk{i:07d}" for i in range(max(10, events // 60))]
    for i, cid in enumerate(customers):
        rows.add(cid, "customer", 1, "CustomerRegistered",
                 {"customer_id": cid, "name": f"Customer {i}", "email": f"customer{i}@example.com"}, start)
    n = 0
    while rows.count + written < events:
        oid = f"order-bulk{n:08d}"
        n += 1
        t = start + timedelta(seconds=rng.random() * span)
        corr = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        items: list[dict[str, Any]] = [{"product_id": p[0], "quantity": rng.randint(1, 3), "unit_price": p[2]}
                 for p in rng.sample(products, rng.randint(1, 3))]
        total = round(sum(i["quantity"] * i["unit_price"] for i in items), 2)
        v = 1
        rows.add(oid, "order", v, "OrderCreated",
                 {"order_id": oid, "customer_id": rng.choice(customers), "items": items, "total": total}, t, corr)
        steps = [("OrderConfirmed", {"order_id": oid}), ("PaymentReceived", {"order_id": oid, "amount": total}),
                 ("OrderShipped", {"order_id": oid, "tracking_number": f"TRK-{rng.randrange(10**7, 10**8)}"})]
        stop = rng.choices([0, 1, 2, 3], weights=[3, 5, 7, 85])[0]
        for event_type, data in steps[:stop]:
            v += 1
            t += timedelta(hours=rng.uniform(1, 40))
            rows.add(oid, "order", v, event_type, data, t, corr)
        if stop < 3 and rng.random() < 0.5:
            v += 1
            rows.add(oid, "order", v, "OrderCancelled", {"order_id": oid, "reason": "Customer changed their mind"},
                     t + timedelta(hours=2), corr)
        if rows.count >= CHUNK:
            written += engine.writer.bulk_insert(rows.table())
            rows = _Columns()
            if progress:
                progress(written, events)
    if rows.count:
        written += engine.writer.bulk_insert(rows.table())
    if catch_up:
        for name in engine.projections.registered:
            engine.projections.catch_up(name)
    return written


class _Columns:
    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in ("event_id", "stream_id", "stream_type", "version", "event_type",
                                                      "schema_version", "data", "metadata", "occurred_at")}
        self.count = 0

    def add(self, stream_id, stream_type, version, event_type, data, occurred_at, correlation=None) -> None:
        c = self.cols
        c["event_id"].append(str(uuid.uuid4()))
        c["stream_id"].append(stream_id); c["stream_type"].append(stream_type); c["version"].append(version)
        c["event_type"].append(event_type)
        c["schema_version"].append(2 if event_type == "ProductPriceChanged" else 1)
        c["data"].append(json.dumps(data))
        c["metadata"].append(json.dumps({"user_id": "bulk-loader", "correlation_id": correlation,
                                         "command": "BulkLoad"}))
        c["occurred_at"].append(occurred_at)
        self.count += 1

    def table(self) -> pa.Table:
        return pa.table(self.cols)
