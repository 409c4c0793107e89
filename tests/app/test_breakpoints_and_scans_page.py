"""Breakpoints on the Time travel page and the Scan tab of Temporal queries, through AppTest."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from esengine import Engine

PAGES = Path(__file__).resolve().parents[2] / "pages"


@pytest.fixture
def order(app_env):
    """A shipped order of the demo copy and the versions of its payment and shipment."""
    with Engine(app_env) as engine:
        rows = engine.store.cursor().execute(
            "SELECT stream_id, list(version ORDER BY version) FILTER (event_type = 'PaymentReceived'), "
            "list(version ORDER BY version) FILTER (event_type = 'OrderShipped') FROM events "
            "WHERE stream_type = 'order' GROUP BY 1 HAVING count(*) FILTER (event_type = 'OrderShipped') = 1 "
            "ORDER BY 1 LIMIT 1").fetchall()[0]
    return {"id": rows[0], "paid": rows[1][0], "shipped": rows[2][0]}


def open_page(name: str, **params) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def test_a_link_with_a_breakpoint_lands_where_the_condition_becomes_true(order):
    at = open_page("time_travel.py", stream=order["id"], until='status == "paid"')
    assert not at.exception
    assert at.subheader[0].value.startswith(f"v{order['paid']} · PaymentReceived")
    assert "made true by PaymentReceived" in at.success[0].value


def test_next_and_previous_run_the_cursor_between_the_versions_where_it_becomes_true(order):
    at = open_page("time_travel.py", stream=order["id"], version=0)
    at.text_input(key="tt_until").input('status == "shipped" or status == "paid"').run()
    at.button(key="tt_run_next").click().run()
    assert at.subheader[0].value.startswith(f"v{order['paid']} ")
    at.button(key="tt_run_next").click().run()  # still true at the shipment, but it did not *become* true there
    assert at.subheader[0].value.startswith(f"v{order['paid']} ") and "never becomes true" in at.info[0].value
    at.text_input(key="tt_until").input("status = 'shipped'").run()
    at.button(key="tt_run_next").click().run()
    assert at.subheader[0].value.startswith(f"v{order['shipped']} ")
    at.text_input(key="tt_until").input("status == 'shipped' and").run()
    at.button(key="tt_run_previous").click().run()
    assert not at.exception and "could not be read" in at.error[0].value
    assert "at position 24: expected a field name" in "".join(m.value for m in at.markdown)
    assert at.subheader[0].value.startswith(f"v{order['shipped']} ")  # a refusal leaves the cursor where it was


def test_a_scan_link_shows_every_stream_where_it_held_linked_into_time_travel(order):
    at = open_page("temporal_queries.py", q="scan", scan_type="order", condition="amount > 0")
    assert not at.exception
    hits = next(d.value for d in at.dataframe if "first_version" in d.value.columns)
    row = hits[hits["stream_id"] == order["id"]].iloc[0]
    assert row["first_version"] == order["paid"] and row["event_type"] == "PaymentReceived"
    assert row["open"] == f"time_travel?stream={order['id']}&version={order['paid']}&until=amount+%3E+0"
