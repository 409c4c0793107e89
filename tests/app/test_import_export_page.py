"""The Import & export page, driven by Streamlit's AppTest (uploads are covered in tests/e2e)."""
from datetime import datetime

from esengine import Engine
from esengine.store.filters import EventFilter
from tests.conftest import app_test


def test_without_a_file_the_page_explains_what_it_recognises(app_env):
    at = app_test("pages/import_export.py").run()
    assert not at.exception
    assert any("case:concept:name" in i.value for i in at.info)


def test_a_link_with_browser_filters_prepares_an_export_of_the_matching_events(app_env):
    with Engine(app_env) as e:
        expected = e.store.count(EventFilter(stream_types=("order",), event_types=("OrderShipped",)))
    at = app_test("pages/import_export.py")
    at.query_params["stream_type"] = "order"
    at.query_params["event_type"] = "OrderShipped"
    at.run()
    assert not at.exception
    assert at.multiselect(key="ie_x_stream_types").value == ["order"]
    assert any(f"**{expected:,} events** match" in m.value for m in at.markdown)
    at.button(key="ie_x_prepare").click().run()
    assert not at.exception
    assert not at.error


def test_a_link_with_an_unreadable_filter_shows_a_plain_message(app_env):
    at = app_test("pages/import_export.py")
    at.query_params["from"] = "next tuesday"
    at.run()
    assert not at.exception
    assert any("filter fields cannot be read" in e.value for e in at.error)
    assert any("next tuesday" in m.value for m in at.markdown)


def test_a_links_time_filter_is_shown_and_applied(app_env):
    with Engine(app_env) as e:
        expected = e.store.count(EventFilter(occurred_from=datetime(2026, 5, 1)))
    at = app_test("pages/import_export.py")
    at.query_params["from"] = "2026-05-01"
    at.run()
    assert not at.exception
    assert any("occurred from 2026-05-01" in c.value for c in at.caption)
    assert any(f"**{expected:,} events** match" in m.value for m in at.markdown)


def test_an_xes_export_of_a_stream_is_offered_for_download(app_env):
    with Engine(app_env) as e:
        stream = e.store.stream_ids("order", limit=1)[0]
    at = app_test("pages/import_export.py")
    at.query_params["stream"] = stream
    at.run()
    at.radio(key="ie_x_format").set_value("xes").run()
    assert any("stream types, versions and metadata stay behind" in m.value for m in at.markdown)
    at.button(key="ie_x_prepare").click().run()
    assert not at.exception and not at.error
    assert at.get("download_button")[0].proto.label.startswith("Download")
