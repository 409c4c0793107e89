"""The Order aggregate's rules, without a database."""
import pytest

from esengine.domains.orders.aggregates import Order, OrderStatus
from esengine.domains.orders.events import LineItem
from esengine.errors import DomainRuleViolation


def new_order(total_qty=2, price=10.0) -> Order:
    order = Order.create("order-1", "customer-1", [LineItem(product_id="p1", quantity=total_qty, unit_price=price)])
    return order


def test_a_new_order_is_pending_with_its_total():
    order = new_order()
    assert order.state.status == OrderStatus.PENDING
    assert order.state.total == 20.0
    assert [e.event_type for e in order.uncommitted_events] == ["OrderCreated"]
    assert order.version == 1


def test_an_order_needs_items_with_positive_quantities_and_prices():
    with pytest.raises(DomainRuleViolation):
        Order.create("o", "c", [])
    with pytest.raises(DomainRuleViolation, match="quantity"):
        Order.create("o", "c", [LineItem(product_id="p", quantity=0, unit_price=1)])
    with pytest.raises(DomainRuleViolation, match="unit price"):
        Order.create("o", "c", [LineItem(product_id="p", quantity=1, unit_price=-1)])


def test_only_a_pending_order_takes_items_or_is_confirmed():
    order = new_order()
    order.add_item("p2", 1, 5.0)
    assert order.state.total == 25.0
    order.confirm()
    with pytest.raises(DomainRuleViolation, match="pending"):
        order.add_item("p3", 1, 1.0)
    with pytest.raises(DomainRuleViolation, match="pending"):
        order.confirm()


def test_nothing_ships_unpaid():
    order = new_order()
    order.confirm()
    with pytest.raises(DomainRuleViolation, match="unpaid"):
        order.ship("TRK-1")


def test_payment_must_match_the_total():
    order = new_order()
    order.confirm()
    with pytest.raises(DomainRuleViolation, match="does not match"):
        order.receive_payment(19.99)
    order.receive_payment(20.0)
    assert order.state.status == OrderStatus.PAID


def test_a_shipped_order_cannot_be_cancelled():
    order = new_order()
    order.confirm()
    order.receive_payment(20.0)
    order.ship("TRK-42")
    assert order.state.tracking_number == "TRK-42"
    with pytest.raises(DomainRuleViolation, match="shipped order cannot be cancelled"):
        order.cancel("too late")


def test_a_refused_command_leaves_no_new_event():
    order = new_order()
    order.clear_uncommitted_events()
    with pytest.raises(DomainRuleViolation):
        order.ship("TRK-1")
    assert order.uncommitted_events == []
    assert order.version == 1


def test_replaying_the_events_gives_the_same_state():
    order = new_order()
    order.add_item("p2", 3, 1.5)
    order.confirm()
    replayed = Order.load_from_history(order.id, order.uncommitted_events)
    assert replayed.to_snapshot() == order.to_snapshot()
    assert replayed.version == order.version == 3


def test_a_snapshot_restores_the_state():
    order = new_order()
    order.confirm()
    restored = Order.from_snapshot(order.id, order.version, order.to_snapshot())
    assert restored.to_snapshot() == order.to_snapshot()
    assert restored.version == 2
