"""What a new agent trips over, in a real Chromium against the real bot service: the page
before and after sign-in (the Outreach and Insights links, the header's spacing); a transfer
read by the receiving agent (the note and the path first, the title with the current team and
why it moved); agents named in the transcript; the newest message in view above the action
bar; an urgent alert that leaves the Send button clear; saved replies that follow the billing
rules and are edited and deleted from the desk; the context card read again from the back
office on request, naming the patient's other open conversation. Screenshots in var/results/.

Needs no engine: run it alone with STACK_ONLY=bot (see tests/integration/conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.audit.models import AuditEvent
from bot.backoffice.enums import RefillStatus
from bot.backoffice.models import RefillRequest
from bot.backoffice.pharmacy import OPEN_STATUSES
from bot.clock import now
from bot.conversations import transcript
from bot.db import make_engine
from tests.integration.test_browser import browser  # noqa: F401  (the fixture)
from tests.integration.test_desk_teams_browser import desk_page
from tests.support.stack import ROOT, Stack

pytestmark = pytest.mark.integration
RESULTS = ROOT / "var" / "results"
NOTE = "Rescheduled to Friday. She asks why the lab work was billed twice: please explain."
# Maria's conversation with the bot before she asked for a person: lines long enough to wrap
# over more lines in a narrower window, as the bot's balance answers do.
EARLIER = ("Can you tell me why there are two charges for my lab work in November, and whether "
           "my appointment with Dr. Shah next week is still on? I can't find it in the app.",
           ["I can help with your appointments and your bill. Before I share account details, "
            "I need to confirm it's you. Please reply with your date of birth, for example "
            "March 17, 1990 or 03/17/1990.",
            "Your balance is $125.40. It's for:\n• Nov 16, Office visit copay: $40.00 (insurance "
            "paid $110.00)\n• Nov 16, Lab work: $85.40 (insurance paid $124.60)"])


@pytest.fixture(scope="module", autouse=True)
def fresh_sign_in_budget(stack: Stack) -> Iterator[None]:
    """Sign-ins are limited per address and minute; this module signs in several agents, so
    the next module starts with the budget it would have had without it. It starts with an
    empty queue: handoffs earlier modules left open are closed first (the demo agent has
    every role and team)."""
    desk = stack.desk_login()
    for item in stack.desk("GET", "/api/desk/handoffs", desk).json():
        if item["status"] == "waiting":
            stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk)
        stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk, json={})
    for task in stack.desk("GET", "/api/desk/follow-ups", desk).json():
        stack.desk("POST", f"/api/desk/follow-ups/{task['id']}/done", desk)
    left = stack.desk("GET", "/api/desk/handoffs", desk).json()
    assert left == [], f"held by another agent, the demo agent cannot close them: {left}"
    yield
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    for key in client.scan_iter("rate:desk-login:*"):
        client.delete(key)


@dataclass
class Leftovers:
    """Handoffs a test opened, and the agents who may close them at its end (the owner, or one
    who sees it waiting)."""
    handoffs: list[int] = field(default_factory=list)
    agents: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def leftovers(stack: Stack) -> Iterator[Leftovers]:
    """Closes what the test left open, passed or failed: a later test asks for a handoff on the
    same conversation, and would be given this one, still held by someone else."""
    left = Leftovers()
    yield left
    for handoff_id in left.handoffs:
        for headers in left.agents:
            path = f"/api/desk/handoffs/{handoff_id}/close"
            if stack.desk("POST", path, headers, json={}).status_code == 200:
                break


def service(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.env['BACKOFFICE_TOKEN']}"}


def patient_id(stack: Stack, phone: str, date_of_birth: str) -> int:
    resp = httpx.post(stack.bot_url + "/api/backoffice/verifications", headers=service(stack),
                      timeout=10, json={"conversation_id": f"sms:{phone}", "channel": "sms",
                                        "date_of_birth": date_of_birth, "phone": phone})
    resp.raise_for_status()
    return int(resp.json()["patient_id"])


def request_handoff(stack: Stack, conversation_id: str, **extra: object) -> int:
    resp = httpx.post(stack.bot_url + "/api/handoffs", headers=service(stack), timeout=10,
                      json={"conversation_id": conversation_id, "reason": "requested", **extra})
    resp.raise_for_status()
    return int(resp.json()["handoff_id"])


def api_login(stack: Stack, email: str) -> dict[str, str]:
    resp = httpx.post(stack.bot_url + "/api/desk/login", timeout=10, json={
        "email": email, "password": stack.env["DESK_DEMO_PASSWORD"]})
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def token_of(page: Page) -> dict[str, str]:
    """The page's own sign-in (sign-ins are rate limited per address: no extra ones)."""
    return {"Authorization": "Bearer " + str(page.evaluate(
        "sessionStorage.getItem('desk-token')"))}


def close(stack: Stack, headers: dict[str, str], handoff_id: int) -> None:
    """Leaves the queues as the next test module expects them: empty."""
    resp = stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/close", headers, json={})
    assert resp.status_code == 200, resp.text


def header_gaps(page: Page) -> list[float]:
    """The space between neighbouring visible items of the header (the one stretchable
    spacer between the left and right groups left out)."""
    return list(page.evaluate("""() => {
        const items = [...document.querySelector("header").children]
            .filter((e) => e.getClientRects().length);
        const gaps = [];
        for (let i = 1; i < items.length; i++) {
            const [a, b] = [items[i - 1], items[i]];
            if (a.classList.contains("grow") || b.classList.contains("grow")) continue;
            gaps.push(Math.round(b.getBoundingClientRect().left - a.getBoundingClientRect().right));
        }
        return gaps;
    }"""))


def newest_in_view(page: Page) -> dict[str, float]:
    """Where the newest message sits against the transcript's box, the action bar and the
    window."""
    return dict(page.evaluate("""() => {
        const log = document.getElementById("transcript");
        const last = log.lastElementChild.getBoundingClientRect();
        const box = log.getBoundingClientRect();
        const bar = document.getElementById("actions").getBoundingClientRect();
        const reply = document.getElementById("reply").getBoundingClientRect();
        return {last_top: last.top, last_bottom: last.bottom, box_top: box.top,
                box_bottom: box.bottom, bar_top: bar.top, reply_bottom: reply.bottom,
                window: window.innerHeight, overflow: log.scrollHeight - log.clientHeight,
                page_overflow: document.documentElement.scrollHeight - window.innerHeight};
    }"""))


def assert_newest_visible(page: Page) -> None:
    # Layout settles over a frame or two after a change (the ResizeObserver runs then); on a
    # busy machine a few more: up to 2 s.
    for _ in range(20):
        page.wait_for_timeout(100)
        at = newest_in_view(page)
        if (at["box_top"] - 1 <= at["last_top"] and at["last_bottom"] <= at["box_bottom"] + 1
                and at["last_bottom"] <= at["bar_top"] + 1):
            break
    assert at["overflow"] > 0, at  # the transcript is longer than its box: it must scroll
    assert at["box_top"] - 1 <= at["last_top"] and at["last_bottom"] <= at["box_bottom"] + 1, at
    assert at["last_bottom"] <= at["bar_top"] + 1, at  # not behind the action bar
    assert at["reply_bottom"] <= at["window"] and at["page_overflow"] <= 0, at


def test_links_show_only_when_signed_in_and_the_header_is_evenly_spaced(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(stack.bot_url + "/desk")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("link", name="Outreach")).to_be_hidden()
    expect(page.get_by_role("link", name="Insights")).to_be_hidden()
    page.screenshot(path=str(RESULTS / "desk-sign-in.png"))
    context.close()

    # An agent: Outreach (every agent's), not Insights (supervisors').
    bea = desk_page(browser, stack, "billing@example.org")
    expect(bea.get_by_role("link", name="Outreach")).to_be_visible()
    expect(bea.get_by_role("link", name="Insights")).to_be_hidden()
    gaps = header_gaps(bea)
    assert gaps and set(gaps) == {12}, gaps
    bea.get_by_role("button", name="Sign out").click()
    expect(bea.get_by_role("button", name="Sign in")).to_be_visible()
    expect(bea.get_by_role("link", name="Outreach")).to_be_hidden()
    bea.context.close()

    sam = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    expect(sam.get_by_role("link", name="Outreach")).to_be_visible()
    expect(sam.get_by_role("link", name="Insights")).to_be_visible()
    expect(sam.get_by_role("button", name="Review")).to_be_visible()  # a designer too
    expect(sam.get_by_role("button", name="History")).to_be_visible()
    gaps = header_gaps(sam)
    # title | views | links ... Saved replies | History | who | me
    assert len(gaps) == 5 and set(gaps) == {12}, gaps
    sam.locator("header").screenshot(path=str(RESULTS / "desk-header.png"))
    sam.context.close()


def test_a_transfer_is_read_first_agents_are_named_and_the_newest_message_shows(
        browser: Browser, stack: Stack, leftovers: Leftovers) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    maria = patient_id(stack, "+15555550101", "1984-03-12")
    with Session(make_engine(stack.env["DATABASE_URL"])) as db:
        transcript.record_turn(db, "sms:+15555550101", EARLIER[0], now(), EARLIER[1])
    handoff_id = request_handoff(stack, "sms:+15555550101", verified=True, patient_id=maria,
                                 intents=["appointment_check", "human_handoff"])
    sol = api_login(stack, "scheduling@example.org")
    leftovers.handoffs.append(handoff_id)
    leftovers.agents.append(sol)
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/accept",
                      sol).status_code == 200
    for n in range(1, 19):  # more than the transcript's box holds
        stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/messages", sol,
                   json={"text": f"Checking the schedule, step {n} of 18."})
    moved = stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/transfer", sol,
                       json={"team": "billing", "note": NOTE})
    assert moved.status_code == 200, moved.text

    bea = desk_page(browser, stack, "billing@example.org")
    leftovers.agents.append(token_of(bea))
    row = bea.locator(f"#queue-item-{handoff_id}")
    expect(row).to_contain_text("Transferred from Scheduling")
    expect(row).not_to_contain_text("Asked for a person")
    row.click()
    # The title: the current team and why it moved, not the first reason.
    expect(bea.locator("#conversation-title")).to_have_text(
        "Maria Lopez · Billing · Transferred from Scheduling")
    # The note and the path first in the context column, in view without scrolling.
    info = bea.locator("#context > :first-child")
    expect(info).to_have_id("transfer-info")
    expect(info).to_contain_text("Transferred from Scheduling to Billing")
    expect(info).to_contain_text("By Sol")
    expect(info).to_contain_text(NOTE)
    expect(info.get_by_role("list", name="Path so far")).to_contain_text("Routed to Scheduling")
    expect(info.get_by_role("list", name="Path so far")).to_contain_text(
        "Scheduling → Billing by Sol")
    box = info.bounding_box()
    assert box is not None and box["y"] + box["height"] < 900
    card = bea.get_by_role("complementary", name="Patient context")
    expect(card).to_contain_text("First asked")
    expect(card).to_contain_text("Asked for a person")
    # Agents by name; the transcript at its newest message.
    log = bea.get_by_role("log", name="Transcript")
    expect(log.locator(".turn.agent small").first).to_contain_text("Sol · ")
    expect(log.locator(".turn").last).to_contain_text("I'm passing you to our billing office")
    assert_newest_visible(bea)

    bea.get_by_role("button", name="Accept").click()
    reply = bea.get_by_label("Reply to the patient")
    expect(reply).to_be_focused()
    assert_newest_visible(bea)
    reply.fill("Hi Maria, this is Bea from billing. The lab charge was entered twice.")
    bea.get_by_role("button", name="Send", exact=True).click()
    newest = log.locator(".turn").last
    expect(newest).to_contain_text("The lab charge was entered twice.")
    expect(newest.locator("small")).to_contain_text("Bea · ")
    assert_newest_visible(bea)
    # The follow-up fields make the action bar taller: the newest message stays in view.
    bea.locator("#disposition").select_option("follow_up")
    expect(bea.locator("#follow-up-fields")).to_be_visible()
    assert_newest_visible(bea)
    bea.screenshot(path=str(RESULTS / "desk-transfer-read-first.png"))
    # A smaller window: the header and the action bar wrap, the earlier messages wrap over
    # more lines (the browser moves the log's scroll position to keep them in place: that
    # is not the agent scrolling up), the newest message still shows.
    bea.set_viewport_size({"width": 1100, "height": 700})
    assert_newest_visible(bea)
    bea.screenshot(path=str(RESULTS / "desk-transfer-small-window.png"))
    # The patient reads the words, never the note.
    bodies = [m["body"] for m in stack.outbox("+15555550101")]
    assert "Hi Maria, this is Bea from billing. The lab charge was entered twice." in bodies
    assert not any("billed twice: please explain" in b for b in bodies)
    close(stack, token_of(bea), handoff_id)
    bea.context.close()


def test_an_urgent_alert_leaves_the_send_button_clear(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    handoff_id = request_handoff(stack, "web:alertlayout1", intents=["billing_pay"])
    sam = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    sam.locator(f"#queue-item-{handoff_id}").click()
    sam.get_by_role("button", name="Accept").click()
    send = sam.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_visible()
    sam.wait_for_timeout(500)  # the live stream is open
    urgent_id = request_handoff(stack, "sms:+15555550179", reason="emergency",
                                urgency="urgent", intents=["emergency"])
    expect(sam.locator("#alerts .alert")).to_contain_text("New urgent handoff (Nurse line)")
    clear = sam.evaluate("""() => {
        const send = document.querySelector("#reply button[type=submit]").getBoundingClientRect();
        const apart = [...document.querySelectorAll("#alerts .alert")].every((a) => {
            const r = a.getBoundingClientRect();
            return r.right <= send.left || r.left >= send.right
                || r.bottom <= send.top || r.top >= send.bottom;
        });
        const x = send.left + send.width / 2, y = send.top + send.height / 2;
        return apart && document.elementFromPoint(x, y).closest("#reply") !== null;
    }""")
    assert clear
    sam.screenshot(path=str(RESULTS / "desk-urgent-alert-clear.png"))
    sam.get_by_label("Reply to the patient").fill("One moment please.")
    send.click()
    expect(sam.get_by_role("log", name="Transcript")).to_contain_text("One moment please.")
    for done in (handoff_id, urgent_id):
        close(stack, token_of(sam), done)
    sam.context.close()


def test_saved_replies_follow_the_billing_rules_and_are_managed_at_the_desk(
        browser: Browser, stack: Stack, leftovers: Leftovers) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    maria = request_handoff(stack, "sms:+15555550101", verified=True,
                            patient_id=patient_id(stack, "+15555550101", "1984-03-12"),
                            intents=["billing_payment_plan", "human_handoff"])
    aisha = request_handoff(stack, "sms:+15555550103", verified=True,
                            patient_id=patient_id(stack, "+15555550103", "1992-07-25"),
                            intents=["billing_payment_plan", "human_handoff"])
    sam = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    leftovers.handoffs += [maria, aisha]
    leftovers.agents.append(token_of(sam))
    reply = sam.get_by_label("Reply to the patient")
    choices = sam.get_by_role("listbox", name="Saved replies")

    # Maria owes $125.40, under the $150.00 minimum: /plan is not offered, and says why.
    sam.locator(f"#queue-item-{maria}").click()
    sam.get_by_role("button", name="Accept").click()
    expect(reply).to_be_focused()
    reply.press_sequentially("/pla")
    plan = choices.get_by_role("option").filter(has_text="/plan")
    expect(plan).to_have_attribute("aria-disabled", "true")
    expect(plan).to_contain_text("Not offered: Not eligible: balance under the $150.00 minimum")
    sam.screenshot(path=str(RESULTS / "desk-saved-reply-not-offered.png"))
    sam.keyboard.press("Enter")
    expect(sam.locator("#status")).to_have_text(
        "/plan is not offered here: Not eligible: balance under the $150.00 minimum")
    expect(reply).to_have_value("/pla")  # nothing inserted
    reply.fill("")

    # Aisha owes $310.00: billing's own options.
    sam.locator(f"#queue-item-{aisha}").click()
    sam.get_by_role("button", name="Accept").click()
    expect(reply).to_be_focused()
    reply.press_sequentially("/plan")
    expect(choices.get_by_role("option").first).to_have_attribute("aria-disabled", "false")
    sam.keyboard.press("Enter")
    expect(reply).to_have_value(re.compile(
        r"^Aisha, your balance is \$310\.00, due \w{3}, \w{3} \d{1,2}\. We can spread it over "
        r"3, 6 or 12 months with no fees\."))
    reply.fill("")

    # Managed at the desk: added, edited, deleted.
    sam.get_by_role("button", name="Saved replies").click()
    dialog = sam.get_by_role("dialog", name="Saved replies")
    text = dialog.get_by_label("What the patient reads")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Shortcut (after /)")).to_be_focused()
    sam.keyboard.type("months")
    dialog.get_by_label("Title", exact=True).fill("Plan amounts")
    text.fill("Hi {first_name}, that could be {plan_monthly}.")
    dialog.locator("#reply-team").select_option("billing")
    dialog.get_by_role("button", name="Add reply").click()
    row = dialog.locator("#replies-list li").filter(has_text="/months")
    expect(row).to_contain_text("Billing · Always")
    row.get_by_role("button", name="Edit /months").click()
    expect(dialog.get_by_label("Shortcut (after /)")).to_have_value("months")
    text.fill("Hi {first_name}, monthly that is {plan_monthly}.")
    dialog.locator("#reply-condition").select_option("plan_eligible")
    dialog.get_by_role("button", name="Save changes").click()
    expect(row).to_contain_text("monthly that is")
    expect(row).to_contain_text("Only when they can set up a payment plan")
    sam.screenshot(path=str(RESULTS / "desk-saved-replies-manage.png"))
    dialog.get_by_role("button", name="Close").click()
    # The edit is what the open conversation offers now, filled from billing.
    reply.press_sequentially("/months")
    expect(choices.get_by_role("option").first).to_contain_text(
        "Hi Aisha, monthly that is $103.34 a month over 3 months")
    sam.keyboard.press("Escape")
    reply.fill("")
    sam.get_by_role("button", name="Saved replies").click()
    delete = dialog.get_by_role("button", name="Delete /months")
    delete.click()
    expect(delete).to_have_text("Delete /months?")
    delete.click()
    expect(dialog.locator("#replies-list")).not_to_contain_text("/months")
    dialog.get_by_role("button", name="Close").click()
    # Each change left an audit row, with who made it.
    with Session(make_engine(stack.env["DATABASE_URL"])) as db:
        rows = db.execute(select(AuditEvent.action, AuditEvent.reason).where(
            AuditEvent.action.like("saved_reply_%")).order_by(AuditEvent.id)).all()
    assert [(a, r.split(" /")[1]) for a, r in rows] == [
        ("saved_reply_created", "months (billing)"), ("saved_reply_updated", "months (billing)"),
        ("saved_reply_deleted", "months (billing)")]
    for done in (maria, aisha):
        close(stack, token_of(sam), done)
    sam.context.close()


def test_the_context_card_is_read_again_and_names_the_patients_other_conversation(
        browser: Browser, stack: Stack, leftovers: Leftovers) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    james = patient_id(stack, "+15555550102", "1975-11-02")
    with Session(make_engine(stack.env["DATABASE_URL"])) as session:  # earlier modules' asks
        session.execute(update(RefillRequest).where(
            RefillRequest.patient_id == james, RefillRequest.status.in_(OPEN_STATUSES))
            .values(status=RefillStatus.denied))
        session.commit()
    by_sms = request_handoff(stack, "sms:+15555550102", verified=True, patient_id=james,
                             intents=["refill_request", "human_handoff"])
    by_web = request_handoff(stack, "web:context-card-test", verified=True, patient_id=james,
                             intents=["appointment_check", "human_handoff"])
    sam = desk_page(browser, stack, stack.env["DESK_DEMO_EMAIL"])
    leftovers.handoffs += [by_sms, by_web]
    leftovers.agents.append(token_of(sam))
    card = sam.get_by_role("complementary", name="Patient context")

    sam.locator(f"#queue-item-{by_sms}").click()
    expect(card).to_contain_text("James Carter, born")
    expect(card).to_contain_text("Record as of")
    expect(card).to_contain_text(re.compile(
        r"Also open\s*James has another conversation waiting: Web chat, "))
    expect(card).to_contain_text(re.compile(r"Open requests\s*none"))

    # While the card is open, the pharmacy files a request for him: the card says so once
    # the record is read again.
    [metformin] = [p for p in httpx.get(
        stack.bot_url + f"/api/backoffice/patients/{james}/prescriptions",
        headers=service(stack), timeout=10).json()["prescriptions"]
        if p["medication"] == "Metformin"]
    filed = httpx.post(stack.bot_url + f"/api/backoffice/patients/{james}/refill-requests",
                       headers=service(stack), timeout=10,
                       json={"prescription_id": metformin["id"]})
    assert filed.status_code in (200, 201), filed.text
    reference = filed.json()["reference"]
    expect(card).not_to_contain_text(reference)
    card.get_by_role("button", name="Refresh the record").click()
    expect(card).to_contain_text(reference)
    sam.screenshot(path=str(RESULTS / "desk-context-card-refreshed.png"))
