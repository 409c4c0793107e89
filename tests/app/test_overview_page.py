"""The Overview page, driven by Streamlit's AppTest."""
from esengine import Engine
from tests.conftest import app_test


def test_overview_shows_the_stores_counts_and_latest_events(app_env):
    with Engine(app_env) as e:
        expected_events = e.store.count()
        newest = e.store.read_all(limit=1, descending=True)[0]
    at = app_test("pages/overview.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Events"] == f"{expected_events:,}"
    assert int(metrics["Commands refused"].replace(",", "")) > 0
    latest = at.dataframe[0].value
    assert latest.iloc[0]["position"] == newest.position


def test_the_app_names_the_open_database_in_the_sidebar(app_env):
    at = app_test("app.py").run()
    assert not at.exception
    assert any(app_env.name in m.value for m in at.sidebar.markdown)
