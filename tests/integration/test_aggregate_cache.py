"""Aggregates kept in memory never serve a stale state after another writer moved the stream (issue 14)."""
from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esengine.core.events import NewEvent
from esengine.errors import DomainRuleViolation
from esengine.store.writer import ANY_VERSION


def _products(engine, n=3):
    return [engine.commands.submit("AddProduct", {"name": f"Tea {i}", "price": 10.0 + i}).value for i in range(n)]


def _fresh(engine, product):
    """The state folded from the store, bypassing every cache and snapshot."""
    return engine.repository("product").load(product, use_snapshots=False).state


def _direct_append(engine, product, price):
    """Another writer: an event appended without the repository (as the consistency demo or a script does)."""
    engine.store.append(product, [NewEvent("ProductPriceChanged", {"product_id": product, "old_price": None,
                                                                   "new_price": price}, schema_version=2)],
                        ANY_VERSION, "product")


def _submit_quietly(engine, command_type, payload):
    """Submit on another thread; a refusal (the same price again) writes nothing, as on the main thread."""
    try:
        engine.commands.submit(command_type, payload)
    except DomainRuleViolation:
        pass


def test_a_direct_append_is_seen_by_the_next_load(engine):
    product, = _products(engine, 1)
    repo = engine.repository("product")
    assert repo.load(product).state.price == 10.0  # now kept in memory
    _direct_append(engine, product, 42.0)
    assert repo.load(product).state.price == 42.0


def test_a_command_from_another_thread_is_seen_by_the_next_load(engine):
    product, = _products(engine, 1)
    repo = engine.repository("product")
    repo.load(product)
    worker = threading.Thread(target=lambda: engine.commands.submit(
        "ChangeProductPrice", {"product_id": product, "new_price": 7.5}))
    worker.start()
    worker.join()
    assert repo.load(product).state.price == 7.5


def test_a_loaded_aggregate_cannot_change_what_the_next_load_gets(engine):
    product, = _products(engine, 1)
    repo = engine.repository("product")
    first = repo.load(product)
    first.state.price = 999.0  # a careless caller
    assert repo.load(product).state.price == 10.0


OPERATIONS = st.lists(st.tuples(st.sampled_from(["command", "thread", "direct", "load", "import"]),
                                st.integers(0, 2), st.integers(1, 400)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_cached_and_uncached_loads_agree_under_random_interleavings(engine, operations):
    products = _products(engine)
    repo = engine.repository("product")
    for kind, i, cents in operations:
        product, price = products[i], cents / 100 + 0.005 * (kind == "direct")
        try:
            if kind == "command":
                engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": price})
            elif kind == "thread":
                worker = threading.Thread(target=_submit_quietly, args=(
                    engine, "ChangeProductPrice", {"product_id": product, "new_price": price}))
                worker.start()
                worker.join()
            elif kind == "direct":
                _direct_append(engine, product, price)
            elif kind == "import":
                engine.writer.bulk_load(lambda cur, first: 0)  # a bulk path: the writer forgets what it knew
        except DomainRuleViolation:
            pass  # the same price again: refused, nothing written
        for p in products:
            cached = repo.load(p)
            assert cached.state == _fresh(engine, p)
            assert cached.version == engine.store.current_version(p)


@pytest.mark.parametrize("use_batch", [False, True])
def test_commands_in_a_batch_and_outside_agree_with_the_store(engine, use_batch):
    product, = _products(engine, 1)
    if use_batch:
        with engine.batch():
            for cents in (101, 202, 303):
                engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": cents / 100})
    else:
        for cents in (101, 202, 303):
            engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": cents / 100})
    assert engine.repository("product").load(product).state == _fresh(engine, product)
    assert _fresh(engine, product).price == 3.03


SHOP_OPS = st.lists(st.tuples(st.sampled_from(["price", "order", "add", "confirm", "cancel", "fail", "rebuild"]),
                              st.integers(0, 2), st.integers(1, 300)), min_size=1, max_size=20)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=SHOP_OPS)
def test_the_inline_read_model_kept_in_memory_equals_a_replay_under_random_interleavings(engine, operations):
    from esengine.errors import EsEngineError
    from esengine.projections.runner import Side
    submit = engine.commands.submit
    customer = submit("RegisterCustomer", {"name": "Ana", "email": "ana@example.com"}).value
    products = _products(engine)
    orders = []
    for kind, i, cents in operations:
        try:
            if kind == "price":
                submit("ChangeProductPrice", {"product_id": products[i], "new_price": cents / 100})
            elif kind == "order":
                orders.append(submit("CreateOrder", {"customer_id": customer,
                                                     "items": [{"product_id": products[i], "quantity": 1}]}).value)
            elif kind in ("add", "confirm", "cancel") and orders:
                order = orders[i % len(orders)]
                payload = {"add": ("AddOrderItem", {"order_id": order, "product_id": products[i], "quantity": 2}),
                           "confirm": ("ConfirmOrder", {"order_id": order}),
                           "cancel": ("CancelOrder", {"order_id": order, "reason": "changed my mind"})}[kind]
                submit(*payload)
            elif kind == "fail" and orders:  # another hook fails while the events are written: they stay, and so do
                # the inline read model's rows
                hook = type("Broken", (), {"apply_in_transaction": staticmethod(
                    lambda cur, events: (_ for _ in ()).throw(RuntimeError("disk full")))})()
                engine.writer.hooks.append(hook)
                try:
                    submit("ChangeProductPrice", {"product_id": products[i], "new_price": cents / 100 + 0.01})
                except EsEngineError:
                    pass
                finally:
                    engine.writer.drain()  # the events are written (behind the journal) before the hook goes
                    engine.writer.hooks.remove(hook)
            elif kind == "rebuild":  # another writer of the read-model tables: what was kept is dropped
                engine.projections.rebuild("orders", 2)
                engine.projections.promote("orders", 2)
        except (DomainRuleViolation, EsEngineError):
            pass  # a rule refused it: nothing written
    live = engine.projections.live_version("orders")
    for table in ("orders", "products", "customers"):
        result = engine.projections.compare("orders", table, Side(live), Side(live, "replay"))
        assert (result.only_left_count, result.only_right_count, result.changed_rows_count) == (0, 0, 0), table
