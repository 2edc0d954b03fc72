"""The chat on a health system's own site (/widget.js) in a real Chromium: the site's pages
are served from another origin (tests.support.host_site), with the one script tag."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect

from tests.integration.test_browser import browser  # noqa: F401 (a fixture)
from tests.support.host_site import HostSite
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
RESULTS = Path(__file__).resolve().parents[2] / "var" / "results"
LAUNCHER = re.compile(r"^Chat with us")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the fixture imported above)
    RESULTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def watch(page: Page, stack: Stack) -> tuple[list[str], list[str]]:
    """The page's console errors, and every request it makes to the bot service."""
    errors: list[str] = []
    ours: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: ours.append(r.url.removeprefix(stack.bot_url))
            if r.url.startswith(stack.bot_url) else None)
    return errors, ours


def chat_of(page: Page) -> FrameLocator:
    return page.frame_locator("pa-chat-widget iframe")


def say(chat: FrameLocator, text: str, expect_text: str) -> None:
    chat.get_by_label("Type your message").fill(text)
    chat.get_by_label("Type your message").press("Enter")
    expect(chat.locator(".msg.bot").last).to_contain_text(expect_text)


def launcher(page: Page, name: str | re.Pattern[str] = LAUNCHER) -> Locator:
    return page.get_by_role("button", name=name)


def test_the_conversation_follows_the_patient_across_the_site(
        page: Page, stack: Stack, host_site: HostSite) -> None:
    errors, ours = watch(page, stack)
    page.goto(host_site.allowed_origin + "/billing")
    expect(launcher(page)).to_be_visible()
    expect(launcher(page)).to_have_accessible_name("Chat with us")
    # Nothing is loaded from the chat until the launcher is used.
    assert ours == ["/widget.js"]
    page.screenshot(path=str(RESULTS / "widget-closed.png"))

    launcher(page).click()
    chat = chat_of(page)
    expect(chat.get_by_role("log")).to_contain_text("Questions about your bill?")
    expect(chat.get_by_label("Type your message")).to_be_focused()
    say(chat, "how much do I owe", "first and last name")
    say(chat, "Maria Lopez", "date of birth")
    say(chat, "03/12/1984", "ZIP code")
    say(chat, "02139", "125.40")
    page.screenshot(path=str(RESULTS / "widget-balance.png"))

    # The site's scripts cannot read the conversation, nor does the site keep any of it.
    assert page.evaluate("""() => document.querySelector("pa-chat-widget").shadowRoot
        .querySelector("iframe").contentDocument""") is None
    kept = page.evaluate("() => JSON.stringify({...sessionStorage, ...localStorage})")
    for secret in ("125.40", "Lopez", "02139", "token"):
        assert secret not in kept

    # The site's next page: the panel is open again, with the same conversation (still
    # verified: the balance comes without the questions).
    page.get_by_role("link", name="Appointments").click()
    expect(page).to_have_url(host_site.allowed_origin + "/appointments")
    expect(chat.get_by_role("log")).to_contain_text("Maria Lopez")
    expect(chat.get_by_role("log")).to_contain_text("125.40")
    say(chat, "what's my balance", "125.40")
    page.screenshot(path=str(RESULTS / "widget-second-page.png"))

    # Closed while our team answers: an unread badge, kept on the next page too.
    say(chat, "I'd like to talk to a person", "in line")
    page.get_by_role("button", name="Close chat").click()
    expect(launcher(page)).to_be_focused()
    desk = stack.desk_login()
    item = max((q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
                if q["patient"] == "Maria Lopez" and q["channel"] == "web"
                and q["status"] == "waiting"), key=lambda q: q["id"])
    assert stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk).status_code == 200
    assert stack.desk("POST", f"/api/desk/handoffs/{item['id']}/messages", desk,
                      json={"text": "Hi Maria, this is Sam from billing."}).status_code == 201
    unread = re.compile(r"^Chat with us, \d+ unread messages?$")
    expect(launcher(page)).to_have_accessible_name(unread)
    page.screenshot(path=str(RESULTS / "widget-unread.png"))
    page.get_by_role("link", name="Billing").click()
    expect(launcher(page)).to_have_accessible_name(unread)
    launcher(page).click()
    expect(chat.get_by_role("log")).to_contain_text("this is Sam from billing")
    expect(launcher(page)).to_have_accessible_name("Chat with us")
    stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
               json={"disposition": "resolved"})
    expect(chat.get_by_role("log")).to_contain_text("I'm the assistant again")
    assert errors == []

    # Another tab of the site starts afresh, as /chat does (someone else at this computer).
    other = page.context.new_page()
    other.goto(host_site.allowed_origin + "/billing")
    launcher(other).click()
    expect(chat_of(other).get_by_role("log")).to_contain_text("Questions about your bill?")
    expect(chat_of(other).get_by_role("log")).not_to_contain_text("Maria Lopez")


def test_a_site_not_allowed_gets_no_chat(page: Page, stack: Stack,
                                         host_site: HostSite) -> None:
    errors, ours = watch(page, stack)
    page.goto(host_site.refused_origin + "/billing")
    page.wait_for_load_state("load")
    assert page.locator("pa-chat-widget").count() == 0
    assert ours == ["/widget.js"]
    assert any("WIDGET_ALLOWED_ORIGINS" in e and host_site.refused_origin in e
               for e in errors), errors

    # Framing the chat page itself from there is refused by the browser (frame-ancestors)...
    page.goto(host_site.refused_origin + "/framed")
    page.wait_for_load_state("load")
    framed = page.frame_locator("iframe")
    page.wait_for_timeout(1000)
    assert framed.get_by_role("log").count() == 0
    assert any("frame-ancestors" in e for e in errors), errors
    page.screenshot(path=str(RESULTS / "widget-refused-framed.png"))
    # ...and allowed from the listed site.
    page.goto(host_site.allowed_origin + "/framed")
    expect(page.frame_locator("iframe").get_by_role("log")).to_be_visible()


def test_keyboard_only(page: Page, stack: Stack, host_site: HostSite) -> None:
    page.goto(host_site.allowed_origin + "/appointments")
    expect(launcher(page)).to_be_visible()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("""() => document.activeElement.tagName === "PA-CHAT-WIDGET"
                && document.activeElement.shadowRoot.activeElement.className === "launcher" """):
            break
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Enter")
    chat = chat_of(page)
    expect(chat.get_by_label("Type your message")).to_be_focused()
    page.keyboard.type("how much do I owe")
    page.keyboard.press("Enter")
    expect(chat.locator(".msg.bot").last).to_contain_text("first and last name")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.get_by_label("Type your message")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # the chat's own "End chat", at its top
    expect(chat.get_by_role("button", name="End chat")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # out of the chat, to the panel's close button
    expect(page.get_by_role("button", name="Close chat")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher(page)).to_be_focused()


def test_a_phone_gets_a_full_screen_panel_in_its_language(
        browser: Browser, stack: Stack, host_site: HostSite) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 780}, device_scale_factor=2)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(host_site.allowed_origin + "/es/facturas")  # data-lang="es"
    opener = launcher(page, "Chatee con nosotros")
    expect(opener).to_be_visible()
    page.screenshot(path=str(RESULTS / "widget-phone-closed.png"))
    opener.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 780}
    close = page.get_by_role("button", name="Cerrar chat")
    expect(close).to_be_visible()
    box = close.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    expect(opener).to_be_hidden()
    chat = chat_of(page)
    expect(chat.get_by_label("Escriba su mensaje")).to_be_focused()
    expect(chat.get_by_role("log")).to_contain_text("¡Hola!")
    # The assistant answers in Spanish now: no notice that it speaks English only.
    expect(chat.get_by_role("log")).not_to_contain_text("solo entiende y responde en inglés")
    expect(chat.locator("html")).to_have_attribute("lang", "es")
    page.screenshot(path=str(RESULTS / "widget-phone-open.png"))
    close.click()
    expect(opener).to_be_visible()
    expect(opener).to_be_focused()
    context.close()
