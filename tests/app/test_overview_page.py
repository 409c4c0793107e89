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
    assert not at.warning  # nothing was set aside in the demo


def test_rows_the_database_refused_after_the_acknowledgement_are_shown_with_the_reason(app_env):
    """A commit whose extra row DuckDB refuses behind the acknowledgement keeps its events; the row is set aside,
    and the Overview says so, with the table, the row and DuckDB's reason."""
    from esengine.core.events import NewEvent
    with Engine(app_env) as e:
        e.writer.run(lambda cur: cur.execute("CREATE TABLE labels (id VARCHAR PRIMARY KEY, text VARCHAR)"))
        e.store.append("note-1", [NewEvent("Noted", {})], 0, rows={"labels": [{"id": "a", "text": "first"}]})
        e.store.append("note-2", [NewEvent("Noted", {})], 0, rows={"labels": [{"id": "a", "text": "second"}]})
    at = app_test("pages/overview.py").run()
    assert not at.exception
    assert "1 row(s) of accepted commands could not be written" in at.warning[0].value
    aside = next(d.value for d in at.dataframe if "table_name" in d.value.columns)
    assert aside.iloc[0]["table_name"] == "labels" and '"second"' in aside.iloc[0]["row_json"]
    assert "Duplicate key" in aside.iloc[0]["error"]


def test_the_app_names_the_open_database_in_the_sidebar(app_env):
    at = app_test("app.py").run()
    assert not at.exception
    assert any(app_env.name in m.value for m in at.sidebar.markdown)
