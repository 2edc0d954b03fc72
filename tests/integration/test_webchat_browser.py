"""Patients on the web chat page, in a real Chromium on a phone-sized screen: the quick
replies where the thumb is, the greeting's starting choices, "End chat" for a shared
computer, and an anonymous visitor's emergency asking for a number to be called back on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.backoffice.enums import RefillStatus
from bot.backoffice.models import Patient, Prescription, RefillRequest
from bot.backoffice.pharmacy import OPEN_STATUSES
from bot.db import make_engine
from tests.integration.test_browser import browser  # noqa: F401 (a fixture)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
RESULTS = Path(__file__).resolve().parents[2] / "var" / "results"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the fixture imported above)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # A phone: 390 x 844 CSS pixels, touch.
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def say(page: Page, text: str, expect_text: str) -> None:
    box = page.get_by_role("textbox")  # "Type your message" / "Escriba su mensaje"
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".msg.bot").last).to_contain_text(expect_text)


def layout(page: Page) -> dict[str, float | bool]:
    """Where the quick replies are: in the page's order (after the log's last message,
    before the text box) and on screen (below the last message, above the text box)."""
    return dict(page.evaluate("""() => {
        const log = document.getElementById("log");
        const last = log.lastElementChild.getBoundingClientRect();
        const choices = document.getElementById("choices");
        const box = choices.getBoundingClientRect();
        const input = document.getElementById("text");
        const field = input.getBoundingClientRect();
        const follows = (a, b) => !!(a.compareDocumentPosition(b)
                                     & Node.DOCUMENT_POSITION_FOLLOWING);
        const order = [...document.querySelectorAll("#log .msg, #choices button, #text")];
        return {
            after_log: follows(log, choices) && follows(log.lastElementChild, choices),
            before_input: follows(choices, input),
            // the next thing a screen reader meets after the last message
            next_after_last: order[order.indexOf(log.lastElementChild) + 1]
                === choices.querySelector("button"),
            below_last: box.top >= last.bottom - 1,
            above_input: box.bottom <= field.top + 1,
            last_bottom: last.bottom, choices_top: box.top, choices_bottom: box.bottom,
            input_top: field.top, input_bottom: field.bottom,
            viewport: window.innerHeight,
        };
    }"""))


def assert_thumb_layout(page: Page) -> None:
    where = layout(page)
    assert where["after_log"] and where["before_input"] and where["next_after_last"], where
    assert where["below_last"] and where["above_input"], where
    # The text box is still on screen, under the choices.
    assert 0 <= where["input_top"] and where["input_bottom"] <= where["viewport"], where


def no_open_request(stack: Stack, phone: str, medication: str) -> None:
    """Earlier modules in the shared stack may have asked to renew it already (then no Yes/No
    is offered): their requests are settled as the prescriber would."""
    with Session(make_engine(stack.env["DATABASE_URL"])) as session:
        ids = select(Prescription.id).join(Patient, Patient.id == Prescription.patient_id).where(
            Patient.phone == phone, Prescription.medication == medication)
        session.execute(update(RefillRequest).where(
            RefillRequest.prescription_id.in_(ids), RefillRequest.status.in_(OPEN_STATUSES))
            .values(status=RefillStatus.denied))
        session.commit()


def test_quick_replies_sit_after_the_last_message_where_the_thumb_is(
        phone: Page, stack: Stack) -> None:
    no_open_request(stack, "+15555550101", "Atorvastatin")  # Maria Lopez
    phone.goto(stack.bot_url + "/chat")
    log = phone.get_by_role("log")
    expect(log).to_contain_text("What can I do for you?")
    choices = phone.get_by_role("group", name="Quick replies")
    # The greeting's starting choices; the page opens on the text box all the same.
    expect(choices.get_by_role("button")).to_have_text(
        ["Bills", "Appointments", "Refills", "Talk to a person"])
    expect(phone.get_by_label("Type your message")).to_be_focused()
    assert_thumb_layout(phone)
    phone.screenshot(path=str(RESULTS / "webchat-phone-greeting.png"))

    # A tap goes into that flow (verification first), recorded as the patient saw it.
    choices.get_by_role("button", name="Refills").click()
    expect(phone.locator(".msg.patient").last).to_contain_text("Refills")
    expect(phone.locator(".msg.bot").last).to_contain_text("first and last name")
    say(phone, "Maria Lopez", "date of birth")
    say(phone, "03/12/1984", "ZIP code")
    say(phone, "02139", "Which medication")
    say(phone, "atorvastatin", "no refills left")  # renew it? Yes / No
    expect(choices.get_by_role("button")).to_have_count(2)
    expect(choices.get_by_role("button").first).to_be_focused()
    assert_thumb_layout(phone)
    phone.screenshot(path=str(RESULTS / "webchat-phone-quick-replies.png"))


@pytest.mark.parametrize(("lang", "name_question"), [
    ("en", "first and last name"), ("es", "nombre y apellido")])
def test_the_greeting_choices_lead_into_their_flows_in_both_languages(
        phone: Page, stack: Stack, lang: str, name_question: str) -> None:
    phone.goto(stack.bot_url + f"/chat?lang={lang}")
    group = "Quick replies" if lang == "en" else "Respuestas rápidas"
    choices = phone.get_by_role("group", name=group)
    titles = (["Bills", "Appointments", "Refills", "Talk to a person"] if lang == "en"
              else ["Facturas", "Citas", "Resurtidos", "Hablar con una persona"])
    expect(choices.get_by_role("button")).to_have_text(titles)
    choices.get_by_role("button", name=titles[0]).click()
    expect(phone.locator(".msg.bot").last).to_contain_text(name_question)
    phone.reload()  # the transcript keeps the choice's words, not its payload
    expect(phone.locator(".msg.patient").first).to_contain_text(titles[0])
    expect(phone.get_by_role("log")).not_to_contain_text("/billing_balance")
    # A fresh chat: "a person" puts the visitor in line for our team.
    phone.get_by_role("button", name="End chat" if lang == "en" else "Terminar el chat").click()
    phone.get_by_role("group", name=group).get_by_role("button", name=titles[3]).click()
    expect(phone.locator(".msg.bot").last).to_contain_text(
        "in line" if lang == "en" else "en la fila")
    phone.screenshot(path=str(RESULTS / f"webchat-greeting-person-{lang}.png"))


# Spanish with Rosa Martínez, who prefers it: a patient verified on a Spanish page has
# Spanish kept on her record, which would change what later modules expect of Maria.
PATIENTS = {"en": ("Maria Lopez", "03/12/1984", "02139", "125.40"),
            "es": ("Rosa Martínez", "30 de septiembre de 1968", "33125", "62.00")}


@pytest.mark.parametrize(("lang", "label"), [("en", "End chat"), ("es", "Terminar el chat")])
def test_end_chat_clears_the_page_at_once_for_the_next_person(
        phone: Page, stack: Stack, lang: str, label: str) -> None:
    name, dob, zip_code, balance = PATIENTS[lang]
    phone.goto(stack.bot_url + f"/chat?lang={lang}")
    end = phone.get_by_role("button", name=label)
    expect(end).to_be_hidden()  # nothing to end yet
    ask, name_q, dob_q, zip_q = (
        ("how much do I owe", "first and last name", "date of birth", "ZIP code") if lang == "en"
        else ("cuánto debo", "nombre y apellido", "fecha de nacimiento", "código postal"))
    say(phone, ask, name_q)
    say(phone, name, dob_q)
    say(phone, dob, zip_q)
    say(phone, zip_code, balance)
    expect(end).to_be_visible()
    token = phone.evaluate("() => JSON.parse(sessionStorage.getItem('patient-chat')).token")
    phone.screenshot(path=str(RESULTS / f"webchat-end-before-{lang}.png"))

    end.click()
    log = phone.get_by_role("log")
    for gone in (balance, name, zip_code, ask):
        expect(log).not_to_contain_text(gone)
    expect(log).to_contain_text("¡Hola!" if lang == "es" else "What can I do for you?")
    expect(end).to_be_hidden()
    expect(phone.get_by_label("Type your message" if lang == "en" else "Escriba su mensaje")
           ).to_be_focused()
    kept = phone.evaluate("() => JSON.stringify({...sessionStorage, ...localStorage})"
                          " + document.cookie")
    assert kept == "{}", kept
    # The service ended the session too: its token reads nothing any more.
    history = httpx.get(stack.bot_url + "/channels/web/history", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})
    assert history.status_code == 401
    phone.screenshot(path=str(RESULTS / f"webchat-end-after-{lang}.png"))

    phone.reload()
    expect(log).to_contain_text("¡Hola!" if lang == "es" else "What can I do for you?")
    for gone in (balance, name, zip_code, ask):
        expect(log).not_to_contain_text(gone)
    assert phone.locator(".msg").count() == 1  # the greeting alone


def test_an_anonymous_emergency_is_told_911_and_asked_for_a_number(
        phone: Page, stack: Stack) -> None:
    phone.goto(stack.bot_url + "/chat")
    say(phone, "I have crushing chest pain and I can't breathe", "type a phone number")
    replies = phone.locator(".msg.bot")
    expect(replies.nth(-2)).to_contain_text("call 911 now")  # 911 first
    expect(replies.last).to_contain_text(
        "Don't wait for us: call 911 now. I've also alerted our nurse line, but they have no "
        "way to reach you from this chat. Please type a phone number where they can call you.")
    expect(phone.get_by_role("log")).not_to_contain_text("reach out right away")
    say(phone, "617-555-0123", "Our nurse line has your number, (617) 555-0123")
    phone.screenshot(path=str(RESULTS / "webchat-emergency-callback.png"))

    # The nurse line's desk has it: urgent, on the nurse line, with the number to call.
    desk = stack.desk_login()
    [item] = [q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
              if q["patient"] == "Unverified web visitor, call back …0123"]
    assert (item["urgency"], item["team"], item["channel"]) == ("urgent", "nurse", "web")
    detail = stack.desk("GET", f"/api/desk/handoffs/{item['id']}", desk).json()
    assert detail["context"]["phone"] == "+16175550123"
    assert [t["text"] for t in detail["transcript"] if t["role"] == "patient"][-1] == (
        "617-555-0123")


def test_our_payment_link_can_be_tapped_and_nothing_typed_becomes_a_link(
        phone: Page, stack: Stack) -> None:
    phone.goto(stack.bot_url + "/chat")
    say(phone, "I want to pay my bill", "first and last name")
    say(phone, "Maria Lopez", "date of birth")  # a link is made, nothing is paid
    say(phone, "03/12/1984", "ZIP code")
    say(phone, "02139", "/pay/")
    link = phone.locator(".msg.bot").last.get_by_role("link")
    expect(link).to_have_count(1)
    href = link.get_attribute("href") or ""
    assert href.startswith(stack.bot_url + "/pay/"), href
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    phone.screenshot(path=str(RESULTS / "webchat-payment-link.png"))

    # A patient's words never become a link, whatever the host.
    box = phone.get_by_role("textbox")
    box.fill(f"is {stack.bot_url}/pay/x or https://example.com/pay safe?")
    box.press("Enter")
    expect(phone.locator(".msg.patient").last).to_contain_text("example.com/pay safe?")
    expect(phone.locator(".msg.patient").last.get_by_role("link")).to_have_count(0)

    # An agent's message: only an address of ours is a link.
    say(phone, "I'd like to talk to a person", "in line")
    desk = stack.desk_login()
    queue = stack.desk("GET", "/api/desk/handoffs", desk).json()
    mine = [q for q in queue if q["patient"] == "Maria Lopez" and q["channel"] == "web"]
    assert mine, queue
    handoff = max(mine, key=lambda q: q["id"])["id"]
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff}/accept", desk).status_code == 200
    sent = stack.desk("POST", f"/api/desk/handoffs/{handoff}/messages", desk, json={
        "text": f"Pay at {stack.bot_url}/pay/demo, not at https://pay-example.com/bill"})
    assert sent.status_code in (200, 201), sent.text
    agent = phone.locator(".msg.agent").last
    expect(agent).to_contain_text("https://pay-example.com/bill")
    expect(agent.get_by_role("link")).to_have_count(1)
    assert agent.get_by_role("link").get_attribute("href") == stack.bot_url + "/pay/demo"
    phone.screenshot(path=str(RESULTS / "webchat-agent-links.png"))
    stack.desk("POST", f"/api/desk/handoffs/{handoff}/close", desk, json={})
