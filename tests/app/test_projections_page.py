"""The Projections page, driven through Streamlit's AppTest."""
from tests.conftest import app_test


def _page(app_env, **params):
    at = app_test("pages/projections.py", timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


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


def test_rebuilding_then_promoting_version_2_from_the_page(app_env):
    at = _page(app_env)
    _button(at, "proj_orders_v2_rebuild").click().run()
    assert not at.exception
    assert any("Version 2 of orders was rebuilt" in s.value for s in at.success)
    _button(at, "proj_orders_v2_promote").click().run()
    assert any("Version 2 of orders is live now" in s.value for s in at.success)
    table = at.dataframe[0].value.set_index(["projection", "version"])
    assert bool(table.loc[("orders", 2), "live"]) and not bool(table.loc[("orders", 1), "live"])


def test_promoting_a_version_that_was_never_built_is_explained(app_env):
    at = _page(app_env)
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


def test_a_poison_event_shows_the_stopped_projection_with_retry_and_skip(app_env):
    at = _page(app_env)
    _button(at, "proj_poison").click().run()
    assert any(e.value.startswith("Stopped at a poison event") and "tracking_number" in e.value for e in at.error)
    _button(at, "proj_orders_v1_skip").click().run()
    assert any("skipped" in s.value for s in at.success)
    assert not any(e.value.startswith("Stopped at a poison event") for e in at.error)
    assert any("Skipped by hand" in c.value for c in at.caption)


def test_placing_orders_shows_them_in_the_inline_read_model_at_once(app_env):
    at = _page(app_env)
    at.radio(key="proj_section").set_value("Eventual consistency").run()
    at.toggle(key="proj_demo_paused").set_value(True).run()  # the async model must wait: its lag is what we see
    _button(at, "proj_demo_place").click().run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Units ordered today: orders"]) >= 5
    assert int(metrics["Same in daily_sales"]) == 0
    assert int(metrics["daily_sales lag (events)"]) == 5
    assert any("Not yet consistent" in w.value for w in at.warning)
