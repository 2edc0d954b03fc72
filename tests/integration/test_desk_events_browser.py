"""The desk's live events per team, in a real Chromium against the real stack: billing's agent
sees the patient's SMS arrive live in the open conversation; the pharmacy agent's desk (and a
raw EventSource opened with her own token) gets nothing of it; after a transfer to pharmacy the
pharmacy desk gets it live and billing's queue drops it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration.test_browser import browser  # noqa: F401  (the fixture)
from tests.integration.test_desk_teams_browser import desk_page
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
PHONE = "+15555550183"
CHARGED = "My card was charged twice for the same visit"

# Every event of the agent's own stream, as the server sends it (data strings).
SPY = """() => {
  window.heard = [];
  const spy = new EventSource("/api/desk/events?token=" +
                              encodeURIComponent(sessionStorage.getItem("desk-token")));
  for (const name of ["ready", "queue", "message", "note", "follow_up", "urgent_overdue", "agents"])
    spy.addEventListener(name, (e) => window.heard.push(name + " " + e.data));
}"""


def heard(page: Page) -> list[str]:
    result: Any = page.evaluate("window.heard")
    return list(result)


def caught_up(stack: Stack, sam: dict[str, str], spies: list[Page]) -> None:
    """Every spy has what was published so far: an availability change (an event every agent
    gets) comes after it on each stream, and streams keep their order."""
    counts = [sum(1 for h in heard(p) if h.startswith("agents ")) for p in spies]
    deadline = time.monotonic() + 20
    while True:
        availability = "away" if int(time.monotonic() * 10) % 2 else "available"
        assert stack.desk("POST", "/api/desk/me/availability", sam,
                          json={"availability": availability}).status_code == 200
        time.sleep(0.3)
        now = [sum(1 for h in heard(p) if h.startswith("agents ")) for p in spies]
        if all(n > c for n, c in zip(now, counts, strict=True)):
            return
        assert time.monotonic() < deadline, "the desk streams did not catch up"


def test_the_pharmacy_desk_hears_nothing_of_billing_until_transferred(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    service = {"Authorization": "Bearer " + stack.env["BACKOFFICE_TOKEN"]}
    sam = stack.desk_login()  # the demo supervisor
    bea = desk_page(browser, stack, "billing@example.org")
    phil = desk_page(browser, stack, "pharmacy@example.org")
    for page in (bea, phil):
        page.evaluate(SPY)
    caught_up(stack, sam, [bea, phil])  # both spies are subscribed

    resp = httpx.post(stack.bot_url + "/api/handoffs", headers=service, timeout=10, json={
        "conversation_id": f"sms:{PHONE}", "reason": "requested",
        "intents": ["billing_charge_question", "human_handoff"]})
    assert resp.status_code == 200 and resp.json()["team"] == "billing", resp.text
    handoff_id = resp.json()["handoff_id"]

    # Billing's desk: the new item shows live; Bea opens and accepts it; the patient's SMS
    # arrives in the open transcript without a reload.
    row = bea.locator(f"#queue-item-{handoff_id}")
    expect(row).to_contain_text("Billing")
    row.click()
    bea.locator("#accept").click()
    expect(bea.locator("#reply-text")).to_be_visible()
    assert stack.send_sms(PHONE, CHARGED, "SMdeskev-1").status_code == 200
    expect(bea.locator("#transcript")).to_contain_text(CHARGED)
    bea.locator("#reply-text").fill("Sorry about that, let me look.")
    bea.locator("#reply-text").press("Enter")
    expect(bea.locator("#transcript")).to_contain_text("Sorry about that, let me look.")

    # Pharmacy's desk: nothing, live or otherwise.
    caught_up(stack, sam, [bea, phil])
    assert any("charged twice" in h for h in heard(bea))
    assert not [h for h in heard(phil) if not h.startswith(("ready ", "agents "))], heard(phil)
    expect(phil.locator(f"#queue-item-{handoff_id}")).to_have_count(0)
    token = phil.evaluate("sessionStorage.getItem('desk-token')")
    assert stack.desk("GET", f"/api/desk/handoffs/{handoff_id}",
                      {"Authorization": f"Bearer {token}"}).status_code == 403

    # Bea passes it to pharmacy: Phil's queue shows it live, Bea's drops it; the patient's
    # next message reaches Phil's open transcript, and Bea's stream not at all.
    bea_token = bea.evaluate("sessionStorage.getItem('desk-token')")
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/transfer",
                      {"Authorization": f"Bearer {bea_token}"},
                      json={"team": "pharmacy"}).status_code == 200
    expect(bea.locator(f"#queue-item-{handoff_id}")).to_have_count(0)
    moved = phil.locator(f"#queue-item-{handoff_id}")
    expect(moved).to_contain_text("Pharmacy")
    moved.click()
    expect(phil.locator("#transcript")).to_contain_text(CHARGED)  # the whole conversation
    phil.locator("#accept").click()
    expect(phil.locator("#reply-text")).to_be_visible()
    assert stack.send_sms(PHONE, "ok, is the refund coming?", "SMdeskev-2").status_code == 200
    expect(phil.locator("#transcript")).to_contain_text("ok, is the refund coming?")
    caught_up(stack, sam, [bea, phil])
    assert not any("refund coming" in h for h in heard(bea))
    assert any("refund coming" in h for h in heard(phil))
    for page in (bea, phil):
        page.context.close()
