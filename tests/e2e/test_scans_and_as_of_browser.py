"""A real browser: run to a breakpoint, follow a scan's hit into time travel, ask the console for a table AS OF."""
import re

import duckdb
import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app
from tests.e2e.test_temporal_and_analytics_pages import dismiss_page_not_found

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # the machine is shared: a redraw may wait for a core


def ask(demo_db, sql: str) -> list:
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def heading(page):
    return page.get_by_role("heading", name=re.compile(r"^v\d+ · ")).first


def run_forward(page) -> None:
    """Press *Run forward until true* once the redraw after the condition has settled: while a fragment reruns,
    Streamlit may show the old button beside the new one for a moment (a person waits for the page too)."""
    button = page.get_by_role("button", name="Run forward until true")
    expect(button).to_have_count(1)
    expect(button).to_be_enabled()
    button.click()


def test_a_breakpoint_runs_the_cursor_to_where_the_condition_becomes_true(demo_db, app_server, page):
    order, paid = ask(demo_db, "SELECT stream_id, version FROM events WHERE event_type = 'PaymentReceived' "
                               "ORDER BY position LIMIT 1")[0]
    page.goto(f"{app_server}/time_travel?stream={order}&version=0")
    wait_for_app(page)
    expect(heading(page)).to_contain_text("v0 · before the first event")
    field = page.get_by_role("textbox", name="Run until (a condition on the state)")
    field.fill("status == 'paid' and")  # a slip first: refused in plain words, the cursor stays
    field.press("Enter")
    wait_for_app(page)
    run_forward(page)
    expect(page.get_by_text("at position 21: expected a field name")).to_be_visible()
    expect(heading(page)).to_contain_text("v0 · ")
    field.fill("status == 'paid'")
    field.press("Enter")
    wait_for_app(page)
    run_forward(page)
    expect(heading(page)).to_contain_text(f"v{paid} · PaymentReceived")
    expect(page.get_by_text("made true by PaymentReceived")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"version={paid}&until=status"))


def test_a_scan_hit_opens_time_travel_and_the_console_answers_a_table_as_of_a_moment(demo_db, app_server, page):
    page.goto(f"{app_server}/temporal_queries")
    wait_for_app(page)
    dismiss_page_not_found(page)
    page.get_by_role("tab", name="Scan every history").click()
    page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="Stream type").first.click()
    page.get_by_role("option", name="order", exact=True).click()
    wait_for_app(page)
    condition = page.get_by_role("textbox", name="Condition")
    condition.fill("len(items) >= 3 and total > 200")
    condition.press("Enter")
    page.get_by_role("button", name="Scan every history").click()
    expect(page.get_by_text(re.compile(r"^\d[\d,]* order streams"))).to_be_visible()
    first = page.get_by_role("link", name=re.compile(r"^order-\S+ v\d+$")).first
    stream, version = first.inner_text().rsplit(" v", 1)
    with page.expect_popup() as opened:  # a link of the app opens in a new tab
        first.click()
    travel = opened.value
    wait_for_app(travel)
    expect(heading(travel)).to_contain_text(f"v{version} · ")
    expect(travel.get_by_role("textbox", name="Run until (a condition on the state)")).to_have_value(
        "len(items) >= 3 and total > 200")
    expect(travel).to_have_url(re.compile(rf"stream={stream}&version={version}&until="))

    moment = ask(demo_db, "SELECT quantile_disc(occurred_at, 0.5) FROM events")[0][0]
    orders_then = ask(demo_db, "SELECT count(DISTINCT stream_id) FROM events WHERE event_type = 'OrderCreated' "
                               f"AND occurred_at <= '{moment}'")[0][0]
    page.get_by_role("tab", name="SQL console").click()
    sql = page.get_by_role("textbox", name="SQL")
    sql.fill(f"SELECT count(*) || ' orders then' AS answer FROM orders FOR VALID_TIME AS OF '{moment:%Y-%m-%d %H:%M:%S.%f}'")
    sql.press("Control+Enter")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("td[role=gridcell]", has_text=f"{orders_then} orders then")).to_be_attached()  # a canvas grid
    sql.fill("SELECT * FROM orders FOR VALID_TIME AS OF 'last tuesday'")
    sql.press("Control+Enter")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("is not a date and time")).to_be_visible()
