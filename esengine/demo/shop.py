"""A deterministic demo history of a small coffee shop, written through the real command handlers.

Everything happens on a simulated clock over ``days`` days ending at ``end``: products are added
and repriced, customers register, orders go through every lifecycle path (paid and shipped,
cancelled before or after confirmation, abandoned), and a few commands are refused on purpose
(shipping unpaid, cancelling a shipped order, a wrong payment, an invalid email) so the command log
shows refusals too. The same seed and end give the same history.
"""
from __future__ import annotations

import csv
import functools
import heapq
import os
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from pathlib import Path
from collections.abc import Callable

from esengine.application.context import CommandContext
from esengine.domains.orders import commands as c
from esengine.errors import EsEngineError

CATALOGUE = Path(__file__).with_name("catalogue.csv")  # package data: shipped in the wheel
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kai", "Lena",
         "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim", "Yuki", "Zoe"]
LAST = ["Silva", "Novak", "Martin", "Jansen", "Kowalski", "Rossi", "Müller", "Dubois", "Haddad", "Okafor",
        "Berg", "Costa", "Ivanova", "Lindqvist", "Moreau", "Nakamura", "Petrov", "Reyes", "Schmidt", "Tanaka"]
USERS = ["shop-web", "shop-web", "shop-web", "alice.ops", "bob.warehouse", "carol.support"]
CANCEL_REASONS = ["Customer changed their mind", "Payment not received in time", "Duplicate order",
                  "Item out of stock", "Address could not be verified"]
EVENTS_PER_ORDER = 4.4


@dataclass
class DemoSummary:
    commands: int = 0
    refused: int = 0
    events: int = 0
    orders: int = 0
    refusals: dict[str, int] = field(default_factory=dict)


class _Shop:
    def __init__(self, engine, rng: random.Random, start: datetime, end: datetime):
        self.engine, self.rng, self.start, self.end = engine, rng, start, end
        self.span = (end - start).total_seconds()
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.seq = 0
        self.customers: list[str] = []
        self.products: list[str] = []
        self.prices: dict[str, float] = {}
        self.summary = DemoSummary()

    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        if when <= self.end:
            self.seq += 1
            heapq.heappush(self.queue, (when, self.seq, action))

    def run(self) -> None:
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            action(when)

    def send(self, command, when: datetime, correlation: str | None = None, causation: str | None = None):
        rng = self.rng
        ctx = CommandContext(user_id=rng.choice(USERS),
                             correlation_id=correlation or str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                             causation_id=causation,
                             command_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                             occurred_at=when)
        self.summary.commands += 1
        try:
            if isinstance(command, tuple):  # (command type, raw payload): validated like a form
                result = self.engine.commands.submit(command[0], command[1], ctx)
            else:
                result = self.engine.commands.dispatch(command, ctx)
        except EsEngineError as e:
            self.summary.refused += 1
            kind = type(e).__name__
            self.summary.refusals[kind] = self.summary.refusals.get(kind, 0) + 1
            return None
        self.summary.events += len(result.events)
        return result

    def minutes(self, lo: float, hi: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(lo, hi))


def _load_catalogue() -> list[tuple[str, float]]:
    with open(CATALOGUE, newline="", encoding="utf-8") as f:
        return [(row["name"], float(row["price"])) for row in csv.DictReader(f)]


def default_end() -> datetime:
    """Midnight UTC today: the demo's history ends there (naive UTC)."""
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day)


def generate_demo(engine, events: int = 20_000, seed: int = 7, days: int = 90,
                  end: datetime | None = None) -> DemoSummary:
    """Write a shop history of about ``events`` events through the command handlers."""
    end = end or default_end()
    shop = _Shop(engine, random.Random(seed), end - timedelta(days=days), end)
    n_orders = max(1, int(events / EVENTS_PER_ORDER))
    _schedule_catalogue(shop)
    _schedule_customers(shop, max(5, n_orders // 12))
    _schedule_repricing(shop, max(3, n_orders // 30))
    _Orders(shop).schedule(n_orders)
    with engine.batch():
        shop.run()
    return shop.summary


def _schedule_catalogue(shop: _Shop) -> None:
    """The catalogue's products, added one a minute from the start."""
    for i, (name, price) in enumerate(_load_catalogue()):
        shop.at(shop.start + timedelta(minutes=i), functools.partial(_add_product, shop, name, price))


def _add_product(shop: _Shop, name: str, price: float, when: datetime) -> None:
    r = shop.send(c.AddProduct(name=name, price=price), when)
    if r:
        shop.products.append(r.value)
        shop.prices[r.value] = price


def _schedule_customers(shop: _Shop, count: int) -> None:
    """A fifth of the customers register in the first hour, the others over the whole period."""
    for i in range(count):
        offset = 0.0 if i < count // 5 else shop.rng.random() * shop.span * 0.9
        shop.at(shop.start + timedelta(hours=1, seconds=offset), functools.partial(_register, shop, i))


def _register(shop: _Shop, i: int, when: datetime) -> None:
    rng = shop.rng
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{first.lower()}.{last.lower()}{i}@example.com".replace("é", "e").replace("ü", "u")
    if rng.random() < 0.01:
        shop.send(("RegisterCustomer", {"name": f"{first} {last}", "email": email.replace("@", " at ")}),
                  when)  # a typo in the form: refused by validation
    r = shop.send(c.RegisterCustomer(name=f"{first} {last}", email=email), when)
    if r:
        shop.customers.append(r.value)


def _schedule_repricing(shop: _Shop, count: int) -> None:
    """Price changes of random products, from the second day on."""
    for _ in range(count):
        shop.at(shop.start + timedelta(days=1, seconds=shop.rng.random() * shop.span * 0.95),
                functools.partial(_reprice, shop))


def _reprice(shop: _Shop, when: datetime) -> None:
    if shop.products:
        pid = shop.rng.choice(shop.products)
        new = round(shop.prices[pid] * shop.rng.choice([0.9, 0.95, 1.05, 1.1, 1.15]), 2)
        if shop.send(c.ChangeProductPrice(product_id=pid, new_price=new), when):
            shop.prices[pid] = new


class _Orders:
    """Orders placed over the period, each going one way through its lifecycle: items added, confirmed, paid
    and shipped, or cancelled at some step; a few refused commands on the way (shipping unpaid, a wrong
    payment, cancelling a shipped order)."""

    def __init__(self, shop: _Shop):
        self.shop, self.rng = shop, shop.rng

    def schedule(self, count: int) -> None:
        shop = self.shop
        for _ in range(count):
            shop.at(shop.start + timedelta(hours=2, seconds=self.rng.random() * (shop.span - 7200)), self.place)

    def place(self, when: datetime) -> None:
        shop, rng = self.shop, self.rng
        if not shop.customers or not shop.products:
            return
        lines = [c.OrderLine(product_id=p, quantity=rng.choice([1, 1, 1, 2, 2, 3]))
                 for p in rng.sample(shop.products, rng.choice([1, 1, 2, 2, 3]))]
        r = shop.send(c.CreateOrder(customer_id=rng.choice(shop.customers), items=lines), when)
        if not r:
            return
        shop.summary.orders += 1
        oid, corr = r.value, r.events[0].metadata["correlation_id"]
        self._lifecycle(oid, corr, r.events[0].event_id, when)

    def _step(self, corr: str, cause: str, command_for: Callable[[], object],
              then: Callable[[datetime, object], None] | None = None) -> Callable[[datetime], None]:
        def act(t: datetime) -> None:
            r = self.shop.send(command_for(), t, corr, cause)
            if then:
                then(t, r)
        return act

    def _lifecycle(self, oid: str, corr: str, cause: str, when: datetime) -> None:
        shop, rng = self.shop, self.rng
        roll = rng.random()
        t = when
        if roll < 0.35:
            t += shop.minutes(2, 40)
            shop.at(t, self._step(corr, cause, lambda: c.AddOrderItem(order_id=oid, product_id=rng.choice(shop.products),
                                                                      quantity=rng.choice([1, 2]))))
        if roll > 0.97:
            shop.at(t + shop.minutes(30, 600),
                    self._step(corr, cause, lambda: c.CancelOrder(order_id=oid, reason=CANCEL_REASONS[0])))
            return
        t += shop.minutes(20, 360)
        shop.at(t, self._step(corr, cause, lambda: c.ConfirmOrder(order_id=oid),
                              lambda tt, r: self._after_confirm(oid, corr, cause, tt, r)))

    def _after_confirm(self, oid: str, corr: str, cause: str, when: datetime, confirmed: object) -> None:
        shop, rng = self.shop, self.rng
        if not confirmed:
            return
        roll = rng.random()
        if roll < 0.06:
            shop.at(when + timedelta(hours=rng.uniform(24, 96)),
                    lambda t: shop.send(c.CancelOrder(order_id=oid, reason=CANCEL_REASONS[1]), t, corr, cause))
            return
        if roll < 0.08:  # the warehouse tries to ship before the money is in: refused
            shop.at(when + shop.minutes(5, 60),
                    lambda t: shop.send(c.ShipOrder(order_id=oid, tracking_number="TRK-EARLY"), t, corr, cause))
        pay_at = when + timedelta(hours=rng.uniform(1, 48))

        def pay(t: datetime) -> None:
            total = shop.engine.repository("order").load(oid).state.total
            if rng.random() < 0.02:  # a wrong amount first: refused
                shop.send(c.ReceivePayment(order_id=oid, amount=round(total + 1, 2)), t, corr, cause)
            if shop.send(c.ReceivePayment(order_id=oid, amount=total), t, corr, cause):
                self._after_payment(oid, corr, cause, t)
        shop.at(pay_at, pay)

    def _after_payment(self, oid: str, corr: str, cause: str, when: datetime) -> None:
        shop, rng = self.shop, self.rng
        if rng.random() < 0.03:
            shop.at(when + timedelta(hours=rng.uniform(1, 30)),
                    lambda t: shop.send(c.CancelOrder(order_id=oid, reason=rng.choice(CANCEL_REASONS[2:])),
                                        t, corr, cause))
            return
        ship_at = when + timedelta(hours=rng.uniform(6, 72))
        tracking = f"TRK-{rng.randrange(10**7, 10**8)}"

        def ship(t: datetime) -> None:
            if shop.send(c.ShipOrder(order_id=oid, tracking_number=tracking), t, corr, cause) and rng.random() < 0.02:
                shop.at(t + timedelta(days=2),  # a late cancellation: refused, the order already shipped
                        lambda tt: shop.send(c.CancelOrder(order_id=oid, reason="Arrived too late"), tt, corr, cause))
        shop.at(ship_at, ship)


def create_demo_database(path, events: int = 20_000, seed: int = 7, end: datetime | None = None) -> bool:
    """Create ``path`` with a demo history unless it exists; returns True if it was created.

    The history is written into a temporary file beside it and renamed into place when complete,
    so an interrupted first start leaves no half-written database behind.
    """
    path = Path(path)
    if path.exists():
        return False
    os.replace(build_database_file(path, demo=True, events=events, seed=seed, end=end), path)
    return True


def build_database_file(path, demo: bool = True, events: int = 20_000, seed: int = 7,
                        end: datetime | None = None) -> Path:
    """Write a complete database for ``path`` into ``<path>.partial`` and return that file (not renamed yet).

    With ``demo`` it holds the demo history with every read model caught up; without, an empty store
    (schema and projections only), e.g. for imports. Renaming it over ``path`` is the caller's move.
    """
    from esengine.engine import Engine

    partial = Path(path).with_name(Path(path).name + ".partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        with Engine(partial) as engine:
            if demo:
                engine.write_demo(events=events, seed=seed, end=end)  # every wired domain's demo history
                engine.projections.catch_up_async()  # the asynchronous read models start complete too
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:  # the file is closed: its lock file would outlive the rename as a stray ``.partial.lock``
        partial.with_name(partial.name + ".lock").unlink(missing_ok=True)
    return partial
