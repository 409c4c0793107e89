"""The Analytics page draws its charts from the store and answers bad filters with plain messages."""
from __future__ import annotations

from pathlib import Path

import json

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "analytics.py")


def count(db, sql: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


@pytest.fixture
def page(app_env):
    at = AppTest.from_file(PAGE, default_timeout=60)
    return at


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_analytics_page_charts_the_whole_history_by_default(page, app_env):
    events = count(app_env, "SELECT count(*) FROM events")
    page.run()
    assert not page.exception
    assert [s.value for s in page.subheader] == ["Event volume over time", "Top streams", "Stream lengths",
                                                 "Commands accepted and refused", "When during the week"]
    assert f"{events:,} events from" in captions(page)
    assert len(page.get("plotly_chart")) == 6


def test_analytics_filters_narrow_every_chart_to_the_chosen_stream_type(page, app_env):
    products = count(app_env, "SELECT count(*) FROM events WHERE stream_type = 'product'")
    page.run()
    page.multiselect(key="analytics_stream_type").set_value(["product"]).run()
    assert not page.exception
    assert f"{products:,} events from" in captions(page)


def test_a_link_with_a_filter_fills_the_analytics_filters(page, app_env):
    orders = count(app_env, "SELECT count(*) FROM events WHERE stream_type = 'order' AND event_type = 'OrderShipped'")
    page.query_params["stream_type"] = "order"
    page.query_params["event_type"] = "OrderShipped"
    page.run()
    assert page.multiselect(key="analytics_stream_type").value == ["order"]
    assert f"{orders:,} events from" in captions(page)


def test_a_date_that_cannot_be_read_gets_a_plain_message(page):
    page.run()
    page.text_input(key="analytics_from").input("last tuesday").run()
    assert not page.exception
    assert "is not a date or time" in " ".join(e.value for e in page.error) + " ".join(m.value for m in page.markdown)


def test_filters_that_match_nothing_say_so(page):
    page.run()
    page.text_input(key="analytics_from").input("2100-01-01").run()
    assert not page.exception
    assert any("No events match" in i.value for i in page.info)


@pytest.fixture
def imported_page(tmp_path, monkeypatch):
    """The page on a store that holds nothing but an imported real log (no demo history)."""
    import streamlit as st
    from esengine import Engine
    from esengine.interchange.importer import import_file
    from tests.conftest import DATASETS
    db = tmp_path / "imported.duckdb"
    with Engine(db) as e:
        import_file(e, DATASETS / "roadtraffic100traces.csv")
    monkeypatch.setenv("ESENGINE_DB", str(db))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(PAGE, default_timeout=60)
    st.cache_resource.clear()


def legend(at, chart: int = 0) -> list[tuple[str, str]]:
    spec = json.loads(at.get("plotly_chart")[chart].proto.spec)
    return [(t["name"], t["marker"]["color"]) for t in spec["data"]]


def test_an_imported_log_in_an_empty_store_is_charted_over_its_own_years_with_every_type_named(imported_page):
    imported_page.run()
    assert not imported_page.exception
    assert "390 events from 2000-03-14 23:00 UTC to 2013-04-23 22:00 UTC" in captions(imported_page)
    entries = legend(imported_page)
    assert len(entries) == 10 and len({colour for _, colour in entries}) == 10
    assert "Create Fine" in dict(entries) and "other types" not in captions(imported_page)


def test_a_quick_span_fills_the_dates_from_the_end_of_the_data_not_of_the_calendar(imported_page):
    imported_page.run()
    imported_page.get("button_group")[0].set_value("the last year").run()
    assert imported_page.text_input(key="analytics_from").value == "2012-04-23T22:00Z"
    assert imported_page.query_params["from"] == "2012-04-23T22:00Z"
    assert "events from 2012-" in captions(imported_page) and "to 2013-04-23 22:00 UTC" in captions(imported_page)


def test_thirty_six_event_types_are_drawn_as_eleven_named_and_the_rest_together(page, app_env):
    from esengine import Engine
    from esengine.interchange.importer import import_file
    from tests.conftest import DATASETS
    with Engine(app_env) as e:
        import_file(e, DATASETS / "receipt.csv")
        assert e.store.cursor().execute("SELECT count(DISTINCT event_type) FROM events").fetchall()[0][0] == 36
    page.run()
    entries = legend(page)
    assert len(entries) == 12 and entries[-1] == ("25 other types", "#B0B0B0")
    assert len({colour for _, colour in entries}) == 12  # no colour repeats
    assert "25 least frequent event types are drawn together" in captions(page)
    assert "Most of this span holds no events" in captions(page)  # 2010 receipts beside 2026 orders
    page.get("button_group")[0].set_value("the last 30 days").run()
    assert "Most of this span holds no events" not in captions(page)


def test_the_address_bar_holds_the_analytics_view(page):
    page.run()
    page.multiselect(key="analytics_stream_type").set_value(["order"]).run()
    page.text_input(key="analytics_from").input("2026-05-01").run()
    page.selectbox(key="analytics_bin").set_value("week").run()
    assert dict(page.query_params) == {"stream_type": "order", "from": "2026-05-01", "bin": "week"}
