"""A workshop room on a real DuckDB file: the facilitator's passphrase, replacing the database under load, the feed."""
import threading

import duckdb
import pytest

from esengine.application.context import CommandContext
from esengine.core.events import utcnow
from esengine.domains.orders.consistency_demo import place_demo_orders
from esengine.errors import ConcurrencyError, EsEngineError, NotPermitted
from esengine.room import (HOW_TO_ENABLE, PASSPHRASE_ENV, FacilitatorGate, Room, command_feed,
                           configured_passphrase)

SECRET = "open sesame"


@pytest.fixture
def room(tmp_path):
    r = Room(tmp_path / "room.duckdb", FacilitatorGate(SECRET), demo_events=1500)
    yield r
    r.close()


def test_the_passphrase_comes_from_the_environment_before_the_secrets(monkeypatch):
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    assert configured_passphrase({}) is None
    assert configured_passphrase({"facilitator_passphrase": "from secrets"}) == "from secrets"
    monkeypatch.setenv(PASSPHRASE_ENV, "from env")
    assert configured_passphrase({"facilitator_passphrase": "from secrets"}) == "from env"


def test_the_gate_lets_only_the_exact_passphrase_through():
    gate = FacilitatorGate(SECRET)
    assert gate.allows(SECRET)
    for wrong in (None, "", "open sesam", SECRET + " ", SECRET.upper()):
        assert not gate.allows(wrong)
        with pytest.raises(NotPermitted, match="Only the facilitator may reset"):
            gate.check(wrong, "reset")


def test_without_a_passphrase_every_facilitator_action_is_refused_with_how_to_enable_it():
    gate = FacilitatorGate(None)
    assert not gate.enabled and not gate.allows("") and not gate.allows(None)
    with pytest.raises(NotPermitted) as refused:
        gate.check("")
    assert str(refused.value) == HOW_TO_ENABLE and PASSPHRASE_ENV in HOW_TO_ENABLE


def test_the_worker_runs_as_soon_as_the_room_opens(room):
    assert room.engine.projections.worker.state == "running"


def test_a_wrong_passphrase_changes_nothing(room):
    engine = room.engine
    head = engine.store.last_position()
    with pytest.raises(NotPermitted):
        room.reset("guess", demo=False)
    assert room.engine is engine and engine.store.last_position() == head and room.generation == 0


def test_resetting_while_sessions_read_and_write_gives_everyone_the_new_database(room):
    marker = place_demo_orders(room.engine, 1, seed=3)[0]
    stop, failures, reads_after = threading.Event(), [], []

    def session():  # a browser session: every run asks the room for its engine, then reads and writes
        while not stop.is_set():
            generation = room.generation
            try:
                engine = room.engine
                engine.store.last_position()
                place_demo_orders(engine, 1)
                if generation:
                    reads_after.append(engine.store.last_position())
            except (EsEngineError, duckdb.Error) as e:  # only a run caught in the middle of the swap
                failures.append((generation, type(e).__name__))

    sessions = [threading.Thread(target=session) for _ in range(3)]
    for t in sessions:
        t.start()
    try:
        new = room.reset(SECRET, demo=True)
        for _ in range(200):  # let the sessions run on the new engine a while
            if len(reads_after) >= 6:
                break
            new.store.last_position()
            threading.Event().wait(0.01)
    finally:
        stop.set()
        for t in sessions:
            t.join(30)
    assert room.generation == 1 and room.engine is new
    assert marker not in new.store.stream_ids("order", 100_000)
    assert len(reads_after) >= 6
    assert all(generation == 0 for generation, _ in failures)  # nothing failed once the new database was open
    assert not [p.name for p in room.path.parent.iterdir() if ".partial" in p.name]  # nor its lock or WAL


def test_a_failed_build_leaves_the_old_database_serving(room, monkeypatch):
    engine = room.engine
    head = engine.store.last_position()

    def broken(*args, **kwargs):
        raise EsEngineError("disk full")
    monkeypatch.setattr("esengine.room.build_database_file", broken)
    with pytest.raises(EsEngineError, match="disk full"):
        room.reset(SECRET, demo=True)
    assert room.engine is engine and engine.store.last_position() == head
    assert engine.projections.worker.state == "running"


def test_an_empty_store_has_the_schema_and_read_models_but_no_events(room):
    engine = room.reset(SECRET, demo=False)
    assert engine.store.last_position() == 0
    assert set(engine.projections.status()["projection"]) == {"orders", "daily_sales", "stream_states"}


def test_the_feed_names_who_sent_what_and_the_order_a_refused_command_was_about(room):
    engine, since = room.engine, utcnow()
    order = place_demo_orders(engine, 1, seed=5)[0]
    engine.commands.submit("ConfirmOrder", {"order_id": order, "expected_version": 1}, CommandContext(user_id="Ana"))
    with pytest.raises(ConcurrencyError):
        engine.commands.submit("CancelOrder", {"order_id": order, "reason": "too slow", "expected_version": 1},
                               CommandContext(user_id="Ben"))
    feed = command_feed(engine, since=since)
    assert list(feed["who"]) == ["Ben", "Ana", "projections-demo"]
    assert list(feed["outcome"]) == ["refused", "accepted", "accepted"]
    assert list(feed["stream"]) == [order] * 3
    assert feed["error_kind"][0] == "ConcurrencyError"
    assert len(command_feed(engine, since=since, stream_id="order-nobody")) == 0
    assert len(command_feed(engine)) == 50  # the demo history's too, newest first, at most 50
