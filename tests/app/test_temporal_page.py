"""The Temporal queries page: state as of a moment, changes between two moments, a field's history, and SQL."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "temporal_queries.py")


def query(db, sql: str, params=()):
    """Ask the store the page uses (the engine the app caches for ``db``)."""
    from ui.engine import get_engine
    return get_engine().store.cursor().execute(sql, list(params)).fetchall()


@pytest.fixture
def page(app_env):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def set_moment(at, key: str, moment: datetime) -> None:
    at.date_input(key=f"{key}_date").set_value(moment.date())
    at.time_input(key=f"{key}_time").set_value(moment.time().replace(second=0, microsecond=0))


def messages(at) -> str:
    return " ".join(e.value for e in [*at.error, *at.info, *at.warning])


def test_the_state_of_every_order_as_of_a_moment_lists_the_orders_that_existed_then(page, app_env):
    middle = query(app_env, "SELECT quantile_disc(occurred_at, 0.5) FROM events")[0][0].replace(second=0, microsecond=0)
    expected = query(app_env, "SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'order' "
                              "AND occurred_at <= ?", [middle])[0][0]
    page.selectbox(key="temporal_asof_type").set_value("order")
    set_moment(page, "temporal_asof_at", middle)
    page.button(key="temporal_asof_run").click().run()
    assert not page.exception and not page.error
    table = page.dataframe[0].value
    assert f"**{expected:,} streams** as of" in " ".join(m.value for m in page.markdown)
    assert {"stream_id", "version", "last_event_type", "state.total"} <= set(table.columns)


def test_the_orders_read_model_as_it_was_can_be_shown_instead(page, app_env):
    page.selectbox(key="temporal_asof_type").set_value("order").run()
    page.toggle(key="temporal_asof_model").set_value(True)
    page.button(key="temporal_asof_run").click().run()
    assert not page.exception and not page.error
    assert {"status", "status_label", "customer_name"} <= set(page.dataframe[0].value.columns)


def test_a_moment_before_the_history_gets_a_plain_message(page, app_env):
    first = query(app_env, "SELECT min(occurred_at) FROM events")[0][0]
    page.selectbox(key="temporal_asof_type").set_value("customer")
    set_moment(page, "temporal_asof_at", datetime.combine(first.date(), datetime.min.time()))
    first_customer = query(app_env, "SELECT min(occurred_at) FROM events WHERE stream_type = 'customer'")[0][0]
    page.button(key="temporal_asof_run").click().run()
    assert not page.exception
    if first_customer > datetime.combine(first.date(), datetime.min.time()):
        assert "before the history starts" in messages(page)


def test_changes_between_two_moments_count_created_changed_and_finished_streams(page, app_env):
    start, end = (query(app_env, f"SELECT quantile_disc(occurred_at, {q}) FROM events")[0][0].replace(
        second=0, microsecond=0) for q in (0.4, 0.6))
    created = query(app_env, "SELECT count(*) FROM events WHERE version = 1 AND occurred_at > ? AND occurred_at <= ?",
                    [start, end])[0][0]
    page.selectbox(key="temporal_between_type").set_value("(all)")
    set_moment(page, "temporal_between_start", start)
    set_moment(page, "temporal_between_end", end)
    page.button(key="temporal_between_run").click().run()
    assert not page.exception and not page.error
    titles = [s.value for s in page.subheader]
    assert f"Created: {created:,}" in titles
    assert any(t.startswith("Changed: ") for t in titles) and any(t.startswith("Reached a final state: ") for t in titles)


def test_the_second_moment_before_the_first_gets_a_plain_message(page, app_env):
    last = query(app_env, "SELECT max(occurred_at) FROM events")[0][0]
    set_moment(page, "temporal_between_start", last)
    set_moment(page, "temporal_between_end", last - timedelta(days=3))
    page.button(key="temporal_between_run").click().run()
    assert not page.exception
    assert "must come after" in messages(page)


def test_the_history_of_a_products_price_is_listed(page, app_env):
    page.selectbox(key="temporal_field_type").set_value("product").run()
    page.multiselect(key="temporal_field_names").set_value(["price", "new_price"]).run()
    assert not page.exception and not page.error
    table = page.dataframe[0].value
    products = query(app_env, "SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'product'")[0][0]
    assert table["stream_id"].nunique() == products and len(table) > products


def test_an_example_query_runs_in_the_console_and_shows_its_result(page, app_env):
    page.selectbox(key="temporal_sql_example").set_value("Events per type").run()
    page.button(key="temporal_sql_run").click().run()
    assert not page.exception and not page.error
    table = page.dataframe[0].value
    assert int(table["events"].sum()) == query(app_env, "SELECT count(*) FROM events")[0][0]


def test_the_console_refuses_a_write_with_a_message_and_changes_nothing(page, app_env):
    before = query(app_env, "SELECT count(*) FROM events")[0][0]
    page.text_area(key="temporal_sql_text").input("DELETE FROM events")
    page.button(key="temporal_sql_run").click().run()
    assert not page.exception
    assert "Only reading queries" in messages(page)
    assert query(app_env, "SELECT count(*) FROM events")[0][0] == before


def opened(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update(params)
    at.run()
    assert not at.exception
    return at


def test_the_address_bar_holds_the_open_question_as_it_changes(page, app_env):
    page.selectbox(key="temporal_asof_type").set_value("order")
    set_moment(page, "temporal_asof_at", datetime(2026, 5, 1, 9, 30))
    page.radio(key="temporal_asof_clock").set_value("recorded_at").run()
    assert dict(page.query_params) == {"q": "as_of", "type": "order", "at": "2026-05-01T09:30Z", "clock": "recorded_at"}


def test_a_link_to_an_as_of_question_fills_the_form_and_shows_the_answer(app_env):
    at = opened(q="as_of", type="order", at="2026-05-01T09:30Z")
    assert at.selectbox(key="temporal_asof_type").value == "order"
    assert at.date_input(key="temporal_asof_at_date").value.isoformat() == "2026-05-01"
    assert "streams** as of 2026-05-01 09:30 UTC" in " ".join(m.value for m in at.markdown)
    assert dict(at.query_params) == {"q": "as_of", "type": "order", "at": "2026-05-01T09:30Z"}


def test_a_link_to_a_console_query_opens_the_console_with_its_result(app_env):
    at = opened(q="sql", sql="SELECT count(*) AS n FROM events")
    assert at.session_state["temporal_tab"] == "SQL console"
    assert at.text_area(key="temporal_sql_text").value == "SELECT count(*) AS n FROM events"
    assert at.dataframe[0].value["n"].iloc[0] == query(app_env, "SELECT count(*) FROM events")[0][0]
    assert dict(at.query_params) == {"q": "sql", "sql": "SELECT count(*) AS n FROM events"}


def test_a_link_to_a_field_history_lists_it(app_env):
    at = opened(q="field", field_type="product", fields="price,new_price")
    assert at.multiselect(key="temporal_field_names").value == ["price", "new_price"]
    assert len(at.dataframe[0].value) > 0


@pytest.mark.parametrize("params", [{"q": "nowhere"}, {"q": "as_of", "at": "soon"}, {"q": "as_of", "type": "ghost"},
                                    {"q": "as_of", "at": "1999-01-01T00:00Z"}, {"q": "field", "fields": "nope"}])
def test_a_link_with_values_the_page_cannot_use_still_opens_the_page(app_env, params):
    at = opened(**params)
    assert at.title[0].value == "Temporal queries"
    # a moment before the history is moved to its start, which may still precede the chosen type's first stream
    assert all("before the history starts" in e.value for e in at.error)
