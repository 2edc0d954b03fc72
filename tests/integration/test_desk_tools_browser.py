"""The desk's working tools in a real Chromium against the real stack: keyboard-only use of
the queue, a saved reply with placeholders, a private note, a follow-up close and its later
delivery (through `python -m bot.desk.tools deliver`), and closed-conversation search.
Screenshots land in var/results/."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.integration.test_browser import browser, signed_in_desk  # noqa: F401  (fixture)
from tests.support.stack import ROOT, Stack

pytestmark = pytest.mark.integration
RESULTS = ROOT / "var" / "results"
NY = ZoneInfo("America/New_York")
MARIA_PHONE = "+15555550101"


def service(stack: Stack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.env['BACKOFFICE_TOKEN']}"}


def maria_id(stack: Stack) -> int:
    resp = httpx.post(stack.bot_url + "/api/backoffice/verifications", headers=service(stack),
                      timeout=10, json={"conversation_id": "sms:+15555550101", "channel": "sms",
                                        "date_of_birth": "1984-03-12", "phone": MARIA_PHONE})
    resp.raise_for_status()
    return int(resp.json()["patient_id"])


def request_handoff(stack: Stack, conversation_id: str, **extra: object) -> int:
    resp = httpx.post(stack.bot_url + "/api/handoffs", headers=service(stack), timeout=10,
                      json={"conversation_id": conversation_id, "reason": "requested", **extra})
    resp.raise_for_status()
    return int(resp.json()["handoff_id"])


def patient_sees(stack: Stack, token: str) -> str:
    resp = httpx.get(stack.bot_url + "/channels/web/history", timeout=10,
                     headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return "\n".join(str(m["text"]) for m in resp.json()["messages"])


def focused(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement.id || document.activeElement.tagName"))


def tab_to(page: Page, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        if focused(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id} (at {focused(page)})")


def lowest_text_contrast(page: Page) -> float:
    """The lowest WCAG contrast of every visible timestamp, notice and detail line against the
    first opaque background behind it."""
    return float(page.evaluate("""() => {
        const lum = (c) => {
            const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
                v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const background = (node) => {
            for (let n = node; n; n = n.parentElement) {
                const bg = getComputedStyle(n).backgroundColor;
                const alpha = bg.startsWith("rgba") ? parseFloat(bg.split(",")[3]) : 1;
                if (alpha > 0.99) return bg;
            }
            return "rgb(255, 255, 255)";
        };
        let worst = 99;
        document.querySelectorAll(".turn small, .turn.system, .meta, #status").forEach((t) => {
            if (!t.offsetParent) return;
            const style = getComputedStyle(t);
            if (parseFloat(style.opacity) < 1) { worst = 0; return; }
            const fg = lum(style.color), bg = lum(background(t));
            worst = Math.min(worst, (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05));
        });
        return worst;
    }"""))


def focus_ring_contrast(page: Page) -> float:
    return float(page.evaluate("""() => {
        const lum = (c) => {
            const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
                v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const el = document.activeElement;
        const ring = lum(getComputedStyle(el).outlineColor);
        const bg = lum(getComputedStyle(el).backgroundColor);
        return (Math.max(ring, bg) + 0.05) / (Math.min(ring, bg) + 0.05);
    }"""))


def test_desk_tools_keyboard_saved_reply_follow_up_and_history(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    patient_id = maria_id(stack)
    session_id, patient = stack.web_session_with_id()
    handoff_id = request_handoff(stack, f"web:{session_id}", verified=True,
                                 patient_id=patient_id, intents=["appointment_check"])
    request_handoff(stack, f"web:{session_id[:8]}other")  # a second item to move through

    desk = signed_in_desk(browser, stack)
    ours = desk.locator(f"#queue-item-{handoff_id}")
    expect(ours).to_be_visible()
    # Nothing selected yet: no Accept, no reply box.
    expect(desk.get_by_role("button", name="Accept")).to_be_hidden()
    expect(desk.get_by_label("Reply to the patient")).to_be_hidden()

    # --- keyboard only: one tab stop into the queue, arrows through it, Enter opens -------
    desk.locator("body").focus()
    for _ in range(30):
        if desk.evaluate("() => document.activeElement.getAttribute('role')") == "option":
            break
        desk.keyboard.press("Tab")
    options = desk.locator("#queue-list [role=option]")
    assert desk.evaluate(
        "() => [...document.querySelectorAll('#queue-list li')].filter(li => li.tabIndex === 0)"
        ".length") == 1
    desk.keyboard.press("End")
    expect(options.last).to_be_focused()
    desk.keyboard.press("Home")
    expect(options.first).to_be_focused()
    for _ in range(options.count()):
        if focused(desk) == f"queue-item-{handoff_id}":
            break
        desk.keyboard.press("ArrowDown")
    expect(ours).to_be_focused()
    assert focus_ring_contrast(desk) >= 3.0
    desk.screenshot(path=str(RESULTS / "desk-queue-keyboard.png"))
    # The card's wording for exactly one refill left, whatever earlier tests did to the
    # record: this one opening sees Lisinopril with 1 left (the real answer, one number changed).
    detail_url = f"**/api/desk/handoffs/{handoff_id}"

    def one_refill(route: Route) -> None:
        body = route.fetch().json()
        for rx in body["context"]["patient"]["active_prescriptions"]:
            if rx["medication"].startswith("Lisinopril"):
                rx["refills_left"] = 1
        route.fulfill(json=body)

    desk.route(detail_url, one_refill)
    desk.keyboard.press("Enter")
    # The title is announced, not the whole transcript.
    expect(desk.locator("#conversation-title")).to_have_text(
        "Maria Lopez · Scheduling · Asked for a person")
    expect(desk.locator("#announcer")).to_have_text(
        "Opened Maria Lopez · Scheduling · Asked for a person. Waiting.")
    expect(desk.locator("#transcript")).to_have_attribute("aria-live", "polite")
    card = desk.get_by_role("complementary", name="Patient context")
    expect(card).to_contain_text("Web chat · number on file +15555550101")
    expect(card).to_contain_text("Not eligible: balance under the $150.00 minimum")
    expect(card).to_contain_text("Lisinopril 10 mg (1 refill left)")
    expect(card).to_contain_text("Atorvastatin 20 mg (0 refills left)")
    desk.unroute(detail_url)
    # Waiting: Accept, but no reply box yet.
    expect(desk.get_by_label("Reply to the patient")).to_be_hidden()
    tab_to(desk, "accept")
    desk.keyboard.press("Enter")
    reply = desk.get_by_label("Reply to the patient")
    expect(reply).to_be_focused()
    expect(desk.get_by_role("button", name="Accept")).to_be_hidden()

    # --- a saved reply with placeholders, "/" in the reply box ----------------------------
    reply.press_sequentially("/appt")
    choices = desk.get_by_role("listbox", name="Saved replies")
    expect(choices).to_be_visible()
    expect(choices.get_by_role("option").first).to_contain_text("Dr. Priya Shah")
    desk.screenshot(path=str(RESULTS / "desk-saved-reply.png"))
    desk.keyboard.press("Enter")  # inserts the filled reply
    expect(reply).to_have_value(
        re.compile(r"^Hi Maria, your appointment with Dr\. Priya Shah is on "
                                 r"\w{3}, \w{3} \d{1,2} at \d{1,2}:\d{2} [AP]M\. Reply here"))
    desk.keyboard.press("Enter")  # sends
    expect(reply).to_have_value("")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text(
        "Hi Maria, your appointment with Dr. Priya Shah")
    reply.press_sequentially("One more thing:")
    desk.keyboard.press("Shift+Enter")
    reply.press_sequentially("bring your insurance card.")
    expect(reply).to_have_value("One more thing:\nbring your insurance card.")
    desk.keyboard.press("Enter")
    expect(reply).to_have_value("")
    # An unfilled placeholder is never sent.
    reply.fill("See you at {appointment_time}")
    desk.keyboard.press("Enter")
    expect(desk.locator("#status")).to_have_text("Fill in the {placeholders} before sending.")
    expect(reply).to_have_value("See you at {appointment_time}")
    reply.fill("")
    seen = patient_sees(stack, patient)
    assert "{appointment_time}" not in seen
    assert "Hi Maria, your appointment with Dr. Priya Shah is on " in seen
    assert "One more thing:\nbring your insurance card." in seen

    # --- a private note ---------------------------------------------------------------------
    desk.get_by_role("textbox", name="Private note").fill("Prefers texts in the morning.")
    desk.get_by_role("button", name="Add note").click()
    expect(card).to_contain_text("Prefers texts in the morning.")
    assert "Prefers texts" not in patient_sees(stack, patient)

    # --- a follow-up close ------------------------------------------------------------------
    texts_before = len(stack.outbox(MARIA_PHONE))
    desk.get_by_label("Close as").select_option("follow_up")
    desk.get_by_role("button", name="Close and hand back to the bot").click()
    expect(desk.locator("#status")).to_have_text("A follow-up needs what needs doing.")
    desk.get_by_label("What needs doing").fill("Confirm the lab refund with billing")
    due = (datetime.now(NY) + timedelta(days=1)).replace(hour=10, minute=0)
    desk.get_by_label("Get back by (clinic time)").fill(due.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_role("button", name="Close and hand back to the bot").click()
    expect(desk.locator("#status")).to_have_text("Closed. The bot has the conversation again.")
    promise = (f"will text you by {due:%a}, {due:%b} {due.day} at 10:00 AM. Until then, "
               "I'm the assistant again if you need anything else.")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text(promise)
    assert promise in patient_sees(stack, patient)
    assert "Thanks for chatting with our team" not in patient_sees(stack, patient)
    # Closed: no reply box, no Accept, no close.
    expect(reply).to_be_hidden()
    expect(desk.get_by_role("button", name="Accept")).to_be_hidden()
    expect(desk.get_by_role("button", name="Close and hand back to the bot")).to_be_hidden()
    assert lowest_text_contrast(desk) >= 4.5
    desk.screenshot(path=str(RESULTS / "desk-follow-up-close.png"))

    # The task is in the team's queue; the agent writes the follow-up.
    task = desk.locator("#task-list li").filter(has_text="Confirm the lab refund with billing")
    expect(task).to_be_visible()
    task.get_by_label("Message to Maria Lopez").fill("Hi Maria, billing confirmed your refund.")
    task.get_by_role("button", name="Send to patient").click()
    expect(desk.locator("#announcer")).to_contain_text(
        re.compile(r"Sent to Maria Lopez\.|It is night at the clinic: it goes at"))
    desk.screenshot(path=str(RESULTS / "desk-follow-up-task.png"))
    # Later delivery: one pass at the clinic's next 8:00 (or now, when written in the day).
    now_ny = datetime.now(NY)
    at = now_ny if 8 <= now_ny.hour < 21 else (
        now_ny.replace(hour=8, minute=0, second=0, microsecond=0)
        + (timedelta(days=1) if now_ny.hour >= 21 else timedelta()))
    run = subprocess.run([sys.executable, "-m", "bot.desk.tools", "deliver", "--at",
                          at.isoformat()], cwd=ROOT, env=stack.env, capture_output=True,
                         text=True, timeout=60, check=True)
    texts = [m["body"] for m in stack.outbox(MARIA_PHONE)[texts_before:]]
    assert texts.count("Hi Maria, billing confirmed your refund.") == 1, (texts, run.stdout)
    again = subprocess.run([sys.executable, "-m", "bot.desk.tools", "deliver", "--at",
                            at.isoformat()], cwd=ROOT, env=stack.env, capture_output=True,
                           text=True, timeout=60, check=True)
    assert again.stdout.strip() == "desk tools: 0 follow-up messages sent"

    # --- closed conversations: an audited look-up, read-only ----------------------------------
    desk.get_by_role("button", name="History").click()
    desk.get_by_label("Patient's full name").fill("Maria Lopez")
    desk.get_by_label("Date of birth").fill("1984-03-12")
    desk.get_by_label("Why you are looking them up (recorded)").fill("Patient called back")
    desk.get_by_role("button", name="Search").click()
    expect(desk.locator("#history-status")).to_contain_text("closed conversation")
    desk.locator("#history-rows tr").first.get_by_role("button").click()
    view = desk.get_by_role("region", name="Closed conversation, read-only")
    expect(view).to_contain_text("Hi Maria, your appointment with Dr. Priya Shah")
    expect(view).to_contain_text("Follow-up needed")
    expect(view).to_contain_text("Prefers texts in the morning.")
    expect(desk.get_by_label("Reply to the patient")).to_be_hidden()
    expect(desk.get_by_role("button", name="Accept")).to_be_hidden()
    desk.screenshot(path=str(RESULTS / "desk-history.png"), full_page=True)
    desk.context.close()


def test_a_spanish_conversation_gets_spanish_replies_and_is_told_of_english_ones(
        browser: Browser, stack: Stack) -> None:  # noqa: F811
    RESULTS.mkdir(parents=True, exist_ok=True)
    session_id, patient = stack.web_session_with_id()
    handoff_id = request_handoff(stack, f"web:{session_id}", verified=True,
                                 patient_id=maria_id(stack), language="es")
    desk = signed_in_desk(browser, stack)
    desk.locator(f"#queue-item-{handoff_id}").click()
    desk.get_by_role("button", name="Accept").click()
    reply = desk.get_by_label("Reply to the patient")
    expect(reply).to_be_focused()

    # Two replies added at the desk: one with its Spanish text, one in English only.
    desk.get_by_role("button", name="Saved replies").click()
    dialog = desk.get_by_role("dialog", name="Saved replies")
    for shortcut, title, body, spanish in (
            ("thanks", "Thanks", "Thanks, {first_name}!", ("Gracias", "¡Gracias, {first_name}!")),
            ("bye", "Bye", "Bye, {first_name}!", None)):
        dialog.get_by_label("Shortcut (after /)").fill(shortcut)
        dialog.get_by_label("Title", exact=True).fill(title)
        dialog.get_by_label("What the patient reads").fill(body)
        if spanish:
            dialog.get_by_label("Spanish title (optional)").fill(spanish[0])
            dialog.get_by_label("What a Spanish-speaking patient reads (optional)").fill(
                spanish[1])
        dialog.get_by_role("button", name="Add reply").click()
        expect(desk.locator("#announcer")).to_have_text(f"Added /{shortcut}.")
    expect(dialog).to_contain_text("Spanish: ¡Gracias, {first_name}!")
    expect(dialog).to_contain_text("No Spanish text: Spanish conversations get the English.")
    dialog.get_by_role("button", name="Close").click()

    reply.press_sequentially("/thanks")
    option = desk.get_by_role("listbox", name="Saved replies").get_by_role("option").first
    expect(option).to_contain_text("Gracias")
    expect(option).not_to_contain_text("In English")
    desk.keyboard.press("Enter")
    expect(reply).to_have_value("¡Gracias, Maria!")
    reply.fill("")
    reply.press_sequentially("/bye")
    expect(option).to_contain_text("In English: no Spanish text saved")
    desk.screenshot(path=str(RESULTS / "desk-saved-reply-english-only.png"))
    desk.keyboard.press("Enter")
    expect(reply).to_have_value("Bye, Maria!")
    expect(desk.locator("#status")).to_have_text(
        "This is in English: /bye has no Spanish text, and this conversation is in Spanish. "
        "Inserted /bye.")

    # The demo reply in Spanish, its date written the Spanish way, reaches the patient.
    reply.fill("")
    reply.press_sequentially("/appt")
    desk.keyboard.press("Enter")
    spanish_appt = re.compile(r"^Hola, Maria\. Su cita con Dr\. Priya Shah es el [^ ]+ \d{1,2} "
                              r"de [a-z]+, \d{1,2}:\d{2} [ap]\. m\. Si ese horario")
    expect(reply).to_have_value(spanish_appt)
    desk.keyboard.press("Enter")
    expect(reply).to_have_value("")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text(
        "Hola, Maria. Su cita con Dr. Priya Shah es el ")
    assert "Hola, Maria. Su cita con Dr. Priya Shah es el " in patient_sees(stack, patient)
    desk.context.close()


def test_no_desk_controls_before_sign_in(browser: Browser, stack: Stack) -> None:  # noqa: F811
    page = browser.new_page()
    page.goto(stack.bot_url + "/desk")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    for name in ("Accept", "Send", "History", "Close and hand back to the bot"):
        expect(page.get_by_role("button", name=name)).to_be_hidden()
    expect(page.get_by_label("Reply to the patient")).to_be_hidden()
    page.close()

