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
