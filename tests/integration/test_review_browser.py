"""A designer's Review in a real Chromium: a real web chat conversation falls back, the demo
agent (every role in dev) opens Review on the desk, sees the turn and downloads a test story."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, expect

from tests.integration.test_browser import (  # noqa: F401  (browser: the fixture)
    browser,
    phone_page,
    say,
    signed_in_desk,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# Gibberish the model falls back on varies with training ("blorft zzqx" once read as thanks):
# the first of these the served model parses as nlu_fallback is used.
GIBBERISH = ("blorft zzqx", "asdfgh jklqwe", "xkcd zzzz", "zxqv plorb", "qqqq wwww pppp")


def fallback_gibberish(stack: Stack) -> str:
    for text in GIBBERISH:
        resp = httpx.post(stack.engine_url + "/model/parse", json={"text": text}, timeout=30,
                          params={"token": stack.env["ENGINE_TOKEN"]})
        resp.raise_for_status()
        if resp.json()["intent"]["name"] == "nlu_fallback":
            return text
    pytest.fail(f"the model falls back on none of {GIBBERISH}: add another")


def test_a_fallback_shows_in_review_and_becomes_a_test_story(
        browser: Browser, stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    gibberish = fallback_gibberish(stack)
    chat = phone_page(browser)
    chat.goto(stack.bot_url + "/chat")
    expect(chat.get_by_role("log")).to_contain_text("What can I do for you?")
    say(chat, gibberish, "Sorry")
    say(chat, gibberish, "someone from our team")  # the second fallback offers a person

    desk = signed_in_desk(browser, stack, width=1400, height=900)
    desk.get_by_role("button", name="Review").click()

    rows = desk.get_by_role("row").filter(has_text=gibberish)
    expect(rows).to_have_count(2)
    newest, first = rows.nth(0), rows.nth(1)
    expect(newest).to_contain_text("Fallback, Repeat")
    expect(first).to_contain_text("Fallback")
    expect(first).to_contain_text("nlu_fallback")

    # The label box starts on no intent (not the model's guess) and offers no internal ones.
    picker = first.get_by_role("combobox")
    expect(picker).to_have_value("")
    offered = picker.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    assert "out_of_scope" in offered and not [
        o for o in offered if o.startswith(("EXTERNAL_", "outreach_"))], offered
    picker.select_option("out_of_scope")
    with desk.expect_download() as downloading:
        first.get_by_role("button", name="Test story").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.name.startswith("test_review_c") and saved.suffix == ".yml"
    steps = yaml.safe_load(saved.read_text())["stories"][0]["steps"]
    assert [s for s in steps if "user" in s] == [
        {"user": gibberish, "intent": "out_of_scope"},  # the designer's label
        {"user": gibberish, "intent": "nlu_fallback"},
    ]
    assert {"action": "action_fallback"} in steps
    output = desk.get_by_role("region", name="Downloaded YAML")
    expect(output).to_contain_text("intent: out_of_scope")
    assert "web:" not in saved.read_text()  # the sender id never leaves the service

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    desk.screenshot(path=str(SCREENSHOTS / "review.png"), full_page=True)
    chat.context.close()
    desk.context.close()
