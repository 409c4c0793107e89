"""The demo history: believable, deterministic, built through the command handlers."""
from datetime import datetime, timedelta

import pytest

from esengine import Engine
from esengine.demo import create_demo_database, generate_bulk, generate_demo
from esengine.store.filters import EventFilter

END = datetime(2026, 3, 1)


def fingerprint(engine):
    return engine.store.cursor().execute(
        "SELECT stream_id, version, event_type, CAST(data AS VARCHAR), occurred_at FROM events ORDER BY position"
    ).fetchall()


def test_the_default_demo_has_about_20k_events_over_90_days(demo_engine):
    cur = demo_engine.store.cursor()
    events, first, last = cur.execute("SELECT count(*), min(occurred_at), max(occurred_at) FROM events").fetchall()[0]
    assert 18_000 <= events <= 22_000
    assert timedelta(days=85) <= last - first <= timedelta(days=90)


def test_the_demo_walks_every_order_lifecycle_path(demo_engine):
    statuses = dict(demo_engine.store.cursor().execute(
        "SELECT status, count(*) FROM rm_orders_v1_orders GROUP BY status").fetchall())
    assert set(statuses) == {"pending", "confirmed", "paid", "shipped", "cancelled"}
    assert statuses["shipped"] > statuses["cancelled"] > 0
    types = {r[0] for r in demo_engine.store.cursor().execute("SELECT DISTINCT event_type FROM events").fetchall()}
    assert {"OrderItemAdded", "ProductPriceChanged", "OrderCancelled", "OrderShipped"} <= types


def test_the_demo_includes_refused_commands_of_each_kind(demo_engine):
    refused = dict(demo_engine.store.cursor().execute(
        "SELECT error_kind, count(*) FROM command_log WHERE outcome = 'refused' GROUP BY 1").fetchall())
    assert refused.get("ValidationError", 0) > 0 and refused.get("DomainRuleViolation", 0) > 0
    messages = " ".join(r[0] for r in demo_engine.store.cursor().execute(
        "SELECT DISTINCT message FROM command_log WHERE outcome = 'refused'").fetchall())
    assert "unpaid" in messages and "shipped order cannot be cancelled" in messages


def test_the_read_model_matches_the_orders_replayed_from_events(demo_engine):
    repo = demo_engine.repositories["order"]
    rows = demo_engine.store.cursor().execute(
        "SELECT id, status, total FROM rm_orders_v1_orders ORDER BY id LIMIT 200").fetchall()
    for order_id, status, total in rows:
        order = repo.load(order_id)
        assert (order.state.status.value, order.state.total) == (status, total)


def test_the_same_seed_gives_the_same_history(tmp_path):
    histories = []
    for name in ("a", "b"):
        with Engine(tmp_path / f"{name}.duckdb") as e:
            generate_demo(e, events=1500, seed=3, end=END)
            histories.append(fingerprint(e))
    assert histories[0] == histories[1]
    with Engine(tmp_path / "c.duckdb") as e:
        generate_demo(e, events=1500, seed=4, end=END)
        assert fingerprint(e) != histories[0]


def test_a_demo_database_is_only_ever_complete_or_absent(tmp_path, monkeypatch):
    path = tmp_path / "first-start.duckdb"
    from esengine.demo import shop

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(shop, "generate_demo", interrupted)
    with pytest.raises(KeyboardInterrupt):
        create_demo_database(path, events=500, end=END)
    assert not path.exists()
    monkeypatch.undo()
    assert create_demo_database(path, events=500, end=END)
    assert not create_demo_database(path, events=500, end=END)  # already there: left alone
    with Engine(path) as e:
        assert e.store.count() > 400


def test_the_bulk_path_writes_order_histories_the_projection_understands(engine):
    written = generate_bulk(engine, events=30_000, end=END)
    assert written >= 30_000
    log = engine.store.cursor().execute(
        "SELECT count(*), count(DISTINCT position), max(position) FROM events").fetchall()[0]
    assert log[0] == log[1] == log[2] == written
    gaps = engine.store.cursor().execute("""SELECT count(*) FROM (SELECT stream_id, max(version) v, count(*) n
        FROM events GROUP BY 1) WHERE v <> n""").fetchall()[0][0]
    assert gaps == 0
    orders = engine.store.cursor().execute("SELECT count(*) FROM rm_orders_v1_orders").fetchall()[0][0]
    created = engine.store.count(where=EventFilter(event_types=("OrderCreated",)))
    assert orders == created > 0
