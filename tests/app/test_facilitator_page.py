"""The Facilitator page through AppTest: replacing the room's database, the live commands, the collision exercise."""
import pytest

from esengine.application.context import CommandContext
from esengine.errors import ConcurrencyError
from tests.conftest import app_test, unlocked_page

PASSPHRASE = "correct horse"


@pytest.fixture
def facilitator(app_env, monkeypatch):
    monkeypatch.setenv("ESENGINE_FACILITATOR_PASSPHRASE", PASSPHRASE)
    return app_env


def _page(given=None, **params):
    return unlocked_page("pages/facilitator.py", given, timeout=180, **params)


def _engine():
    from ui.engine import get_engine
    return get_engine()


def _replace(at, choice: str, confirm: bool = True):
    at.radio(key="room_choice").set_value(choice)
    if confirm:
        at.checkbox(key="room_confirm").check()
    next(b for b in at.button if b.label == "Replace the database").click().run()
    assert not at.exception
    return at


def _place_an_order() -> str:
    from esengine.domains.orders.consistency_demo import place_demo_orders
    return place_demo_orders(_engine(), 1, seed=1)[0]


def test_a_wrong_passphrase_is_refused_and_nothing_changes(facilitator):
    at = _page("a guess")
    order, head = _place_an_order(), _engine().store.last_position()
    _replace(at, "empty")
    assert any("Only the facilitator may start an empty store" in e.value for e in at.error)
    assert _engine().store.last_position() == head
    assert _engine().repository("order").load(order).version == 1


def test_replacing_needs_the_confirmation_ticked(facilitator):
    at = _page(PASSPHRASE)
    head = _engine().store.last_position()
    _replace(at, "empty", confirm=False)
    assert any("Tick the box to confirm first" in w.value for w in at.warning)
    assert _engine().store.last_position() == head


def test_an_empty_store_then_a_fresh_demo(facilitator):
    at = _page(PASSPHRASE)
    order = _place_an_order()
    _replace(at, "empty")
    assert any("an empty store (0 events)" in s.value for s in at.success)
    assert _engine().store.last_position() == 0
    assert {m.label: m.value for m in at.metric}["Events"] == "0"
    assert any("no pending order to collide on" in i.value for i in at.info)
    _replace(at, "demo")
    assert any("a fresh demo history" in s.value for s in at.success)
    engine = _engine()
    assert engine.store.last_position() > 10_000
    assert engine.projections.worker.state == "running"  # the new engine's worker runs from its opening
    assert not engine.store.stream_ids("order", 100_000).count(order)  # the order placed before is gone


def test_the_url_cannot_stand_in_for_the_passphrase(facilitator):
    at = _page(passphrase=PASSPHRASE, room_passphrase=PASSPHRASE, room_choice="empty", room_confirm="true")
    head = _engine().store.last_position()
    _replace(at, "empty")
    assert any("Only the facilitator may" in e.value for e in at.error)
    assert _engine().store.last_position() == head


def test_without_a_passphrase_configured_the_page_says_how_to_enable_it(app_env, monkeypatch):
    monkeypatch.delenv("ESENGINE_FACILITATOR_PASSPHRASE", raising=False)
    at = _page()
    assert any("ESENGINE_FACILITATOR_PASSPHRASE" in i.value for i in at.info)
    assert next(b for b in at.button if b.label == "Replace the database").disabled


def test_the_feed_shows_a_command_sent_from_another_session(facilitator):
    at = _page()
    assert any(c.value.startswith("No command yet since") for c in at.caption)
    other = app_test("pages/projections.py", timeout=120).run()  # another participant's browser session
    other.radio(key="proj_section").set_value("Eventual consistency").run()
    other.number_input(key="proj_demo_count").set_value(2).run()
    next(b for b in other.button if b.key == "proj_demo_place").click().run()
    at.run()
    feed = at.dataframe[0].value
    assert list(feed["command"][:2]) == ["CreateOrder", "CreateOrder"]
    assert set(feed["who"][:2]) == {"projections-demo"} and set(feed["outcome"][:2]) == {"accepted"}


def test_the_collision_exercise_shows_the_concurrency_error(facilitator):
    at = _page()
    order = at.selectbox(key="room_order").value
    next(b for b in at.button if b.key == "room_watch").click().run()
    assert any(f"Waiting for the first command on {order}" in c.value for c in at.caption)
    engine = _engine()
    loaded = engine.repository("order").load(order).version  # both participants load the order now
    product = engine.store.stream_ids("product", 1)[0]
    engine.commands.submit("AddOrderItem", {"order_id": order, "product_id": product, "quantity": 1,
                                            "expected_version": loaded}, CommandContext(user_id="Ana"))
    with pytest.raises(ConcurrencyError):
        engine.commands.submit("ConfirmOrder", {"order_id": order, "expected_version": loaded},
                               CommandContext(user_id="Ben"))
    at.run()
    assert any(w.value.startswith("Collision: Ben's ConfirmOrder was refused with a ConcurrencyError")
               for w in at.warning)
    assert list(at.dataframe[-1].value["who"]) == ["Ben", "Ana"]
