"""A real browser draws the volume chart, follows a bar to its events, and runs an as-of query."""
import re

import duckdb
import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def order_streams(demo_db) -> int:
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        return con.execute("SELECT count(DISTINCT stream_id) FROM events WHERE stream_type = 'order'").fetchall()[0][0]
    finally:
        con.close()


def dismiss_page_not_found(page) -> None:
    """Streamlit may flash "Page not found" when a url path differs from the page's file name, before
    st.navigation resolves it (the page itself is then drawn); the dialog would block the clicks."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)


def test_the_volume_chart_is_drawn_and_a_bar_opens_its_events_in_the_browser(app_server, page):
    page.goto(f"{app_server}/analytics")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Event volume over time")).to_be_visible(timeout=60_000)
    bars = page.locator('[data-testid="stPlotlyChart"]').first.locator(".barlayer .point")
    expect(bars.first).to_be_visible(timeout=60_000)
    assert bars.count() > 10
    boxes = [b for b in (bars.nth(i).bounding_box() for i in range(min(bars.count(), 60))) if b]
    box = max(boxes, key=lambda b: b["height"])  # the plot's drag layer lies on top: click where a bar is drawn
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = page.get_by_role("link", name=re.compile(r"Open the \d[\d,]* \w+ events of the \w+ from .* in the event browser"))
    expect(link).to_be_visible(timeout=60_000)
    count = int(re.search(r"Open the ([\d,]+) ", link.inner_text()).group(1).replace(",", ""))
    with page.context.expect_page() as opened:  # Streamlit opens markdown links in a new tab
        link.click()
    events = opened.value
    expect(events).to_have_url(re.compile(r"/event_browser\?.*event_type=.*from=.*to="))
    wait_for_app(events)
    expect(events.get_by_text(f"{count:,} matching events", exact=False)).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert events.locator('[data-testid="stException"]').count() == 0


def test_an_as_of_query_shows_the_state_of_every_order(demo_db, app_server, page):
    page.goto(f"{app_server}/temporal_queries")
    wait_for_app(page)
    dismiss_page_not_found(page)
    page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="Stream type").first.click()
    page.get_by_role("option", name="order", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Show the state").click()
    expected = order_streams(demo_db)
    expect(page.get_by_text(f"{expected:,} streams", exact=False)).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Download as CSV").first).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
