"""A real browser: send a command through a form, follow its link to the event browser; open deep links."""
import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import expect

from tests.conftest import settle, wait_for_app

pytestmark = pytest.mark.e2e


def open_page(page, url, heading):
    """Go to ``url`` and wait until its page has drawn its heading and finished running."""
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=120_000)
    wait_for_app(page)


def close_page_not_found(page):
    """Streamlit sometimes greets a first deep link with a "Page not found" dialog although the page is
    drawn (see the report); close it so that it does not cover the buttons."""
    if page.get_by_text("Page not found").is_visible():
        page.get_by_role("dialog").get_by_role("button").first.click()
        expect(page.get_by_text("Page not found")).to_have_count(0)


def test_a_command_sent_through_a_form_is_found_in_the_event_browser_by_its_link(app_server, page):
    open_page(page, f"{app_server}/commands", "Commands")
    expect(page.get_by_role("heading", name="Register a customer")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Playwright Pia")
    page.get_by_label("Email", exact=True).fill("pia@example.com")
    page.get_by_role("button", name="Send the command").click()
    expect(page.get_by_text("Register a customer: accepted.")).to_be_visible()
    link = page.get_by_role("link", name=re.compile(r"Open CustomerRegistered \(position \d+\) in the event browser"))
    position = re.search(r"position (\d+)", link.inner_text()).group(1)
    with page.context.expect_page() as opened:  # Streamlit opens markdown links in a new tab
        link.click()
    events = opened.value
    expect(events).to_have_url(re.compile(rf"/event_browser\?event={position}$"))
    wait_for_app(events)
    expect(events.get_by_role("heading", name=f"Event {position}: CustomerRegistered")).to_be_visible()
    expect(events.get_by_text('"Playwright Pia"')).to_be_visible()
    assert events.locator('[data-testid="stException"]').count() == 0


def first_shipment(demo_db):
    """An OrderShipped event of the demo history (the app's copy holds the same events)."""
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        return con.execute("SELECT position, stream_id, version FROM events WHERE event_type = 'OrderShipped' "
                           "ORDER BY position LIMIT 1").fetchall()[0]
    finally:
        con.close()


def test_a_deep_link_to_an_event_opens_its_detail_and_causation_tree(demo_db, app_server, page):
    position, stream_id, version = first_shipment(demo_db)
    open_page(page, f"{app_server}/event_browser?event={position}", "Event browser")
    expect(page.get_by_role("heading", name=f"Event {position}: OrderShipped")).to_be_visible()
    expect(page.get_by_text("this event", exact=False).first).to_be_visible()
    time_travel = page.get_by_role("link", name=f"Time travel: {stream_id} at version {version}")
    expect(time_travel).to_have_attribute("href", re.compile(rf"time_travel\?stream={stream_id}&version={version}"))
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_deep_link_with_a_filter_set_shows_only_matching_events(app_server, page):
    open_page(page, f"{app_server}/event_browser?event_type=OrderCancelled&stream=order-*", "Event browser")
    expect(page.get_by_label("Stream", exact=True)).to_have_value("order-*")
    expect(page.get_by_text(re.compile(r"[\d,]+ matching events"))).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_deep_link_to_a_missing_event_says_so_plainly(app_server, page):
    open_page(page, f"{app_server}/event_browser?event=987654321", "Event browser")
    expect(page.get_by_text("There is no event with position 987654321.")).to_be_visible()


def test_the_filtered_events_download_as_csv_and_json_lines(app_server, page):
    open_page(page, f"{app_server}/event_browser?event_type=OrderCancelled", "Event browser")
    close_page_not_found(page)
    expect(page.get_by_text(re.compile(r"[\d,]+ matching events"))).to_be_visible()
    count = int(re.search(r"([\d,]+) matching", page.get_by_text(re.compile(r"matching events")).inner_text())
                .group(1).replace(",", ""))
    for label, name in (("Export the filtered events as CSV", "events.csv"), ("… as JSON lines", "events.jsonl")):
        settle(page)  # a click on a button that a rerun is replacing is lost: a person clicks what is there
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        assert download.value.suggested_filename == name
        lines = [line for line in Path(download.value.path()).read_text(encoding="utf-8").splitlines() if line]
        body = lines[1:] if name.endswith(".csv") else lines
        assert len(body) == count and all("OrderCancelled" in line for line in body)
    for _ in range(2):  # at once again, as a person whose file went astray does: the page must not be busy with it
        with page.expect_download() as again:
            page.get_by_role("button", name="Export the filtered events as CSV").click()
        assert again.value.suggested_filename == "events.csv"
    expect(page.get_by_test_id("stDownloadButtonError")).to_have_count(0)


def test_selecting_a_row_of_the_events_table_opens_that_event(app_server, page):
    open_page(page, f"{app_server}/event_browser?event_type=OrderShipped", "Event browser")
    close_page_not_found(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 52)  # the first row's selection box, left of the position
    expect(page.get_by_role("heading", name=re.compile(r"Event \d+: OrderShipped"))).to_be_visible()
    expect(page.get_by_text("What happened in correlation")).to_be_visible()
