"""The guide's domain (docs/your-own-domain.md), from a folder outside the project, in the app through Chromium:
its forms on the Commands page, a ticket picked from the list, a bad value refused in plain words and fixed,
sent twice in a row, closed, and a rule of the domain refusing."""
import re
import sys

import pytest
from playwright.sync_api import expect

from esengine import Engine
from tests.conftest import serve_app
from tests.e2e.test_commands_workshop_journeys import (choose_command, diagram, open_commands, pick, press_send,
                                                       said, send)
from tests.fixtures.guide_domain import guide_domain_on_path

pytestmark = pytest.mark.e2e
expect.set_options(timeout=60_000)


@pytest.fixture
def helpdesk_server(tmp_path, monkeypatch):
    name, folder = guide_domain_on_path(tmp_path, monkeypatch)
    db = tmp_path / "desk.duckdb"
    with Engine(db, domains=(name,)) as engine:
        engine.write_demo(events=60)
    sys.modules.pop(name, None)
    yield from serve_app(db, ESENGINE_DOMAINS=name, PYTHONPATH=str(folder))


def test_the_guides_domain_on_the_commands_page(helpdesk_server, page):
    open_commands(page, helpdesk_server)
    choose_command(page, "Assign a ticket")
    ticket = pick(page, "Ticket", "open").split(" · ")[-1]
    expect(page.get_by_text(re.compile(rf"^Ticket {ticket} is open, at version 1 now"))).to_be_visible()
    page.get_by_label("Agent", exact=True).fill("x")
    press_send(page, "Assign a ticket")
    expect(said(page, "Agent: is too short: at least 2 characters (this has 1).")).to_be_visible()
    page.get_by_label("Agent", exact=True).fill("Ana")
    assert send(page, "Assign a ticket") == 2
    assert send(page, "Assign a ticket") == 3  # the same again: the form took the new version
    expect(diagram(page)).to_contain_text("Event TicketAssigned")
    choose_command(page, "Close a ticket")
    page.get_by_label("Resolution", exact=True).fill("Replaced the cable")
    assert send(page, "Close a ticket") == 4
    expect(page.get_by_text(re.compile(rf"^Ticket {ticket} is closed with Ana"))).to_be_visible()
    choose_command(page, "Assign a ticket")
    page.get_by_label("Agent", exact=True).fill("Bo")
    press_send(page, "Assign a ticket")
    expect(said(page, "Refused by the domain: This ticket is closed: reopen it before assigning it.")).to_be_visible()
