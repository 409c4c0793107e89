"""Property: for any history and any N, the state at N equals folding the first N events from scratch,
with and without snapshots, and after the snapshot schema changes."""
import uuid

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from esengine.core.events import NewEvent
from esengine.core.snapshots import SnapshotPolicy
from esengine.domains.orders.aggregates import Order
from esengine.timetravel import fold_data, state_at
from tests.fixtures.time_travel_histories import Clock, catalogue, order_history, reference_state

histories = st.fixed_dictionaries({
    "added": st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), max_size=6),
    "lifecycle": st.integers(0, 3),
    "cancel": st.booleans(),
    "snapshot_every": st.sampled_from([0, 1, 2, 3, 5]),
})
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def shop(engine):
    clock = Clock()
    customer, products = catalogue(engine, clock)
    return engine, clock, customer, products


def write(shop, history) -> str:
    engine, clock, customer, products = shop
    engine.repositories["order"].policy = SnapshotPolicy(history["snapshot_every"])
    return order_history(engine, clock, customer, products, history["added"], history["lifecycle"],
                         history["cancel"])


@SETTINGS
@given(history=histories)
def test_the_state_at_any_version_equals_folding_its_events_from_scratch(shop, history):
    engine = shop[0]
    order = write(shop, history)
    last = engine.store.current_version(order)
    for n in range(last + 1):
        expected = reference_state(engine, order, n)
        with_snapshots = state_at(engine, order, version=n)
        assert with_snapshots.state == expected
        assert with_snapshots.version == n
        assert state_at(engine, order, version=n, use_snapshots=False).state == expected
        if with_snapshots.snapshot_version is not None:
            assert with_snapshots.snapshot_version <= n


@SETTINGS
@given(history=histories.filter(lambda h: h["snapshot_every"] > 0))
def test_the_state_at_any_version_is_right_after_the_snapshot_schema_changes(shop, history, monkeypatch):
    engine = shop[0]
    order = write(shop, history)
    last = engine.store.current_version(order)
    with monkeypatch.context() as m:
        m.setattr(Order, "state_schema_version", Order.state_schema_version + 1)
        for n in reversed(range(last + 1)):
            result = state_at(engine, order, version=n)
            assert result.state == reference_state(engine, order, n)
            assert result.snapshot_version is None  # every snapshot is of the old schema: none is used
        assert state_at(engine, order).state == reference_state(engine, order, last)


def test_snapshots_are_used_when_the_schema_matches(shop):
    engine = shop[0]
    order = write(shop, {"added": [(1, 1)] * 6, "lifecycle": 2, "cancel": False, "snapshot_every": 3})
    result = state_at(engine, order, version=7)
    assert result.snapshot_version == 6
    assert result.state == reference_state(engine, order, 7)


json_leaf = st.none() | st.booleans() | st.integers(-9, 9) | st.text("xyz", max_size=3)
event_data = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]),
                             json_leaf | st.lists(json_leaf, max_size=3)
                             | st.dictionaries(st.sampled_from(["p", "q"]), json_leaf, max_size=2), max_size=3)


@SETTINGS
@given(datas=st.lists(event_data, min_size=1, max_size=12))
def test_a_stream_no_code_knows_is_at_any_version_the_merge_of_its_first_events(engine, datas):
    stream = f"ledger-{uuid.uuid4().hex[:8]}"
    engine.store.append(stream, [NewEvent("Entry", d) for d in datas], 0, "ledger")
    for n in range(len(datas) + 1):
        assert state_at(engine, stream, version=n).state == fold_data(datas[:n])
