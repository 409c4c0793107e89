"""What-if replay: the state without chosen events, and the later events that would break a rule."""
import pytest

from esengine.domains.orders import commands as c
from esengine.errors import NotFound, ValidationError
from esengine.timetravel import what_if
from tests.fixtures.time_travel_histories import Clock, catalogue, import_tickets, order_history, send


@pytest.fixture
def shop(engine):
    clock = Clock()
    customer, products = catalogue(engine, clock)
    return engine, clock, customer, products


@pytest.fixture
def shipped(shop):
    """created (1), item added (2), confirmed (3), paid (4), shipped (5)."""
    engine, clock, customer, products = shop
    return order_history(engine, clock, customer, products, [(1, 2)], lifecycle=3, cancel=False)


def test_skipping_nothing_gives_the_real_state(engine, shipped):
    result = what_if(engine, shipped, [])
    assert result.alternative == result.real and result.changes == [] and result.breaks == []


def test_skipping_the_payment_makes_the_shipment_break_the_rule_that_nothing_ships_unpaid(engine, shipped):
    result = what_if(engine, shipped, [4])
    assert [(b.version, b.event_type, b.rule) for b in result.breaks] == [(5, "OrderShipped", "nothing ships unpaid")]
    assert result.alternative["status"] == "confirmed" and result.real["status"] == "shipped"
    assert {ch.path for ch in result.changes} == {"status", "paid_amount", "tracking_number"}


def test_skipping_an_added_item_lowers_the_total_and_breaks_the_payment_that_no_longer_matches(engine, shipped):
    result = what_if(engine, shipped, [2])
    assert len(result.alternative["items"]) == 1
    assert result.breaks[0].version == 4 and result.breaks[0].rule == "payment matches the total"
    assert result.breaks[1].event_type == "OrderShipped"  # refused too: the order was never paid
    assert result.refused == [4, 5]


def test_skipping_the_creation_makes_every_later_event_refused(engine, shipped):
    result = what_if(engine, shipped, [1])
    assert result.refused == [2, 3, 4, 5]
    assert result.alternative["status"] is None


def test_a_what_if_stops_at_the_chosen_version(engine, shipped):
    result = what_if(engine, shipped, [3], version=4)
    assert result.version == 4 and result.real["status"] == "paid"
    assert result.breaks[0].event_type == "PaymentReceived" and result.alternative["status"] == "pending"


def test_a_price_change_skipped_leaves_the_earlier_price(shop):
    engine, clock = shop[0], shop[1]
    product = shop[3][0]
    for price in (3.0, 4.0, 5.0):
        send(engine, c.ChangeProductPrice(product_id=product, new_price=price), clock)
    result = what_if(engine, product, [4])
    assert (result.real["price"], result.alternative["price"]) == (5.0, 4.0)
    assert result.rules_checked and result.breaks == []


def test_a_stream_without_rules_is_replayed_without_the_skipped_events_and_says_so(engine):
    ticket = import_tickets(engine)
    result = what_if(engine, ticket, [2])
    assert result.alternative["owner"] == {"name": "Ana", "team": "A"} and result.alternative["status"] == "closed"
    assert not result.rules_checked and "No rules are known for 'ticket'" in result.warnings[0]


def test_skipping_an_event_that_does_not_exist_is_refused(engine, shipped):
    with pytest.raises(ValidationError, match="Only events 1 to 3 can be skipped"):
        what_if(engine, shipped, [5], version=3)
    with pytest.raises(NotFound):
        what_if(engine, "order-none", [1])
