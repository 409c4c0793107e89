"""The Projections page, driven through Streamlit's AppTest."""
import pytest

from tests.conftest import app_test, unlocked_page

PASSPHRASE = "correct horse"


@pytest.fixture
def facilitator(app_env, monkeypatch):
    """The app started with a facilitator's passphrase."""
    monkeypatch.setenv("ESENGINE_FACILITATOR_PASSPHRASE", PASSPHRASE)
    return app_env


def _page(app_env, given=None, **params):
    return unlocked_page("pages/projections.py", given, timeout=120, **params)


def _forced_click(at, key):
    """Click a greyed-out button as a doctored browser would (sending the click anyway): it must do nothing."""
    button = _button(at, key)
    button.proto.disabled = False
    button.click().run()


def _head() -> int:
    from ui.engine import get_engine
    return get_engine().store.last_position()


def _button(at, key):
    return next(b for b in at.button if b.key == key)


def test_the_page_lists_every_projection_version_with_status_and_lag(app_env):
    at = _page(app_env)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert set(zip(table["projection"], table["version"])) == {("orders", 1), ("orders", 2), ("daily_sales", 1),
                                                                    ("stream_states", 1)}
    assert {"status", "checkpoint", "lag_events", "lag_seconds", "error"} <= set(table.columns)


def test_a_deep_link_selects_the_projection(app_env):
    at = _page(app_env, projection="daily_sales")
    assert at.selectbox(key="proj_name").value == "daily_sales"
    assert any("runs **async**" in m.value for m in at.markdown)


def test_rebuilding_then_promoting_version_2_from_the_page(facilitator):
    at = _page(facilitator, PASSPHRASE)
    _button(at, "proj_orders_v2_rebuild").click().run()
    assert not at.exception
    assert any("Version 2 of orders was rebuilt" in s.value for s in at.success)
    _button(at, "proj_orders_v2_promote").click().run()
    assert any("Version 2 of orders is live now" in s.value for s in at.success)
    table = at.dataframe[0].value.set_index(["projection", "version"])
    assert bool(table.loc[("orders", 2), "live"]) and not bool(table.loc[("orders", 1), "live"])


def test_promoting_a_version_that_was_never_built_is_explained(facilitator):
    at = _page(facilitator, PASSPHRASE)
    _button(at, "proj_orders_v2_promote").click().run()
    assert not at.exception
    assert any("has not been built yet" in e.value for e in at.error)


def test_comparing_version_1_with_a_replay_shows_they_are_identical(app_env):
    at = _page(app_env)
    at.radio(key="proj_section").set_value("Compare two outputs").run()
    at.radio(key="proj_cmp_right_kind").set_value("replay").run()
    at.selectbox(key="proj_cmp_right_version").set_value(1).run()
    _button(at, "proj_cmp_run").click().run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("Identical") for s in at.success)


def test_comparing_with_a_version_that_was_never_built_is_explained(app_env):
    at = _page(app_env)
    at.radio(key="proj_section").set_value("Compare two outputs").run()
    _button(at, "proj_cmp_run").click().run()
    assert any("has not been built" in e.value for e in at.error)


def test_a_poison_event_shows_the_stopped_projection_with_retry_and_skip(facilitator):
    at = _page(facilitator, PASSPHRASE)
    _button(at, "proj_poison").click().run()
    assert any(e.value.startswith("Stopped at a poison event") and "tracking_number" in e.value for e in at.error)
    _button(at, "proj_orders_v1_skip").click().run()
    assert any("skipped" in s.value for s in at.success)
    assert not any(e.value.startswith("Stopped at a poison event") for e in at.error)
    assert any("Skipped by hand" in c.value for c in at.caption)


def test_placing_orders_shows_them_in_the_inline_read_model_at_once(app_env):
    at = _page(app_env)
    at.radio(key="proj_section").set_value("Eventual consistency").run()
    metrics = {m.label: m.value for m in at.metric}
    before = int(metrics["Units ever ordered: orders"].replace(",", ""))
    assert metrics["Same count in daily_sales"] == metrics["Units ever ordered: orders"]  # the demo starts consistent
    at.radio(key="proj_demo_pace").set_value("paused").run()  # the async model must wait: its lag is what we see
    _button(at, "proj_demo_place").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Units ever ordered: orders"].replace(",", "")) >= before + 5
    assert int(metrics["Same count in daily_sales"].replace(",", "")) == before
    assert int(metrics["daily_sales lag (events)"]) == 5
    assert any("Not yet consistent" in w.value for w in at.warning)


def test_the_worker_runs_from_the_first_page_any_session_opens(app_env):
    from ui.engine import get_engine
    at = app_test("pages/overview.py", timeout=120).run()
    assert not at.exception
    assert get_engine().projections.worker.state == "running"


def test_a_pace_set_in_one_session_shows_in_another(app_env):
    first, second = _page(app_env), _page(app_env)
    for at in (first, second):
        at.radio(key="proj_section").set_value("Eventual consistency").run()
    first.radio(key="proj_demo_pace").set_value("slow").run()
    second.run()
    assert second.radio(key="proj_demo_pace").value == "slow"
    second.radio(key="proj_demo_pace").set_value("normal").run()
    first.run()
    assert first.radio(key="proj_demo_pace").value == "normal"


def test_without_a_passphrase_configured_destructive_actions_are_off_with_a_note(app_env, monkeypatch):
    monkeypatch.delenv("ESENGINE_FACILITATOR_PASSPHRASE", raising=False)
    at = _page(app_env)
    assert any("ESENGINE_FACILITATOR_PASSPHRASE" in i.value for i in at.info)
    for key in ("proj_orders_v2_rebuild", "proj_orders_v2_promote", "proj_orders_v2_drop", "proj_poison"):
        assert _button(at, key).disabled


def test_a_participant_cannot_promote_or_poison_even_by_forcing_the_button(facilitator):
    # the passphrase in the URL counts for nothing: only what the session typed is checked
    at = _page(facilitator, "a guess", projection="orders", passphrase=PASSPHRASE, room_passphrase=PASSPHRASE)
    assert _button(at, "proj_orders_v2_promote").disabled
    head = _head()
    _forced_click(at, "proj_poison")
    _forced_click(at, "proj_orders_v2_rebuild")
    assert not at.success and not at.exception
    from ui.engine import get_engine
    status = get_engine().projections.status().set_index(["projection", "version"])
    assert status.loc[("orders", 2), "status"] == "new" and status.loc[("orders", 1), "status"] == "running"
    assert _head() == head
