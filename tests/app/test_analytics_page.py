"""The Analytics page draws its charts from the store and answers bad filters with plain messages."""
from __future__ import annotations

from pathlib import Path

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
