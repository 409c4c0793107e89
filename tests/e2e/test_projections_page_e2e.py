"""A real browser on the Projections page: rebuild a version with its progress, compare it, watch two read models meet."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app

pytestmark = pytest.mark.e2e
PASSPHRASE = "correct horse"


@pytest.fixture
def facilitator_server(monkeypatch, request):
    """The app, started with a facilitator's passphrase."""
    monkeypatch.setenv("ESENGINE_FACILITATOR_PASSPHRASE", PASSPHRASE)
    return request.getfixturevalue("app_server")


def metric(page, label: str) -> int:
    """The number a metric shows (its value, without thousands separators)."""
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return int(box.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_rebuilding_version_2_and_comparing_it_with_version_1_in_the_browser(facilitator_server, page):
    page.goto(f"{facilitator_server}/projections?projection=orders")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible(timeout=60_000)  # a first visit may rerun once
    expect(page.get_by_role("button", name="Rebuild").nth(1)).to_be_disabled()  # not before the passphrase
    page.get_by_label("Facilitator's passphrase").fill(PASSPHRASE)
    page.get_by_label("Facilitator's passphrase").press("Enter")
    expect(page.get_by_text("Facilitator actions are unlocked in this browser tab.")).to_be_visible()
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


def test_the_two_consistency_figures_meet_once_the_slowed_worker_catches_up(app_server, page):
    page.goto(f"{app_server}/projections")
    wait_for_app(page)
    expect(page.get_by_text("Eventual consistency")).to_be_visible(timeout=60_000)  # a first visit may rerun once
    page.get_by_text("Eventual consistency").click()
    expect(page.get_by_text("Consistent: both read models agree.")).to_be_visible()
    before = metric(page, "Units ever ordered: orders")
    assert metric(page, "Same count in daily_sales") == before
    page.get_by_text("Slow: one event every 2 s").click()
    wait_for_app(page)
    page.get_by_label("Orders to place").fill("3")
    page.get_by_label("Orders to place").press("Enter")
    page.get_by_role("button", name="Place orders now").click()
    expect(page.get_by_text(re.compile(r"Placed 3 orders"))).to_be_visible()
    # the inline read model has the new units at once; the slowed worker leaves a visible lag
    expect(page.get_by_text(re.compile(r"Not yet consistent: daily_sales has \d+ event"))).to_be_visible()
    assert metric(page, "daily_sales lag (events)") > 0
    assert metric(page, "Units ever ordered: orders") > before
    assert metric(page, "Same count in daily_sales") < metric(page, "Units ever ordered: orders")
    # the live view redraws by itself until the two figures meet
    expect(page.get_by_text("Consistent: both read models agree.")).to_be_visible(timeout=60_000)
    assert metric(page, "Same count in daily_sales") == metric(page, "Units ever ordered: orders") > before
    assert metric(page, "daily_sales lag (events)") == 0
    assert page.locator('[data-testid="stException"]').count() == 0
