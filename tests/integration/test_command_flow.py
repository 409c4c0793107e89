"""The flow of a command as plain data: what the aggregate loaded and checked, the events, each projection and
the read-model rows it changed; a refusal ends where it stopped, with why."""
import pytest

from esengine.application.flow import build_flow, rows_before
from esengine.application.recording import recording
from esengine.domains.orders import commands as c
from esengine.errors import EsEngineError


@pytest.fixture
def shop(engine):
    customer = engine.commands.dispatch(c.RegisterCustomer(name="Bo", email="bo@example.com")).value
    product = engine.commands.dispatch(c.AddProduct(name="Mug", price=5)).value
    order = engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[
        c.OrderLine(product_id=product, quantity=1)])).value
    return engine, {"customer": customer, "product": product, "order": order}


def run(engine, command_type, payload):
    before = rows_before(engine, payload)
    with recording() as records:
        try:
            outcome = engine.commands.submit(command_type, payload)
        except EsEngineError as e:
            outcome = e
    return build_flow(engine, command_type, payload, outcome, records, before, user="kim")


def node(flow, kind):
    return [n for n in flow.nodes if n.kind == kind]


def test_an_accepted_command_shows_the_loaded_version_the_rules_the_event_and_the_changed_row(shop):
    engine, ids = shop
    flow = run(engine, "AddOrderItem", {"order_id": ids["order"], "product_id": ids["product"], "quantity": 2,
                                        "expected_version": 1})
    assert flow.accepted and flow.stopped_at is None
    order = node(flow, "aggregate")[0]
    assert order.title == f"Aggregate order {ids['order']}"
    assert order.lines[:3] == ("loaded at version 1", "version check: expected 1, it is at 1",
                               "✓ only a pending order takes items")
    event = node(flow, "event")[0]
    assert event.title == "Event OrderItemAdded" and f"{ids['order']} version 2" in event.lines
    assert f"position {engine.store.last_position()}" in event.lines
    inline = next(n for n in node(flow, "projection") if "(inline)" in n.title)
    assert inline.group == "transaction" and "same transaction as the events" in inline.lines
    assert any("(asynchronous)" in n.title and any(line.startswith("lag") or "caught up" in line for line in n.lines)
               for n in node(flow, "projection"))
    (change,) = flow.rows
    assert (change.table, change.key) == ("orders", ids["order"])
    assert {"total", "items"} <= set(change.changed_columns) and change.before["total"] == 5.0
    assert change.after["total"] == 15.0


def test_a_broken_rule_stops_at_the_aggregate_with_the_rule_and_nothing_after(shop):
    engine, ids = shop
    flow = run(engine, "ShipOrder", {"order_id": ids["order"], "tracking_number": "TRK-1"})
    assert not flow.accepted and flow.stopped_at == "domain rule"
    assert "✗ nothing ships unpaid" in node(flow, "aggregate")[0].lines
    assert not node(flow, "event") and not flow.rows
    assert [n.title for n in node(flow, "skipped")] == ["Events", "Read model"]


def test_a_stale_version_stops_as_a_concurrency_conflict(shop):
    engine, ids = shop
    engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    flow = run(engine, "CancelOrder", {"order_id": ids["order"], "reason": "too slow", "expected_version": 1})
    assert flow.stopped_at == "concurrency conflict"
    assert "version check: expected 1, but it is at 2" in node(flow, "aggregate")[0].lines


def test_an_unknown_stream_stops_at_the_load_and_bad_values_stop_at_validation(shop):
    engine, ids = shop
    missing = run(engine, "ConfirmOrder", {"order_id": "order-nobody"})
    assert missing.stopped_at == "not found" and "There is no order 'order-nobody'" in missing.reason
    invalid = run(engine, "AddOrderItem", {"order_id": ids["order"], "product_id": ids["product"], "quantity": 2.5})
    assert invalid.stopped_at == "validation" and not node(invalid, "aggregate")
    assert [n.title for n in node(invalid, "skipped")] == ["Aggregate", "Events", "Read model"]


def test_a_created_stream_is_a_new_aggregate_and_a_new_row(shop):
    engine, ids = shop
    flow = run(engine, "CreateOrder", {"customer_id": ids["customer"],
                                       "items": [{"product_id": ids["product"], "quantity": 3}]})
    created = node(flow, "aggregate")[-1]
    assert created.lines[0] == "new: version 0" and "✓ an order has at least one item" in created.lines
    assert [(r.table, r.before) for r in flow.rows] == [("orders", None)]  # the customer and product rows are unchanged
