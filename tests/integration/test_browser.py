"""The chat page and the agent desk in a real Chromium (Playwright, system browser)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.stack import Stack

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"],
        )
        yield launched
        launched.close()


def phone_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 390, "height": 780}, device_scale_factor=2)
    context.set_default_timeout(30_000)
    return context.new_page()


def min_timestamp_contrast(page: Page) -> float:
    """The lowest contrast of any message timestamp against its bubble (WCAG formula)."""
    return float(page.evaluate("""() => {
        const lum = (c) => {
            const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
                v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        let worst = 99;
        document.querySelectorAll(".msg .time").forEach((t) => {
            const style = getComputedStyle(t);
            if (parseFloat(style.opacity) < 1) { worst = 0; return; }
            const fg = lum(style.color);
            const bg = lum(getComputedStyle(t.parentElement).backgroundColor);
            const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
            worst = Math.min(worst, ratio);
        });
        return worst;
    }"""))


def signed_in_desk(browser: Browser, stack: Stack, width: int = 1280, height: int = 800
                   ) -> Page:
    """The desk page, signed in as the demo agent."""
    desk = phone_page(browser)
    desk.set_viewport_size({"width": width, "height": height})
    desk.goto(stack.bot_url + "/desk")
    desk.get_by_label("E-mail").fill(stack.env["DESK_DEMO_EMAIL"])
    desk.get_by_label("Password").fill(stack.env["DESK_DEMO_PASSWORD"])
    desk.get_by_role("button", name="Sign in").click()
    return desk


def say(page: Page, text: str, expect_text: str) -> None:
    page.get_by_label("Type your message").fill(text)
    page.get_by_label("Type your message").press("Enter")
    expect(page.get_by_role("log")).to_contain_text(expect_text)


def test_chat_verification_balance_reload_and_handoff(browser: Browser, stack: Stack) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone_page(browser)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(
        str(payload))))
    page.goto(stack.bot_url + "/chat")
    expect(page.get_by_role("log")).to_contain_text("What can I do for you?")
    say(page, "how much do I owe", "first and last name")
    say(page, "Maria Lopez", "date of birth")
    say(page, "03/12/1984", "ZIP code")
    say(page, "02139", "125.40")
    page.screenshot(path=str(ARTIFACTS / "chat-balance.png"))  # what the phone shows

    # Quick replies are buttons: tap one.
    say(page, "can I get a refill of my cholesterol med", "Atorvastatin")  # 0 refills left
    choices = page.get_by_role("group", name="Quick replies")
    expect(choices.get_by_role("button")).to_have_count(2)
    # New quick replies take the focus, are announced, and come right after the last message,
    # before the input (tests/integration/test_webchat_browser.py checks where they show).
    expect(choices.get_by_role("button").first).to_be_focused()
    expect(page.locator("#announce")).to_have_text("2 quick replies: Yes, No")
    assert page.evaluate("""() => {
        const input = document.getElementById("text");
        const choice = document.querySelector("#choices button");
        return !!(choice.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert min_timestamp_contrast(page) >= 4.5
    choices.get_by_role("button").first.click()
    expect(page.get_by_role("log")).to_contain_text("I've asked your prescriber to renew")

    # After the first message (REST, while the socket opens) the chat runs on the WebSocket.
    assert any('"text": "02139"' in f or '"text":"02139"' in f for f in frames), frames

    page.reload()
    log = page.get_by_role("log")
    expect(log).to_contain_text("125.40")
    expect(log).to_contain_text("Maria Lopez")

    # Ask for a person; the agent answers from the desk; the page shows it live.
    say(page, "I'd like to talk to a person", "in line")
    expect(page.get_by_role("status")).to_contain_text("Waiting for someone from our team")

    desk = signed_in_desk(browser, stack)
    item = desk.get_by_role("option").filter(has_text="Maria Lopez").first
    expect(item).to_be_visible()
    item.click()
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text("how much do I owe")
    expect(desk.get_by_role("complementary", name="Patient context")).to_contain_text("$125.40")
    desk.get_by_role("button", name="Accept").click()
    desk.get_by_label("Reply to the patient").fill("Hi Maria, this is Sam. How can I help?")
    desk.get_by_role("button", name="Send").click()

    expect(page.get_by_role("log")).to_contain_text("Hi Maria, this is Sam.")
    expect(page.get_by_role("status")).to_contain_text("You are now talking to Sam")
    say(page, "Can I get a receipt for my last visit?", "receipt")
    expect(desk.get_by_role("log", name="Transcript")).to_contain_text("receipt for my last visit")
    desk.screenshot(path=str(ARTIFACTS / "desk-conversation.png"))
    page.screenshot(path=str(ARTIFACTS / "chat-with-agent.png"))  # what the phone shows

    desk.get_by_role("button", name="Close and hand back to the bot").click()
    expect(page.get_by_role("log")).to_contain_text("I'm the assistant again")
    say(page, "what's my balance", "125.40")
    page.context.close()
    desk.context.close()


def test_desk_login_refuses_a_wrong_password(browser: Browser, stack: Stack) -> None:
    page = phone_page(browser)
    page.goto(stack.bot_url + "/desk")
    page.get_by_label("E-mail").fill(stack.env["DESK_DEMO_EMAIL"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_contain_text("don't match")
    page.context.close()
