"""Desk teams in a real Chromium against the real stack: a handoff routed to scheduling is
worked by keyboard alone (sign in, queue with arrow keys, accept, transfer dialog), moved to
billing with a private note; billing's agent gets the same transcript, the note and the path;
the patient is told once, never shown the note; an urgent handoff alerts (notification
permission granted); sign-out ends the token. Screenshots in var/results/."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration.test_browser import browser  # noqa: F401  (the fixture)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
RESULTS = Path(__file__).resolve().parents[2] / "var" / "results"
PHONE = "+15555550177"
NOTE = "Moved her visit to Friday; she also asks why the lab work was billed twice"
TOLD = ("I'm passing you to our billing office, who can see our whole conversation, so you "
        "won't need to repeat anything.")


def desk_page(browser: Browser, stack: Stack, email: str) -> Page:  # noqa: F811
    """Signed in with the keyboard only: type, Tab, Enter."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["notifications"], origin=stack.bot_url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(stack.bot_url + "/desk")
    page.get_by_label("E-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(stack.env["DESK_DEMO_PASSWORD"])
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_contain_text("Signed in as")
    return page


def test_transfer_from_scheduling_to_billing_with_a_note_by_keyboard(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    service = {"Authorization": "Bearer " + stack.env["BACKOFFICE_TOKEN"]}
    # The action server's handoff request after the patient asked to move a visit.
    resp = httpx.post(stack.bot_url + "/api/handoffs", headers=service, timeout=10, json={
        "conversation_id": f"sms:{PHONE}", "reason": "requested",
        "intents": ["greet", "appointment_reschedule", "human_handoff"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["team"] == "scheduling"
    handoff_id = resp.json()["handoff_id"]
    # While waiting, the patient writes: it reaches the desk and is acknowledged.
    ack = stack.sms_turn(PHONE, "Also my bill shows the lab work twice", "SMteams-1")
    assert ack.startswith("Got it, I've passed that on. Our scheduling team will see it")

    sol = desk_page(browser, stack, "scheduling@example.org")
    bea = desk_page(browser, stack, "billing@example.org")
    expect(bea.locator("#queue-list li")).to_have_count(0)  # not billing's (yet)

    # Keyboard: Tab into the queue, arrow to the item, Enter opens, Accept with Enter.
    item = sol.locator(f"#queue-item-{handoff_id}")
    expect(item).to_contain_text("Scheduling")
    sol.locator("#queue-list li").first.focus()
    sol.keyboard.press("End")
    sol.keyboard.press("Enter")
    expect(sol.locator("#transcript")).to_contain_text("lab work twice")
    sol.locator("#accept").focus()
    sol.keyboard.press("Enter")
    expect(sol.locator("#reply-text")).to_be_focused()
    sol.locator("#transfer").focus()
    sol.keyboard.press("Enter")
    dialog = sol.get_by_role("dialog", name="Transfer this conversation")
    expect(dialog).to_be_visible()
    expect(sol.locator("#transfer-team")).to_be_focused()
    sol.locator("#transfer-team").select_option("billing")
    sol.keyboard.press("Tab")  # the person picker: anyone in the team
    sol.keyboard.press("Tab")
    sol.keyboard.type(NOTE)
    sol.screenshot(path=str(RESULTS / "desk-transfer-dialog.png"))
    sol.keyboard.press("Tab")  # Cancel
    sol.keyboard.press("Tab")  # Transfer
    sol.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(sol.locator(f"#queue-item-{handoff_id}")).to_have_count(0)
    expect(sol.locator("#announcer")).to_contain_text("Transferred to Billing")

    # Billing's agent: the same conversation, the note, the path; the patient told once.
    row = bea.locator(f"#queue-item-{handoff_id}")
    expect(row).to_contain_text("Billing")
    expect(row).to_contain_text("Transferred from Scheduling")
    row.click()
    expect(bea.locator("#transcript")).to_contain_text("lab work twice")
    expect(bea.locator("#transcript")).to_contain_text(TOLD)
    expect(bea.locator("#context")).to_contain_text("Transfer note · Sol")  # private notes
    expect(bea.locator("#context")).to_contain_text(NOTE)
    expect(bea.locator("#context")).to_contain_text("Scheduling → Billing by Sol")
    bea.screenshot(path=str(RESULTS / "desk-transfer-received.png"))
    bodies = [m["body"] for m in stack.outbox(PHONE)]
    assert bodies.count(TOLD) == 1
    assert not any("twice" in b and "Friday" in b for b in bodies)  # the note stays private

    # An urgent handoff alerts a supervisor's desk: sound, banner and a notification.
    sam = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    sam.wait_for_timeout(500)  # the live stream is open
    httpx.post(stack.bot_url + "/api/handoffs", headers=service, timeout=10, json={
        "conversation_id": "sms:+15555550178", "reason": "emergency", "urgency": "urgent",
        "intents": ["emergency"]})
    expect(sam.locator("#alerts")).to_contain_text("New urgent handoff (Nurse line)")
    assert sam.evaluate("Notification.permission") == "granted"
    expect(bea.locator("#alerts")).to_be_empty()  # billing does not work the nurse line
    sam.screenshot(path=str(RESULTS / "desk-urgent-alert.png"))

    # Sign out: the token stops working at once.
    token = bea.evaluate("sessionStorage.getItem('desk-token')")
    bea.get_by_role("button", name="Sign out").click()
    expect(bea.get_by_role("button", name="Sign in")).to_be_visible()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = httpx.get(stack.bot_url + "/api/desk/handoffs", timeout=10,
                           headers={"Authorization": f"Bearer {token}"}).status_code
        if status == 401:
            break
        time.sleep(0.1)
    assert status == 401
    for page in (sol, bea, sam):
        page.context.close()
