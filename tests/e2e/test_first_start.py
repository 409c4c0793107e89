"""A real browser against a real `streamlit run app.py`: the first start and the Overview."""
import os
import re
import subprocess
import sys
import urllib.request
import time

import pytest
from playwright.sync_api import expect

from tests.conftest import ROOT, _free_port

pytestmark = pytest.mark.e2e


def test_the_first_start_creates_a_demo_database_and_opens_on_it(tmp_path, page):
    db = tmp_path / "fresh" / "explorer.duckdb"
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=ROOT, env=dict(os.environ, ESENGINE_DB=str(db)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.3)  # polling for the port to open
        page.goto(f"http://127.0.0.1:{port}/")
        expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=120_000)
        events = page.locator('[data-testid="stMetric"]').filter(has_text="Events").first
        expect(events).to_contain_text(re.compile(r"\d{1,3},\d{3}"), timeout=60_000)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("explorer.duckdb")
        assert db.exists() and page.locator('[data-testid="stException"]').count() == 0
    finally:
        proc.terminate()
        proc.wait(15)


def test_a_deep_link_as_the_first_visit_to_a_new_server_opens_under_the_apps_navigation(app_server, page):
    page.goto(f"{app_server}/event_browser?event=5")
    expect(page.get_by_role("heading", name="Event browser")).to_be_visible(timeout=120_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("Database", timeout=60_000)
    expect(sidebar.get_by_role("link", name="Temporal queries")).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
