"""The Orders domain end to end: commands, events with metadata, snapshots, the read model, queries."""
import json

import pytest

from esengine.application.context import CommandContext
from esengine.core.snapshots import SnapshotPolicy
from esengine.domains.orders import commands as c
from esengine.domains.orders.aggregates import Product
from esengine.domains.orders.queries import GetOrder, ListOrders
from esengine.errors import ConcurrencyError, DomainRuleViolation, NotFound, ValidationError


def setup_shop(engine):
    customer = engine.commands.dispatch(c.RegisterCustomer(name="Ana Silva", email="ana@example.com")).value
    mug = engine.commands.dispatch(c.AddProduct(name="Mug", price=9.5)).value
    beans = engine.commands.dispatch(c.AddProduct(name="Beans", price=12.0)).value
    return customer, mug, beans


def place(engine, customer, product, qty=2, ctx=None):
    return engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[c.OrderLine(product_id=product, quantity=qty)]), ctx)


def test_a_command_becomes_events_that_carry_its_metadata(engine):
    customer, mug, _ = setup_shop(engine)
    ctx = CommandContext(user_id="workshop-ana", correlation_id="corr-1")
    result = place(engine, customer, mug, ctx=ctx)
    event = result.events[0]
    assert event.event_type == "OrderCreated" and event.version == 1 and result.new_version == 1
    assert event.metadata == {"user_id": "workshop-ana", "correlation_id": "corr-1", "causation_id": ctx.command_id,
                              "command": "CreateOrder", "command_id": ctx.command_id}
    assert event.data["items"] == [{"product_id": mug, "quantity": 2, "unit_price": 9.5}]
    assert event.data["total"] == 19.0


def test_invalid_input_is_refused_per_field_before_anything_is_written(engine):
    before = engine.store.count()
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("RegisterCustomer", {"name": "", "email": "not-an-email"})
    assert set(refused.value.field_errors) == {"name", "email"}
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("AddProduct", {"name": "X", "price": -3})
    assert "price" in refused.value.field_errors
    assert engine.store.count() == before
    log = engine.store.cursor().execute("SELECT outcome, error_kind FROM command_log").fetchall()
    assert log == [("refused", "ValidationError"), ("refused", "ValidationError")]


def test_a_broken_rule_is_refused_logged_and_leaves_the_stream_unchanged(engine):
    customer, mug, _ = setup_shop(engine)
    order = place(engine, customer, mug).value
    with pytest.raises(DomainRuleViolation, match="unpaid"):
        engine.commands.dispatch(c.ShipOrder(order_id=order, tracking_number="TRK-1"))
    assert engine.store.current_version(order) == 1
    row = engine.store.cursor().execute(
        "SELECT outcome, message FROM command_log WHERE command_type = 'ShipOrder'").fetchall()[0]
    assert row[0] == "refused" and "unpaid" in row[1]


def test_a_command_for_a_stream_that_moved_on_is_a_conflict(engine):
    customer, mug, beans = setup_shop(engine)
    order = place(engine, customer, mug).value
    engine.commands.dispatch(c.AddOrderItem(order_id=order, product_id=beans, quantity=1, expected_version=1))
    with pytest.raises(ConcurrencyError) as conflict:
        engine.commands.dispatch(c.ConfirmOrder(order_id=order, expected_version=1))
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)


def test_a_retried_command_does_not_duplicate_history(engine):
    customer, mug, _ = setup_shop(engine)
    ctx = CommandContext(command_id="7b0e5f8e-2a57-4c55-9a1e-1f2d3c4b5a69")
    first = place(engine, customer, mug, ctx=ctx)
    again = place(engine, customer, mug, ctx=ctx)
    assert again.value == first.value and again.events == []
    assert engine.store.current_version(first.value) == 1


def test_an_unknown_customer_or_product_is_named(engine):
    customer, mug, _ = setup_shop(engine)
    with pytest.raises(NotFound, match="customer 'customer-nope'"):
        place(engine, "customer-nope", mug)
    with pytest.raises(ValidationError, match="product 'product-nope'"):
        place(engine, customer, "product-nope")


def test_the_read_model_is_the_seeds_denormalized_order(engine):
    customer, mug, beans = setup_shop(engine)
    order = place(engine, customer, mug, qty=2).value
    engine.commands.dispatch(c.AddOrderItem(order_id=order, product_id=beans, quantity=1))
    engine.commands.dispatch(c.ConfirmOrder(order_id=order))
    engine.commands.dispatch(c.ReceivePayment(order_id=order, amount=31.0))
    engine.commands.dispatch(c.ShipOrder(order_id=order, tracking_number="TRK-123"))
    row = engine.queries.ask(GetOrder(order_id=order))
    assert row["customer_name"] == "Ana Silva" and row["customer_email"] == "ana@example.com"
    assert row["items"] == [
        {"product_id": mug, "product_name": "Mug", "quantity": 2, "unit_price": 9.5, "subtotal": 19.0},
        {"product_id": beans, "product_name": "Beans", "quantity": 1, "unit_price": 12.0, "subtotal": 12.0}]
    assert row["total"] == 31.0
    assert (row["status"], row["status_label"]) == ("shipped", "Shipped - TRK-123")
    assert row["created_at"] <= row["updated_at"]


def test_an_order_keeps_the_price_it_was_placed_at(engine):
    customer, mug, _ = setup_shop(engine)
    order = place(engine, customer, mug, qty=1).value
    engine.commands.dispatch(c.ChangeProductPrice(product_id=mug, new_price=11.0))
    later = place(engine, customer, mug, qty=1).value
    assert engine.queries.ask(GetOrder(order_id=order))["total"] == 9.5
    assert engine.queries.ask(GetOrder(order_id=later))["total"] == 11.0


def test_list_orders_filters_by_status_and_customer_and_pages(engine):
    customer, mug, _ = setup_shop(engine)
    other = engine.commands.dispatch(c.RegisterCustomer(name="Ben", email="ben@example.com")).value
    orders = [place(engine, customer, mug).value for _ in range(3)] + [place(engine, other, mug).value]
    engine.commands.dispatch(c.ConfirmOrder(order_id=orders[0]))
    assert engine.queries.ask(ListOrders(status="confirmed")).total_count == 1
    page = engine.queries.ask(ListOrders(customer_id=customer, limit=2))
    assert page.total_count == 3 and len(page.rows) == 2
    rest = engine.queries.ask(ListOrders(customer_id=customer, limit=2, offset=2))
    assert {r["id"] for r in page.rows + rest.rows} == set(orders[:3])


def test_snapshots_are_taken_by_policy_and_used_when_loading(engine):
    engine.repositories["product"].policy = SnapshotPolicy(every=5)
    _, mug, _ = setup_shop(engine)
    for i in range(12):
        engine.commands.dispatch(c.ChangeProductPrice(product_id=mug, new_price=10 + i))
    assert engine.snapshots.versions(mug) == [5, 10]
    repo = engine.repositories["product"]
    kept = repo.load(mug)  # the latest state, kept in memory since the last command
    repo.latest.clear()  # as after a restart
    latest = repo.load(mug)
    assert latest.snapshot_version == 10 and latest.version == 13 and latest.state.price == 21
    assert kept.state == latest.state and kept.version == 13
    at_7 = repo.load(mug, version=7)
    assert at_7.snapshot_version == 5 and at_7.state.price == 15
    assert at_7.to_snapshot() == repo.load(mug, version=7, use_snapshots=False).to_snapshot()


def test_a_snapshot_of_another_state_schema_is_ignored_and_replaced(engine, monkeypatch):
    engine.repositories["product"].policy = SnapshotPolicy(every=3)
    _, mug, _ = setup_shop(engine)
    for i in range(4):
        engine.commands.dispatch(c.ChangeProductPrice(product_id=mug, new_price=20 + i))
    monkeypatch.setattr(Product, "state_schema_version", 2)
    product = engine.repositories["product"].load(mug)
    assert product.snapshot_version is None and product.state.price == 23
    schemas = engine.store.cursor().execute(
        "SELECT DISTINCT state_schema FROM snapshots WHERE stream_id = ?", [mug]).fetchall()
    assert schemas == [(2,)]


def test_a_corrupt_snapshot_is_reported_and_the_state_comes_from_the_events(engine):
    engine.repositories["product"].policy = SnapshotPolicy(every=2)
    _, mug, _ = setup_shop(engine)
    engine.commands.dispatch(c.ChangeProductPrice(product_id=mug, new_price=30))
    engine.writer.run(lambda cur: cur.execute(
        "UPDATE snapshots SET state = ? WHERE stream_id = ?", [json.dumps({"price": "not a number"}), mug]))
    engine.repositories["product"].latest.clear()  # as after a restart: the state is read from the store
    product = engine.repositories["product"].load(mug)
    assert product.state.price == 30 and product.snapshot_version is None
    assert any("does not fit" in w for w in product.load_warnings)


def test_subscribers_hear_every_committed_event_and_a_failing_one_does_not_undo_the_commit(engine):
    heard = []
    engine.publisher.subscribe("CustomerRegistered", lambda e: heard.append((e.event_type, e.position)))
    engine.publisher.subscribe("*", lambda e: 1 / 0)
    customer = engine.commands.dispatch(c.RegisterCustomer(name="Ana", email="ana@example.com")).value
    assert heard == [("CustomerRegistered", 1)]
    assert engine.store.current_version(customer) == 1
    assert "ZeroDivisionError" in engine.publisher.failures[0][1]
