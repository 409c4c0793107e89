"""A workshop participant in Chromium on the Commands page: picks an order from the list (never types an id)
and runs its whole life on it, sending twice in a row; then provokes the concurrency conflict on a picked
order, reloads and sends again. Each step's flow diagram is drawn."""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.conftest import settle, wait_for_app

pytestmark = pytest.mark.e2e
expect.set_options(timeout=60_000)  # the machine is shared: a redraw may wait for a core


def open_commands(page, app_server):
    page.goto(f"{app_server}/commands")
    expect(page.get_by_role("heading", name="Commands", exact=True)).to_be_visible(timeout=120_000)
    wait_for_app(page)
    if page.get_by_text("Page not found").is_visible():
        page.get_by_role("dialog").get_by_role("button").first.click()


def pick(page, label: str, search: str | None = None) -> str:
    """Open the select box labelled ``label``, type ``search`` to narrow it (as a person does), click the first
    option; returns the option's text."""
    box = page.locator('[data-testid="stSelectbox"]:visible').filter(
        has=page.get_by_text(label, exact=True)).first
    option = page.get_by_role("option").first
    for attempt in range(3):  # a rerun still under way when the box opens closes it again: open it once more
        settle(page)
        box.click()
        if search:
            page.keyboard.type(search)
        try:
            expect(option).to_be_visible(timeout=15_000)
            text = option.inner_text(timeout=5_000)
            option.click(timeout=5_000)
            break
        except (AssertionError, PlaywrightTimeoutError):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    settle(page)
    return text


def choose_command(page, title: str) -> None:
    pick(page, "Command", title)
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def expected_version(page) -> int:
    """The version the form expects (pinned when the order is picked), once the page shows it."""
    box = page.get_by_label("Expected version", exact=True)
    expect(box).to_have_value(re.compile(r"^\d+$"))
    return int(box.input_value())


def press_send(page, title: str) -> None:
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("heading", name=title, exact=True))
    settle(page)
    form.get_by_role("button", name="Send the command").click()
    settle(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def send(page, title: str) -> int:
    """Send the form ``title`` on the picked order and wait until it is accepted; returns the new version,
    which must be one more than the version the form expected."""
    expected = expected_version(page)
    press_send(page, title)
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    expect(success).to_contain_text(f"{title}: accepted.")
    expect(success).to_contain_text(f"now at version {expected + 1}")
    # the form takes the new version, so the next send goes through (the box may be redrawn a moment later)
    expect(page.get_by_label("Expected version", exact=True)).to_have_value(str(expected + 1))
    return expected + 1


def document(page, name: str) -> None:
    """With ESENGINE_DOC_SHOTS=<folder>, keep a screenshot of this step for docs/workshop.md (what a
    participant sees); otherwise nothing."""
    if folder := os.environ.get("ESENGINE_DOC_SHOTS"):
        size = page.viewport_size
        page.set_viewport_size({"width": 1400, "height": 2400})  # Streamlit scrolls inside the page: grow it
        settle(page)
        page.screenshot(path=str(Path(folder) / f"workshop-{name}.png"))
        page.set_viewport_size(size)


def said(page, text: str, exact: bool = True):
    """``text`` where the page says it in words (a message or a list item), not in the flow diagram's boxes,
    which repeat a refusal's reason."""
    return page.get_by_test_id("stMarkdownContainer").get_by_text(text, exact=exact)


def diagram(page):
    return page.locator('[data-testid="stGraphVizChart"] svg').first


def test_a_picked_order_goes_through_add_add_confirm_pay_ship(app_server, page):
    open_commands(page, app_server)
    choose_command(page, "Add an item to a pending order")
    order = pick(page, "Order", "pending").split(" · ")[0]
    assert order.startswith("order-")
    pick(page, "Product")
    page.get_by_label("Quantity", exact=True).fill("2")
    first = send(page, "Add an item to a pending order")
    expect(diagram(page)).to_contain_text("Event OrderItemAdded")
    document(page, "1-add-item")
    second = send(page, "Add an item to a pending order")  # the same again
    assert second == first + 1
    expect(diagram(page)).to_contain_text(f"loaded at version {first}")
    choose_command(page, "Confirm an order")
    assert send(page, "Confirm an order") == second + 1
    document(page, "2-confirm")
    summary = page.get_by_text(re.compile(rf"^Order {order} is confirmed, total")).inner_text()
    total = re.search(r"total ([\d.]+) €", summary).group(1)
    choose_command(page, "Receive a payment")
    page.get_by_label("Amount", exact=True).fill(total)
    send(page, "Receive a payment")
    document(page, "3-pay")
    choose_command(page, "Ship an order")
    page.get_by_label("Tracking number", exact=True).fill("TRK-WORKSHOP-1")
    assert send(page, "Ship an order") == second + 3
    expect(diagram(page)).to_contain_text("Event OrderShipped")
    expect(diagram(page)).to_contain_text("Projection orders v1 (inline)")
    expect(page.get_by_text(re.compile(rf"row {order}: \d+ column\(s\) changed"))).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^Order {order} is shipped"))).to_be_visible()
    document(page, "4-ship")


def test_the_conflict_demonstration_on_a_picked_order(app_server, page):
    open_commands(page, app_server)
    choose_command(page, "Confirm an order")
    pick(page, "Order", "pending")
    loaded = str(expected_version(page))
    page.get_by_role("button", name="A colleague changes this order now").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"A colleague ran AddOrderItem on order-"))).to_be_visible()
    press_send(page, "Confirm an order")
    expect(page.get_by_text(re.compile(r"^Conflict: "))).to_be_visible()
    expect(said(page, f"Expected version: {loaded} · actual version: {int(loaded) + 1}", exact=False)).to_be_visible()
    expect(diagram(page)).to_contain_text("Concurrency conflict")
    document(page, "5-conflict")
    page.get_by_role("button", name="Reload (take the current version)").click()
    settle(page)
    expect(page.get_by_label("Expected version", exact=True)).to_have_value(str(int(loaded) + 1))
    assert send(page, "Confirm an order") == int(loaded) + 2


def test_a_bad_quantity_is_refused_in_plain_words_then_corrected(app_server, page):
    open_commands(page, app_server)
    choose_command(page, "Add an item to a pending order")
    pick(page, "Order", "pending")
    pick(page, "Product")
    page.get_by_label("Quantity", exact=True).fill("2.5")
    press_send(page, "Add an item to a pending order")
    expect(said(page, "Quantity: must be a whole number, without a fraction (you entered 2.50).")).to_be_visible()
    expect(diagram(page)).to_contain_text("Validation: the values are checked")
    page.get_by_label("Quantity", exact=True).fill("2")
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("2")
    send(page, "Add an item to a pending order")


def test_two_participants_collide_on_the_same_picked_order(app_server, page, browser):
    """Ana and Ben pick the same order in their own browsers; Ben adds an item first, so Ana's confirmation
    meets a conflict (not a broken picker), and after *Reload* it goes through."""
    ben = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    ben.set_default_timeout(60_000)
    try:
        open_commands(page, app_server)
        choose_command(page, "Confirm an order")
        order = pick(page, "Order", "pending").split(" · ")[0]
        loaded = expected_version(page)
        open_commands(ben, app_server)
        choose_command(ben, "Add an item to a pending order")
        ben.get_by_label("Search all orders", exact=True).fill(order)
        ben.keyboard.press("Enter")
        settle(ben)  # the search's rerun may not have begun yet: Ben types the id into the list too, as people do
        assert pick(ben, "Order", order).startswith(order)
        pick(ben, "Product")
        ben.get_by_label("Quantity", exact=True).fill("1")
        assert send(ben, "Add an item to a pending order") == loaded + 1
        press_send(page, "Confirm an order")
        expect(said(page, f"Expected version: {loaded} · actual version: {loaded + 1}", exact=False)).to_be_visible()
        expect(page.get_by_text(re.compile(rf"^Order {order} is pending"))).to_be_visible()
        page.get_by_role("button", name="Reload (take the current version)").click()
        expect(page.get_by_label("Expected version", exact=True)).to_have_value(str(loaded + 1))
        settle(page)
        assert send(page, "Confirm an order") == loaded + 2
    finally:
        ben.context.close()
