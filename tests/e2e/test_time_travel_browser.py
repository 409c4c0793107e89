"""A real browser on the Time travel page: move the slider over a 10k-event stream, read the state and the diff.

The time a slider step takes to redraw is measured and printed (reported, not asserted).
"""
import json
import re
import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from esengine import Engine
from esengine.domains.orders.samples import repriced_product
from tests.conftest import wait_for_app

pytestmark = pytest.mark.e2e
expect.set_options(timeout=30_000)  # the machine is shared: a redraw may wait for a core
CHANGES = 10_000  # the product has CHANGES + 1 events
LONG_STREAM: dict[str, str] = {}  # the product's id, read before the app locks the file


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    """The demo copy the app serves (overrides conftest's), plus a product repriced 10,000 times."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    with Engine(target) as engine:
        LONG_STREAM["product"] = repriced_product(engine, CHANGES)
    return target


def heading(page):
    # .first: while the page reruns (Play starts its timer) the old heading may show, faded, for a moment
    return page.get_by_role("heading", name=re.compile(r"^v\d+ · ")).first


def test_moving_the_slider_steps_through_a_long_stream_showing_each_state_and_diff(app_server, page, demo_copy):
    product = LONG_STREAM["product"]
    page.goto(f"{app_server}/time_travel?stream={product}&version=5000")
    wait_for_app(page)
    expect(heading(page)).to_have_text(f"v5000 · ProductPriceChanged of {CHANGES + 1}")
    expect(page.get_by_text("snapshot at v4980 + 20 events")).to_be_visible()
    expect(page.locator("tr", has_text="price").first).to_contain_text("19.99")  # change 4,999: 10 + 9.99

    thumb = page.get_by_role("slider", name="Version")
    thumb.focus()
    timings = []
    for expected in (5001, 5002, 5003):
        started = time.perf_counter()
        page.keyboard.press("ArrowRight")
        # polled on every animation frame, so the figure is the redraw, not expect()'s back-off interval
        page.wait_for_function("(text) => [...document.querySelectorAll('h1,h2,h3')].some(h => h.textContent"
                               ".startsWith(text))", arg=f"v{expected} · ProductPriceChanged", polling="raf")
        timings.append(time.perf_counter() - started)
        expect(heading(page)).to_have_text(f"v{expected} · ProductPriceChanged of {CHANGES + 1}")
    print(f"\nslider step on a {CHANGES + 1:,}-event stream redrawn in "
          + ", ".join(f"{t * 1000:.0f} ms" for t in timings))

    # v5003 (change 5,002) set the price from 10.01 to 10.02: the state and the diff say so
    expect(page.get_by_text("snapshot at v5000 + 3 events")).to_be_visible()
    diff = page.locator("table").filter(has_text="changed by")
    expect(diff).to_contain_text("price")
    expect(diff).to_contain_text("10.01")
    expect(diff).to_contain_text("10.02")
    expect(diff).to_contain_text("v5003 ProductPriceChanged")
    expect(page).to_have_url(re.compile(r"version=5003"))
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_buttons_and_a_bad_link_work_in_the_browser(app_server, page, demo_copy):
    product = LONG_STREAM["product"]
    page.goto(f"{app_server}/time_travel?stream={product}&version=99999")
    wait_for_app(page)
    expect(page.get_by_text("so there is no version 99999")).to_be_visible()
    expect(heading(page)).to_have_text(f"v{CHANGES + 1} · ProductPriceChanged of {CHANGES + 1}")
    page.get_by_role("button", name="First").click()
    expect(heading(page)).to_have_text(f"v0 · before the first event of {CHANGES + 1}")
    page.get_by_role("button", name="Next").click()
    expect(heading(page)).to_have_text(f"v1 · ProductAdded of {CHANGES + 1}")
    expect(page.locator("table").filter(has_text="changed by")).to_contain_text("Long-lived espresso")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this as a test fixture").click()
    fixture = json.loads(Path(download.value.path()).read_text())
    assert fixture["when"]["event_type"] == "ProductAdded" and fixture["then"]["state"]["price"] == 10.0
    page.get_by_role("button", name="Play").click()  # steps on by itself, one event every 0.8 s
    expect(heading(page)).to_have_text(re.compile(r"^v[3-9] · ProductPriceChanged"))
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("heading", name=re.compile(r"^v\d+ · "))).to_have_count(1)
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0
