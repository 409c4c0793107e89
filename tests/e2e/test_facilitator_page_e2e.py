"""A real browser on the Facilitator page: the room's commands live, a participant locked out, an empty store."""
import pytest
from playwright.sync_api import expect

from tests.conftest import settle, wait_for_app
from tests.e2e import test_projections_page_e2e
from tests.e2e.test_projections_page_e2e import PASSPHRASE, metric

facilitator_server = test_projections_page_e2e.facilitator_server  # the fixture, shared with that module

pytestmark = pytest.mark.e2e


def test_the_feed_shows_a_participants_command_without_a_reload(facilitator_server, browser, page):
    page.goto(f"{facilitator_server}/facilitator")
    wait_for_app(page)
    expect(page.get_by_text("No command yet since")).to_be_visible(timeout=60_000)  # a first visit may rerun once
    participant = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    participant.goto(f"{facilitator_server}/projections")
    wait_for_app(participant)
    expect(participant.get_by_text("Eventual consistency")).to_be_visible(timeout=60_000)
    participant.get_by_text("Eventual consistency").click()
    participant.get_by_role("button", name="Place orders now").click()
    expect(participant.get_by_text("Placed 5 orders")).to_be_visible()
    participant.context.close()
    expect(page.get_by_text("The newest 5 commands: 5 accepted, 0 refused.")).to_be_visible(timeout=20_000)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_participant_with_a_crafted_url_cannot_empty_the_store(facilitator_server, page):
    page.goto(f"{facilitator_server}/facilitator?passphrase={PASSPHRASE}&room_passphrase={PASSPHRASE}"
              "&room_choice=empty&room_confirm=true&reset=1")
    wait_for_app(page)
    expect(page.get_by_text("Replace it with")).to_be_visible(timeout=60_000)
    events = metric(page, "Events")
    page.get_by_text("An empty store, for importing").click()
    page.get_by_text("Yes, replace").click()
    page.get_by_role("button", name="Replace the database").click()
    expect(page.get_by_text("Only the facilitator may start an empty store")).to_be_visible()
    assert metric(page, "Events") == events > 0


def test_the_facilitator_starts_an_empty_store_after_a_wrong_passphrase(facilitator_server, page):
    page.goto(f"{facilitator_server}/facilitator")
    wait_for_app(page)
    expect(page.get_by_text("Replace it with")).to_be_visible(timeout=60_000)
    events = metric(page, "Events")
    box = page.get_by_label("Facilitator's passphrase")
    box.fill("a guess")
    box.press("Enter")
    expect(page.get_by_text("That is not the passphrase")).to_be_visible()
    page.get_by_text("An empty store, for importing").click()
    page.get_by_text("Yes, replace").click()
    page.get_by_role("button", name="Replace the database").click()
    expect(page.get_by_text("Only the facilitator may start an empty store")).to_be_visible()
    assert metric(page, "Events") == events
    box.fill(PASSPHRASE)
    box.press("Enter")
    expect(page.get_by_text("Facilitator actions are unlocked in this browser tab.")).to_be_visible()
    settle(page)  # the unlocking rerun redraws the form too: a person picks from what is there when it is done
    page.get_by_text("An empty store, for importing").click()
    page.get_by_text("Yes, replace").click()
    page.get_by_role("button", name="Replace the database").click()
    expect(page.get_by_text("The room now has an empty store (0 events).")).to_be_visible()
    assert metric(page, "Events") == 0
    page.goto(f"{facilitator_server}/overview")  # another page of the app sees the new database too
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
