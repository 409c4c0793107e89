"""Scans, breakpoints and rule-change impact: each answer equals folding the histories from scratch."""
from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esengine.conditions import condition
from esengine.core.events import NewEvent
from esengine.errors import ConditionError, DomainRuleViolation
from esengine.projections.stream_states import NAME as STATES
from esengine.scans import scan
from esengine.scans.impact import rule_change_impact
from esengine.timetravel import fold_data, state_at
from esengine.timetravel.breakpoints import run_until
from tests.fixtures.time_travel_histories import Clock, catalogue, order_history
from tests.integration.test_console import fingerprint
from tests.unit.test_conditions import conditions

KEYS = ["total", "status", "paid", "items", "a"]
values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["shipped", "paid", ""]),
                   st.lists(st.integers(0, 2), max_size=3), st.fixed_dictionaries({"a": st.integers(-2, 2)}))
histories = st.lists(st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=3), min_size=1, max_size=5),
                     min_size=1, max_size=5)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_types = itertools.count()


@pytest.fixture(scope="module")
def store_engine(tmp_path_factory):
    from esengine import Engine
    with Engine(tmp_path_factory.mktemp("scans") / "scans.duckdb") as engine:
        yield engine


@SETTINGS
@given(streams=histories, text=conditions)
def test_a_scan_finds_the_first_version_folding_each_stream_from_scratch_would(store_engine, streams, text):
    engine, kind = store_engine, f"thing{next(_types)}"  # a fresh type per example: the scan sees only these
    expected = {}
    for n, datas in enumerate(streams):
        sid = f"{kind}-{n}"
        engine.store.append(sid, [NewEvent("Changed", d, occurred_at=datetime(2026, 1, 1) + timedelta(hours=v))
                                  for v, d in enumerate(datas)], 0, kind)
        held = [v for v in range(1, len(datas) + 1)
                if condition(text).holds(fold_data(json.dumps(d) for d in datas[:v]))]
        if held:
            expected[sid] = (held[0], len(held))
    engine.projections.catch_up(STATES)
    found = scan(engine.store, kind, text)
    assert {r.stream_id: (r.first_version, r.versions_holding) for r in found.hits.itertuples()} == expected
    assert found.by_day["streams"].sum() == len(expected) and found.pending == 0


@pytest.fixture
def orders(engine):
    clock = Clock()
    customer, products = catalogue(engine, clock)
    paid = order_history(engine, clock, customer, products, [(1, 2), (2, 1)], lifecycle=3, cancel=False)
    cancelled = order_history(engine, clock, customer, products, [], lifecycle=1, cancel=True)
    return engine, paid, cancelled


@pytest.mark.parametrize("text", ['status == "paid"', "len(items) >= 2", 'paid_amount > 0 and not (status == "shipped")',
                                  'status != "pending"', "total < 0"])
def test_a_breakpoint_stops_where_the_state_shown_first_makes_the_condition_true(orders, text):
    engine, order, _ = orders
    latest = state_at(engine, order).version
    holds = [condition(text).holds(state_at(engine, order, version=v).state) for v in range(latest + 1)]
    becomes = [v for v in range(1, latest + 1) if holds[v] and not holds[v - 1]]
    for start in range(latest + 1):
        ahead = run_until(engine, order, text, start, "next")
        assert ahead.version == next((v for v in becomes if v > start), None)
        assert ahead.event is None or ahead.event.version == ahead.version
        behind = run_until(engine, order, text, start, "previous")
        assert behind.version == next((v for v in reversed(becomes) if v < start), None)


def test_a_hostile_condition_is_refused_and_nothing_runs(orders):
    engine = orders[0]
    engine.projections.catch_up(STATES)
    before = fingerprint(engine)
    for text in ["total < 0; DROP TABLE events", "total < 0 or 1 == 1) OR (1=1", "__import__('os').system('ls')",
                 "status == \"x\" or events.x == 1 --"]:
        with pytest.raises(ConditionError):
            scan(engine.store, "order", text)
    # a hostile text inside quotes is a value, compared as text
    assert scan(engine.store, "order", "status == \"') OR 1=1; DROP TABLE events; --\"").hits.empty
    assert fingerprint(engine) == before


def test_a_tightened_rule_lists_the_existing_events_it_would_refuse(orders):
    engine, _, cancelled = orders
    assert rule_change_impact(engine, "order").refused.empty  # today's rules: every event was allowed
    original = engine.rules.check_for("order", "OrderConfirmed")
    assert original is not None

    def stricter(order, event):  # the new rule: an order needs two lines before it is confirmed
        original(order, event)
        if len(order.state.items) < 2:
            raise DomainRuleViolation("An order needs at least two lines to be confirmed.", "two lines to confirm")
    engine.rules.register("order", "OrderConfirmed", stricter)  # this engine's rules only
    impact = rule_change_impact(engine, "order")
    assert impact.streams == 2 and not impact.skipped
    assert impact.refused[["stream_id", "event_type", "rule"]].to_dict("records") == [
        {"stream_id": cancelled, "event_type": "OrderConfirmed", "rule": "two lines to confirm"}]
    assert impact.refused["version"][0] == 2
