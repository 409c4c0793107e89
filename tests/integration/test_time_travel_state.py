"""State at a version or a moment, the diff between versions, and the errors a person sees."""
from datetime import timedelta, timezone, UTC

import pytest

from esengine.core.events import NewEvent
from esengine.core.snapshots import SnapshotPolicy
from esengine.errors import NotFound, ValidationError
from esengine.timetravel import diff_versions, state_at
from tests.fixtures.time_travel_histories import (START, STEP, Clock, catalogue, import_tickets, order_history,
                                                 reference_state)


@pytest.fixture
def order(engine):
    """An order with 6 events (created, 2 items added, confirmed, paid, shipped), snapshots every 2."""
    engine.repositories["order"].policy = SnapshotPolicy(2)
    clock = Clock()
    customer, products = catalogue(engine, clock)  # 4 events: the order's first event is at START + 5 h
    return order_history(engine, clock, customer, products, [(1, 2), (2, 1)], lifecycle=3, cancel=False)


def test_the_state_at_each_version_shows_the_order_as_it_was(engine, order):
    assert state_at(engine, order, version=1).state["status"] == "pending"
    assert len(state_at(engine, order, version=3).state["items"]) == 3
    latest = state_at(engine, order)
    assert (latest.version, latest.latest_version, latest.state["status"]) == (6, 6, "shipped")
    assert latest.last_event.event_type == "OrderShipped"
    assert latest.fold == "aggregate"


def test_version_zero_is_the_empty_state_before_any_event(engine, order):
    result = state_at(engine, order, version=0)
    assert result.last_event is None
    assert result.state["status"] is None and result.state["items"] == []


def test_the_state_at_a_moment_is_the_last_event_at_or_before_it(engine, order):
    first = START + 5 * STEP
    assert state_at(engine, order, at=first).version == 1
    assert state_at(engine, order, at=first + 2 * STEP + timedelta(minutes=30)).version == 3
    aware = (first + 3 * STEP).replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=2)))
    assert state_at(engine, order, at=aware).version == 4
    assert state_at(engine, order, at=(first + 4 * STEP).isoformat() + "Z").version == 5


def test_time_travel_by_recorded_at_uses_the_commit_times(engine, order):
    recorded = engine.store.get_events(order)[2].recorded_at
    assert state_at(engine, order, at=recorded, by="recorded_at").version >= 3
    with pytest.raises(ValidationError, match="before the first event"):
        state_at(engine, order, at=START, by="recorded_at")


@pytest.mark.parametrize("kwargs, message", [
    ({"version": 7}, "has 6 events, so there is no version 7. Pick a version from 0 to 6"),
    ({"version": -1}, "Pick a version from 0 to 6"),
    ({"at": START}, "before the first event"),
    ({"at": "next tuesday"}, "is not a date and time"),
    ({"at": START, "by": "created"}, "'occurred_at' or 'recorded_at'"),
    ({"version": 1, "at": START}, "either a version or a moment"),
])
def test_bad_targets_are_refused_with_a_plain_message(engine, order, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        state_at(engine, order, **kwargs)


def test_an_unknown_stream_is_not_found(engine):
    with pytest.raises(NotFound, match="There is no stream 'order-nope'"):
        state_at(engine, "order-nope")


def test_a_corrupt_snapshot_is_skipped_with_a_warning_and_the_state_is_still_right(engine, order):
    engine.snapshots.save(order, "order", 4, 1, {"items": "not a list", "total": "lots"})
    result = state_at(engine, order, version=5)
    assert result.state == reference_state(engine, order, 5)
    assert any("snapshot" in w and "version 4" in w for w in result.warnings)


def test_a_stream_of_a_type_no_code_knows_folds_its_event_data(engine):
    ticket = import_tickets(engine)
    result = state_at(engine, ticket)
    assert result.fold == "generic"
    assert result.state == {"case": "T-7", "status": "closed", "owner": {"name": "Ana", "team": "B"},
                            "labels": ["vip", "refund"]}
    assert state_at(engine, ticket, version=2).state["owner"] == {"name": "Ana", "team": "B"}
    assert state_at(engine, ticket, version=0).state == {}


def test_a_typed_stream_with_events_its_class_cannot_read_falls_back_to_the_generic_fold(engine):
    engine.store.append("order-imported", [NewEvent("LegacyOrderImported", {"order_id": "order-imported", "total": "?"}),
                                           NewEvent("LegacyNote", {"note": "hello"})], 0, "order")
    result = state_at(engine, "order-imported")
    assert result.fold == "generic"
    assert result.state == {"order_id": "order-imported", "total": "?", "note": "hello"}
    assert any("do not fit the order aggregate" in w for w in result.warnings)


def test_the_diff_names_each_changed_field_and_the_event_that_last_changed_it(engine, order):
    diff = diff_versions(engine, order, 1, 6)
    changes = {c.path: c for c in diff.changes}
    assert changes["status"].before == "pending" and changes["status"].after == "shipped"
    assert changes["status"].event.event_type == "OrderShipped"
    assert changes["items[1]"].kind == "added" and changes["items[1]"].event.version == 2
    assert changes["items[2]"].event.version == 3
    assert changes["total"].event.version == 3
    assert changes["paid_amount"].event.event_type == "PaymentReceived"
    assert changes["tracking_number"].after == "TRK-1234"
    assert "customer_id" not in changes


def test_the_diff_against_an_earlier_version_reverses_before_and_after(engine, order):
    changes = {c.path: c for c in diff_versions(engine, order, 6, 4).changes}
    assert (changes["status"].before, changes["status"].after) == ("shipped", "confirmed")
    assert changes["status"].event.event_type == "OrderShipped"


def test_the_diff_of_a_generic_stream_reaches_into_nested_values(engine):
    ticket = import_tickets(engine)
    rows = {r["field"]: r for r in diff_versions(engine, ticket, 1, 3).rows()}
    assert rows["owner.team"]["before"] == '"A"' and rows["owner.team"]["after"] == '"B"'
    assert rows["owner.team"]["changed by"] == "v2 Ticket1"
    assert rows["labels"]["change"] == "added"


def test_state_at_is_json_ready_for_the_command_line(engine, order):
    import json
    text = json.dumps(state_at(engine, order, version=2).to_dict())
    assert '"version": 2' in text and '"event_type": "OrderItemAdded"' in text


@pytest.mark.parametrize("version, compare", [(0, None), (1, None), (4, None), (6, 2), (3, 6), (5, 5), (2, 0)])
def test_the_cursor_view_agrees_with_state_at_and_diff_versions(engine, order, version, compare):
    from esengine.timetravel import state_and_diff
    state, diff = state_and_diff(engine, order, version, compare)
    alone = state_at(engine, order, version=version)
    assert (state.state, state.version, state.latest_version) == (alone.state, alone.version, alone.latest_version)
    assert (state.last_event.version if state.last_event else 0) == version
    expected = diff_versions(engine, order, max(version - 1, 0) if compare is None else compare, version)
    assert diff.rows() == expected.rows()


def test_a_later_event_the_class_cannot_read_makes_the_cursor_view_fold_generically(engine, order):
    from esengine.timetravel import state_and_diff
    engine.store.append(order, [NewEvent("LegacyNote", {"note": "migrated"})], 6, "order")
    state, diff = state_and_diff(engine, order, 7)
    assert state.fold == "generic" and state.state["note"] == "migrated"
    assert any("do not fit the order aggregate" in w for w in state.warnings)
    assert [c.path for c in diff.changes] == ["note"] and diff.changes[0].event.event_type == "LegacyNote"


def test_a_stream_that_grows_after_being_read_is_replayed_to_its_new_end(engine):
    ticket = import_tickets(engine)
    assert state_at(engine, ticket).version == 3
    engine.store.append(ticket, [NewEvent("Ticket3", {"status": "reopened"})], 3, "ticket")
    latest = state_at(engine, ticket)
    assert (latest.version, latest.state["status"]) == (4, "reopened")
