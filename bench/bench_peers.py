"""Benchmark: the same work through esengine and through the Python `eventsourcing` library, in one run.

    .venv/bin/pip install -r bench/requirements.txt     # the peer: a benchmark-only dependency
    .venv/bin/python bench/bench_peers.py [--commands 2000] [--stream 10000] [--samples 200]

Each side goes through its ordinary API. esengine: the command bus and the Orders domain
(``ChangeProductPrice`` on a product: load, decide, save one event; snapshots by the product's policy,
every 20 events). eventsourcing 9.5: an ``Application`` on a SQLite file (its defaults: WAL), an aggregate
with one event per command, ``snapshotting_intervals`` of 20. Prints per line both figures and the ratio
esengine / eventsourcing (above 1: esengine ahead, for rates and for times alike).
"""
from __future__ import annotations

import argparse
import os
import uuid
from typing import ClassVar
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from esengine import Engine
from esengine.domains.orders.samples import repriced_product
from esengine.timetravel import state_at

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # pragma: no cover - the peer is installed by this benchmark's own instructions
    sys.exit("The peer library is missing: .venv/bin/pip install -r bench/requirements.txt")


class Thing(Aggregate):
    """The peer's aggregate: one event per command, like a product's price change."""

    def __init__(self, price: float = 10.0):
        self.price = price

    @event("PriceChanged")
    def change_price(self, price: float) -> None:
        self.price = price


class Shop(Application):
    snapshotting_intervals: ClassVar[dict[type[Aggregate], int]] = {Thing: 20}


class ShopWithoutSnapshots(Application):
    pass


def peer_app(cls, folder: str, name: str, snapshots: bool = True):
    return cls(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(Path(folder) / f"{name}.sqlite"),
                    "SQLITE_LOCK_TIMEOUT": "30", "IS_SNAPSHOTTING_ENABLED": "y" if snapshots else "n"})


def rate(n: int, work) -> float:
    t = time.perf_counter()
    work()
    return n / (time.perf_counter() - t)


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def timings(fn, args) -> list[float]:
    out = []
    for a in args:
        t = time.perf_counter()
        fn(a)
        out.append(time.perf_counter() - t)
    return out


def line(name: str, ours: float, peer: float, unit: str, higher_is_better: bool) -> None:
    ratio = ours / peer if higher_is_better else peer / ours
    print(f"{name:<58} esengine {ours:>10,.2f} {unit:<4} eventsourcing {peer:>10,.2f} {unit:<4} "
          f"ratio {ratio:6.2f}", flush=True)


# -- esengine ----------------------------------------------------------------------------------------
def es_commands(engine, product: str, n: int) -> None:
    for i in range(n):
        engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 10.01 + (i % 500) / 100})


def es_threads(engine, products: list[str], per_thread: int) -> None:
    errors = []

    def work(product):
        try:
            es_commands(engine, product, per_thread)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(p,)) for p in products]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# -- raw DuckDB: the floor of esengine's command on DuckDB ---------------------------------------------
def raw_duckdb_commands(folder: str, n: int) -> float:
    """The statements of one esengine command, written by hand on a raw DuckDB file (same schema): the
    event row, the command-log row, the read-model row and the checkpoint, in one transaction."""
    import duckdb
    from esengine.store.schema import migrate
    con = duckdb.connect(str(Path(folder) / "raw.duckdb"))
    migrate(con)
    cur = con.cursor()
    cur.execute("CREATE TABLE products (id VARCHAR, name VARCHAR, price DOUBLE)")
    cur.execute("INSERT INTO products VALUES ('p', 'Tea', 10.0)")
    cur.execute("INSERT INTO checkpoints VALUES ('orders', 1, 0, 'running', true, NULL, NULL, now()::TIMESTAMP)")

    def command(i: int) -> None:
        now = datetime.now()
        cur.execute("BEGIN TRANSACTION")
        cur.execute("INSERT INTO events VALUES (?, ?, 'p', 'product', ?, 'ProductPriceChanged', 2, ?, ?, ?, ?, ?)",
                    [i, str(uuid.uuid4()), i, '{"product_id":"p","old_price":1.0,"new_price":2.0}',
                     '{"user_id":"anonymous"}', now, now, "0" * 64])
        cur.execute("INSERT INTO command_log VALUES (?, 'ChangeProductPrice', ?, 'anonymous', ?, 'p', 'accepted', "
                    "NULL, NULL, ?, ?)", [str(uuid.uuid4()), '{"product_id":"p","new_price":2.0}',
                                          str(uuid.uuid4()), now, now])
        cur.execute("UPDATE products SET name = ?, price = ? WHERE id = ?", ["Tea", 2.0 + i % 7, "p"])
        cur.execute("UPDATE checkpoints SET position = ?, updated_at = ? WHERE projection = ? AND version = ?",
                    [i, now, "orders", 1])
        cur.execute("COMMIT")
    try:
        return rate(n, lambda: [command(i) for i in range(1, n + 1)])
    finally:
        con.close()


# -- eventsourcing -----------------------------------------------------------------------------------
def raw_journal_appends(folder: str, n: int) -> float:
    """The floor of a durable commit on this disk: ``os.write`` of a record the size of a command's journal
    record, then ``os.fdatasync``, ``n`` times."""
    record = b"x" * 1100
    fd = os.open(str(Path(folder) / "raw.journal"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def append() -> None:
        for _ in range(n):
            os.write(fd, record)
            os.fdatasync(fd)
    try:
        return rate(n, append)
    finally:
        os.close(fd)


def peer_commands(app, thing_id, n: int) -> None:
    for i in range(n):
        thing = app.repository.get(thing_id)
        thing.change_price(10 + (i % 500) / 100)
        app.save(thing)


def peer_threads(app, ids, per_thread: int) -> None:
    threads = [threading.Thread(target=peer_commands, args=(app, i, per_thread)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def peer_long_stream(app, n: int):
    thing = Thing()
    app.save(thing)
    for i in range(1, n):
        thing.change_price(10 + (i % 1000) / 100)
        if i % 20 == 0 or i == n - 1:
            app.save(thing)
    return thing.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=2000, help="sequential commands per side")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--stream", type=int, default=10_000, help="events in the long stream")
    parser.add_argument("--samples", type=int, default=200, help="random versions sampled")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        engine = Engine(Path(folder) / "esengine.duckdb")
        shop, plain = peer_app(Shop, folder, "shop"), None
        product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 10.0}).value
        thing = Thing()
        shop.save(thing)
        es_commands(engine, product, 50)  # warm both up
        peer_commands(shop, thing.id, 50)

        n = args.commands
        ours, peer = rate(n, lambda: es_commands(engine, product, n)), rate(n, lambda: peer_commands(shop, thing.id, n))
        line("command, sequentially (load, decide, save one event)", ours, peer, "/s", True)
        floor = raw_duckdb_commands(folder, n)
        print(f"  the command's statements by hand in raw DuckDB, one transaction each: {floor:,.1f}/s "
              f"(esengine: {ours / floor:.2f}x; its commit is a journal record, DuckDB is written behind it)",
              flush=True)
        journal = raw_journal_appends(folder, n)
        print(f"  a raw append of a command-sized record + fdatasync (the floor of a durable commit here): "
              f"{journal:,.1f}/s; esengine reaches {ours / journal:.2f} of it", flush=True)

        k, per = args.threads, max(1, n // args.threads)
        products = [engine.commands.submit("AddProduct", {"name": f"Tea {i}", "price": 10.0}).value for i in range(k)]
        things = []
        for _ in range(k):
            t = Thing()
            shop.save(t)
            things.append(t.id)
        line(f"the same from {k} threads on {k} aggregates",
             rate(k * per, lambda: es_threads(engine, products, per)),
             rate(k * per, lambda: peer_threads(shop, things, per)), "/s", True)

        long_product = repriced_product(engine, args.stream - 1)
        long_thing = peer_long_stream(shop, args.stream)
        plain = peer_app(ShopWithoutSnapshots, folder, "shop", snapshots=False)  # the same file, read without snapshots
        repo = engine.repository("product")
        rounds = 5
        line(f"load a {args.stream:,}-event aggregate, no snapshots",
             median_ms(timings(lambda _: repo.load(long_product, use_snapshots=False), range(rounds))),
             median_ms(timings(lambda _: plain.repository.get(long_thing), range(rounds))), "ms", False)
        line("load the latest state, snapshots every 20",
             median_ms(timings(lambda _: repo.load(long_product), range(args.samples))),
             median_ms(timings(lambda _: shop.repository.get(long_thing), range(args.samples))), "ms", False)
        versions = [rng.randint(1, args.stream) for _ in range(args.samples)]
        line("state at a random version, with snapshots",
             median_ms(timings(lambda v: state_at(engine, long_product, version=v), versions)),
             median_ms(timings(lambda v: shop.repository.get(long_thing, version=v), versions)), "ms", False)
        few = versions[:20]
        line("state at a random version, without snapshots",
             median_ms(timings(lambda v: state_at(engine, long_product, version=v, use_snapshots=False), few)),
             median_ms(timings(lambda v: plain.repository.get(long_thing, version=v), few)), "ms", False)
        engine.close()


if __name__ == "__main__":
    main()
