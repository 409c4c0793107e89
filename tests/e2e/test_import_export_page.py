"""A real browser uploads a real event log, imports it, follows the links, and downloads an export."""
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import DATASETS, wait_for_app

pytestmark = pytest.mark.e2e


def test_uploading_an_xes_log_previews_recognises_and_imports_it(app_server, page):
    page.goto(app_server + "/import_export")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(DATASETS / "running-example.csv"))
    expect(page.get_by_text("Recognised as an XES event log")).to_be_visible()
    expect(page.get_by_text("the first 20 rows, 9 columns")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile(r"Imported 42 events in 6 streams \(8 event types\)"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Time-travel through stream")).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/time_travel\?stream="))
    assert page.locator('[data-testid="stException"]').count() == 0


def test_importing_the_same_log_twice_shows_a_plain_refusal(app_server, page):
    page.goto(app_server + "/import_export")
    wait_for_app(page)
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploader.set_input_files(str(DATASETS / "running-example.csv"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile("Imported 42 events"))).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile("already in the store"))).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_filtered_export_downloads_cloudevents(app_server, page):
    page.goto(app_server + "/import_export?stream_type=order&event_type=OrderShipped")
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"[\d,]+ events match"))).to_be_visible()
    page.get_by_role("button", name="Prepare the file").click()
    download_button = page.get_by_role("button", name=re.compile("Download"))
    with page.expect_download() as info:
        download_button.click()
    lines = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines and {json.loads(line)["type"] for line in lines} == {"OrderShipped"}


def test_uploading_an_eventsourcing_database_recognises_and_imports_its_streams(app_server, page, tmp_path):
    pytest.importorskip("eventsourcing")
    from tests.integration.test_peer_stores import _school
    (fido, _), _ = _school(tmp_path / "school.sqlite")
    page.goto(app_server + "/import_export")
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(tmp_path / "school.sqlite"))
    expect(page.get_by_text("Recognised as the stored events of an eventsourcing application")).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile(r"Imported 5 events in 2 streams \(2 event types\)"))).to_be_visible()
    page.get_by_role("link", name=f"Time-travel through stream {fido.hex}").click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(rf"/time_travel\?stream={fido.hex}"))
    assert page.locator('[data-testid="stException"]').count() == 0
