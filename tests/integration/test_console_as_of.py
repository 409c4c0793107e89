"""AS OF in the console: a table as of a moment equals the read model rebuilt from the events up to then, on
both clocks; malformed clauses are refused before anything runs, and the store is unchanged."""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esengine import console
from esengine.console import run_query
from esengine.core.events import NewEvent, StoredEvent
from esengine.errors import QueryRejected
from esengine.store.event_store import EVENT_COLUMNS
from esengine.timetravel import fold_data
from tests.integration.test_console import fingerprint

START = datetime(2026, 3, 1)
CLOCKS = {"VALID_TIME": "occurred_at", "SYSTEM_TIME": "recorded_at"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Orders appended one event at a time (each recorded at its own moment), their occurred times random and
    partly out of order, as an imported log's can be."""
    from esengine import Engine
    rng = random.Random(17)
    with Engine(tmp_path_factory.mktemp("asof") / "asof.duckdb") as engine:
        store = engine.store
        store.append("customer-1", [NewEvent("CustomerRegistered", {"customer_id": "customer-1", "name": "Ana",
                                                                     "email": "ana@example.com"}, occurred_at=START)],
                     0, "customer")
        for n in range(25):
            oid, t = f"order-{n:02d}", START + timedelta(hours=rng.uniform(0, 200))
            total = round(rng.uniform(5, 90), 2)
            steps = [("OrderCreated", {"order_id": oid, "customer_id": "customer-1", "total": total,
                                       "items": [{"product_id": "product-1", "quantity": 1, "unit_price": total}]}),
                     ("OrderConfirmed", {"order_id": oid}), ("PaymentReceived", {"order_id": oid, "amount": total}),
                     ("OrderShipped", {"order_id": oid, "tracking_number": f"TRK-{n}"})][:rng.randint(1, 4)]
            for version, (event_type, data) in enumerate(steps):
                t += timedelta(hours=rng.uniform(-3, 30))  # sometimes before the previous event
                store.append(oid, [NewEvent(event_type, data, occurred_at=t)], version, "order")
        for name in engine.projections.registered:
            engine.projections.catch_up(name)
        yield engine


def _events(engine, clock: str, at: datetime) -> list[StoredEvent]:
    rel = engine.store.cursor().execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE {clock} <= ? ORDER BY position",
                                        [at])
    names = [d[0] for d in rel.description]
    return [StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall()]


def orders_rebuilt(engine, clock: str, at: datetime) -> pd.DataFrame:
    """The orders table rebuilt by the projection's handlers from the events up to ``at``, in a scratch database."""
    p = engine.projections.projection("orders")
    scratch = duckdb.connect()
    p.create_tables(scratch)
    p.apply_batch(scratch, [e for e in _events(engine, clock, at) if e.event_type in p.event_types])
    return scratch.execute(f'SELECT * FROM "{p.table_name("orders")}" ORDER BY id').df()


def streams_folded(engine, clock: str, at: datetime) -> dict[str, tuple[int, dict]]:
    by_stream: dict[str, list[StoredEvent]] = {}
    for e in _events(engine, clock, at):
        by_stream.setdefault(e.stream_id, []).append(e)
    return {sid: (max(e.version for e in es), fold_data(json.dumps(e.data) for e in sorted(es, key=lambda e: e.version)))
            for sid, es in by_stream.items()}


def moments(engine, clock: str) -> list[datetime]:
    return [r[0] for r in engine.store.cursor().execute(f"SELECT DISTINCT {clock} FROM events ORDER BY 1").fetchall()]


SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data(), clause=st.sampled_from(list(CLOCKS)))
def test_a_read_model_as_of_a_moment_equals_it_rebuilt_from_the_events_up_to_then(shop, data, clause):
    clock = CLOCKS[clause]
    at = data.draw(st.sampled_from(moments(shop, clock))) + timedelta(microseconds=data.draw(st.sampled_from([0, 1])))
    got = run_query(shop, f"SELECT * FROM orders FOR {clause} AS OF '{at.isoformat()}' ORDER BY id")
    expected = orders_rebuilt(shop, clock, at)
    assert list(got["id"]) == list(expected["id"])
    for column in ("status", "total", "customer_id", "items", "tracking_number"):
        assert list(got[column]) == list(expected[column]), column


@SETTINGS
@given(data=st.data(), clause=st.sampled_from(list(CLOCKS)))
def test_streams_as_of_a_moment_are_the_fold_of_the_events_up_to_then(shop, data, clause):
    clock = CLOCKS[clause]
    at = data.draw(st.sampled_from(moments(shop, clock)))
    got = run_query(shop, f"SELECT stream_id, version, state FROM streams FOR {clause} AS OF '{at.isoformat()}'")
    assert {r.stream_id: (r.version, json.loads(r.state)) for r in got.itertuples()} == streams_folded(shop, clock, at)


def test_several_tables_as_of_different_moments_in_one_query(shop):
    early, late = moments(shop, "occurred_at")[10], moments(shop, "occurred_at")[-1]
    got = run_query(shop, f"""
        SELECT (SELECT count(*) FROM orders FOR VALID_TIME AS OF '{early}') AS early,
               (SELECT count(*) FROM rm_orders_v1_orders FOR VALID_TIME AS OF '{late}') AS late,
               (SELECT count(*) FROM streams s FOR SYSTEM_TIME AS OF '{moments(shop, "recorded_at")[-1]}') AS now,
               (SELECT count(*) FROM events FOR VALID_TIME AS OF '{early}') AS events_then""")
    assert got.iloc[0].to_dict() == {"early": len(orders_rebuilt(shop, "occurred_at", early)), "late": 25,
                                     "now": 26, "events_then": len(_events(shop, "occurred_at", early))}
    joined = run_query(shop, f"SELECT count(*) AS n FROM orders FOR VALID_TIME AS OF '{late}' o "
                             f"JOIN streams FOR VALID_TIME AS OF '{early}' AS s ON s.stream_id = o.id")
    assert joined["n"][0] == sum(sid.startswith("order-") for sid in streams_folded(shop, "occurred_at", early))


def test_a_moment_before_the_history_gives_no_rows_and_bare_streams_is_now(shop):
    assert run_query(shop, "SELECT * FROM streams FOR VALID_TIME AS OF '2020-01-01'").empty
    assert run_query(shop, "SELECT * FROM orders FOR SYSTEM_TIME AS OF '2020-01-01'").empty
    assert len(run_query(shop, "SELECT * FROM streams")) == 26


@pytest.mark.parametrize("sql, words", [
    ("SELECT * FROM orders FOR SYSTEM_TIME AS OF 'yesterday'", "is not a date and time"),
    ("SELECT * FROM orders FOR SYSTEM_TIME AS OF '2026-02-30'", "not a date and time that exists"),
    ("SELECT * FROM orders FOR VALID_TIME AS OF now()", "needs a moment in quotes"),
    ("SELECT * FROM orders FOR VALID_TIME '2026-03-02'", "expects AS OF"),
    ("SELECT * FROM orders FOR SYSTEM_TIME AS OF '2026-03-02''; DROP TABLE events; --'", "is not a date and time"),
    ("SELECT * FROM command_log FOR SYSTEM_TIME AS OF '2026-03-02'", "'command_log' is none of them"),
    ('SELECT * FROM "orders"" x" FOR SYSTEM_TIME AS OF \'2026-03-02\'', "is none of them"),
    ("SELECT * FROM streams FOR SYSTEM_TIME AS OF '2026-03-02', read_csv('/etc/passwd')", "not allowed"),
    (" UNION ALL ".join(f"SELECT count(*) FROM streams FOR VALID_TIME AS OF '2026-03-0{d}'" for d in range(1, 7)),
     "at most 4 per query"),
    ("DELETE FROM events WHERE position IN (SELECT 1 FROM streams FOR SYSTEM_TIME AS OF '2026-03-02')",
     "Only reading queries"),
])
def test_a_malformed_or_hostile_as_of_is_refused_and_nothing_runs(shop, monkeypatch, sql, words):
    before = fingerprint(shop)
    built = []
    monkeypatch.setattr(console, "build", lambda engine, as_of: built.append(as_of))
    with pytest.raises(QueryRejected) as refused:
        run_query(shop, sql)
    assert words in str(refused.value)
    assert built == [] and fingerprint(shop) == before


def test_the_clause_inside_a_string_or_a_comment_is_left_alone(shop):
    got = run_query(shop, "SELECT 'FOR SYSTEM_TIME AS OF x' AS s -- FOR VALID_TIME AS OF 'nonsense'")
    assert got["s"][0] == "FOR SYSTEM_TIME AS OF x"
