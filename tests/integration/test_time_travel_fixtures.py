""""Generate a test": given/when/then fixtures from a stream, and the fixtures kept under tests/fixtures."""
from pathlib import Path

import pytest

from esengine.errors import ValidationError
from esengine.timetravel import check_fixture, fixture_json, generate_fixture, load_fixture
from tests.fixtures.time_travel_histories import Clock, catalogue, import_tickets, order_history

KEPT = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "time_travel").glob("*.json"))


@pytest.fixture
def order(engine):
    clock = Clock()
    customer, products = catalogue(engine, clock)
    return order_history(engine, clock, customer, products, [(1, 2)], lifecycle=2, cancel=False)


def test_a_fixture_holds_the_events_before_n_the_nth_event_and_the_state_at_n(engine, order):
    fixture = generate_fixture(engine, order, version=3)
    assert [e["event_type"] for e in fixture["given"]] == ["OrderCreated", "OrderItemAdded"]
    assert fixture["when"]["event_type"] == "OrderConfirmed"
    assert fixture["then"] == {"version": 3, "state": fixture["then"]["state"]}
    assert fixture["then"]["state"]["status"] == "confirmed"


def test_a_generated_fixture_survives_json_and_replays_to_its_expected_state(engine, order):
    text = fixture_json(generate_fixture(engine, order))
    assert check_fixture(engine, load_fixture(text)) == []


def test_a_fixture_whose_expected_state_is_wrong_reports_the_difference(engine, order):
    fixture = generate_fixture(engine, order)
    fixture["then"]["state"]["total"] = 1.0
    assert [c.path for c in check_fixture(engine, fixture)] == ["total"]


def test_a_fixture_of_a_stream_no_code_knows_replays_generically(engine):
    fixture = generate_fixture(engine, import_tickets(engine))
    assert fixture["fold"] == "generic" and check_fixture(engine, fixture) == []


def test_a_fixture_needs_at_least_one_event_and_complete_parts(engine, order):
    with pytest.raises(ValidationError, match="at least one event"):
        generate_fixture(engine, order, version=0)
    with pytest.raises(ValidationError, match="lacks when, then"):
        load_fixture('{"stream_id": "x", "stream_type": "order", "given": []}')
    with pytest.raises(ValidationError, match="not valid JSON"):
        load_fixture("{oops")


@pytest.mark.parametrize("path", KEPT, ids=[p.stem for p in KEPT])
def test_every_kept_fixture_still_replays_to_its_expected_state(engine, path):
    assert check_fixture(engine, load_fixture(path)) == []


def test_fixtures_are_kept_for_orders_products_and_an_imported_stream():
    assert {load_fixture(p)["stream_type"] for p in KEPT} >= {"order", "product", "ticket"}
