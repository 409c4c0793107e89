"""A real browser on the Projections page: rebuild a version with its progress, compare it, watch async lag drain."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app

pytestmark = pytest.mark.e2e


def test_rebuilding_version_2_and_comparing_it_with_version_1_in_the_browser(app_server, page):
    page.goto(f"{app_server}/projections?projection=orders")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    page.get_by_role("button", name="Rebuild").nth(1).click()
    expect(page.get_by_text("Version 2 of orders was rebuilt")).to_be_visible()
    expect(page.get_by_text("rebuilding: being rebuilt")).to_have_count(0)

    page.get_by_text("Compare two outputs").click()
    page.get_by_role("button", name="Compare").click()
    wait_for_app(page)
    expect(page.get_by_text("Changed cells per column: status_label")).to_be_visible()
    expect(page.get_by_text("right only: item_count, cancel_reason")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Shipped - TRK-\d+ → Shipped")).first).to_be_attached()  # grid cells are drawn on a canvas
    assert page.locator('[data-testid="stException"]').count() == 0


def test_orders_placed_show_in_the_async_read_model_once_the_worker_catches_up(app_server, page):
    page.goto(f"{app_server}/projections")
    wait_for_app(page)
    page.get_by_text("Eventual consistency").click()
    page.get_by_role("button", name="Place orders now").click()
    expect(page.get_by_text(re.compile(r"Placed 5 orders"))).to_be_visible()
    expect(page.get_by_text("Consistent: both read models agree.")).to_be_visible(timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
