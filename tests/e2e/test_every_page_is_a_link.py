"""Every page is a link: its own URL opens it on a first visit, and what a person set up on it is in the address
bar, so the URL opened in another browser shows the same thing."""
import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app
from ui.navigation import PAGES, url_path

pytestmark = pytest.mark.e2e
expect.set_options(timeout=60_000)  # the machine is shared: a redraw may wait for a core

# Remembers whether "Page not found" was ever on screen, also if the dialog flashed and went away again.
WATCH_NOT_FOUND = """window.__notFound = false;
new MutationObserver(() => { if ((document.body && document.body.innerText || '').includes('Page not found'))
  window.__notFound = true; }).observe(document, {subtree: true, childList: true, characterData: true});"""


def first_visit(browser, url: str):
    """A new browser context (no cookies, no session) opening ``url``."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.add_init_script(WATCH_NOT_FOUND)
    page.goto(url)
    wait_for_app(page)
    return page


def assert_shown_under_the_apps_navigation(page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    for _, other, _ in PAGES:  # the app's own titles, not Streamlit's names for files in pages/
        expect(nav.get_by_role("link", name=other, exact=True)).to_be_visible()
    assert not page.evaluate("window.__notFound"), "a 'Page not found' dialog was shown"
    assert page.locator('[data-testid="stException"]').count() == 0


# The first session of a fresh server is the special one (see ui/navigation.py). Every page calls the same guard
# first (tests/unit/test_pages.py checks that statically), so three pages stand for all: the default one, a form
# page and one whose URL carries state.
FIRST_VISITS = [(file, title) for file, title, _ in PAGES
                if file in ("pages/overview.py", "pages/commands.py", "pages/time_travel.py")]


@pytest.mark.parametrize("file, title", FIRST_VISITS)
def test_each_pages_own_url_opens_it_on_the_first_visit_to_a_fresh_server(app_server, browser, file, title):
    page = first_visit(browser, f"{app_server}/{url_path(file)}")
    heading = "Import and export" if title == "Import & export" else title
    assert_shown_under_the_apps_navigation(page, heading)
    page.context.close()


def test_each_pages_own_url_opens_it_for_later_visitors_too_and_the_root_opens_the_overview(app_server, browser):
    """The first session of a server is special (see ui/navigation.py); the room's other participants are not."""
    page = first_visit(browser, app_server)
    assert_shown_under_the_apps_navigation(page, "Overview")
    assert urlparse(page.url).path == "/overview"  # the root hands over to the page's own, shareable URL
    page.context.close()
    for file, title, _ in PAGES:
        page = first_visit(browser, f"{app_server}/{url_path(file)}")
        assert_shown_under_the_apps_navigation(page, "Import and export" if title == "Import & export" else title)
        assert urlparse(page.url).path == f"/{url_path(file)}"
        page.context.close()


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_the_event_browsers_filters_go_into_the_address_bar_and_a_bad_value_can_be_corrected(app_server, page, browser):
    page.add_init_script(WATCH_NOT_FOUND)
    page.goto(f"{app_server}/event_browser")
    wait_for_app(page)
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Event type").click()
    page.get_by_role("option", name="OrderShipped", exact=True).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"event_type=OrderShipped"))
    occurred_from = page.get_by_role("textbox", name="Occurred from (UTC)")
    occurred_from.fill("yesterday!")
    occurred_from.press("Enter")
    expect(page.get_by_text("Some filter fields cannot be read")).to_be_visible()
    expect(page.get_by_text("'yesterday!' is not a date or time")).to_be_visible()
    assert page.get_by_text("link", exact=False).filter(has_text="cannot be read").count() == 0
    occurred_from.fill("2026-05-25")
    occurred_from.press("Enter")
    count = page.get_by_text(re.compile(r"^[\d,]+ matching events"))
    expect(count).to_be_visible()
    expect(page.get_by_text("Something went wrong")).to_have_count(0)
    expect(page.get_by_text("Some filter fields cannot be read")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"from=2026-05-25"))
    page.get_by_role("tab", name="Swimlanes").click()  # the tab that lost its state after a bad value
    expect(page.get_by_text("Streams side by side")).to_be_visible()
    shown = count.inner_text()

    other = first_visit(browser, page.url)
    expect(other.get_by_role("textbox", name="Occurred from (UTC)")).to_have_value("2026-05-25")
    expect(other.locator('[data-testid="stMultiSelect"]').filter(has_text="Event type")).to_contain_text("OrderShipped")
    expect(other.get_by_text(shown)).to_be_visible()
    assert query(other) == query(page) == {"event_type": "OrderShipped", "from": "2026-05-25"}
    other.context.close()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_temporal_question_goes_into_the_address_bar_and_opens_with_its_answer(app_server, page, browser):
    page.goto(f"{app_server}/temporal_queries")
    wait_for_app(page)
    page.locator('[data-testid="stSelectbox"]:visible').filter(has_text="Stream type").first.click()
    page.get_by_role("option", name="order", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name="Show the state").click()
    answer = page.get_by_text(re.compile(r"^[\d,]+ streams as of "))
    expect(answer).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=as_of.*type=order.*at=\d{4}-\d\d-\d\dT\d\d(:|%3A)\d\dZ"))
    as_of = answer.inner_text()

    other = first_visit(browser, page.url)
    expect(other.get_by_text(as_of)).to_be_visible()
    expect(other.get_by_role("combobox", name="Stream type").first).to_have_value("order")
    other.context.close()

    page.get_by_role("tab", name="SQL console").click()
    sql = page.get_by_role("textbox", name="SQL")
    sql.fill("SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC LIMIT 3")
    sql.press("Control+Enter")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("3 rows.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=sql&sql=SELECT"))

    other = first_visit(browser, page.url)
    expect(other.get_by_role("tab", name="SQL console")).to_have_attribute("aria-selected", "true")
    expect(other.get_by_role("textbox", name="SQL")).to_have_value(re.compile("^SELECT event_type, count"))
    expect(other.get_by_text("3 rows.")).to_be_visible()
    other.context.close()


def test_time_travels_stream_and_version_go_into_the_address_bar_and_open_the_same_step(app_server, page, browser):
    page.goto(f"{app_server}/time_travel")
    wait_for_app(page)
    page.get_by_role("button", name="First").click()
    expect(page.get_by_role("heading", name=re.compile(r"^v0 · ")).first).to_be_visible()
    for version in (1, 2):
        page.get_by_role("button", name="Next").click()
        step = page.get_by_role("heading", name=re.compile(rf"^v{version} · ")).first
        expect(step).to_be_visible()
    expect(page).to_have_url(re.compile(r"stream=.+&version=2$"))
    stream, shown = query(page)["stream"], step.inner_text()

    other = first_visit(browser, page.url)
    expect(other.get_by_role("heading", name=shown, exact=True).first).to_be_visible()
    expect(other.get_by_role("combobox", name=re.compile("^Stream \\(most recently"))).to_have_value(stream)
    other.context.close()
