"""Redis and the database failing under the real processes.

Redis is a private real `redis-server`, paused with SIGSTOP (connections are still accepted,
nothing answers: a hung Redis) and resumed with SIGCONT. The database is the stack's SQLite
file, held under a write lock by this test (a database that hangs). Checked: nothing lost,
nothing answered twice, the patient told something within 10 s.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.integration.test_browser import CHROMIUM
from tests.support.redis_server import PrivateRedis, private_redis
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration
TOLD_WITHIN = 10.0


@pytest.fixture(scope="module")
def own_redis() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
def stack(own_redis: PrivateRedis) -> Iterator[Stack]:
    with running_stack(redis_url=own_redis.url) as running:
        yield running


def test_an_sms_sent_while_redis_hangs_is_kept_and_answered_once_it_is_back(
        stack: Stack, own_redis: PrivateRedis) -> None:
    phone = "+15555550101"  # Maria Lopez
    before = len(stack.outbox(phone))
    with own_redis.paused():
        started = time.monotonic()
        resp = stack.send_sms(phone, "how much do I owe", "SMfault-r1")
        took = time.monotonic() - started
        assert resp.status_code == 200, resp.text  # Twilio is answered: it never retries
        assert took < 2.0, f"Twilio waited {took:.1f}s"
        assert stack.send_sms(phone, "how much do I owe", "SMfault-r1").status_code == 200
        time.sleep(3)
    resumed = time.monotonic()
    replies = stack.outbox_after(phone, before, timeout=TOLD_WITHIN)
    told_after = time.monotonic() - resumed
    assert replies, f"no reply within {TOLD_WITHIN}s of Redis coming back"
    print(f"SMS during a Redis pause: webhook {took:.2f}s, answered {told_after:.1f}s "
          "after the resume")
    assert "date of birth" in replies[0]
    time.sleep(4)  # two more passes of the retry loop, and the retried webhook: nothing more
    assert len(stack.outbox(phone)) == before + 1


def test_web_chat_gets_a_quick_503_while_redis_hangs_then_one_answer(
        stack: Stack, own_redis: PrivateRedis) -> None:
    session_id, token = stack.web_session_with_id()
    auth = {"Authorization": f"Bearer {token}"}
    message = {"text": "how much do I owe", "client_id": "fault-redis-web-1"}
    with own_redis.paused():
        started = time.monotonic()
        resp = httpx.post(stack.bot_url + "/channels/web/messages", json=message,
                          headers=auth, timeout=30)
        took = time.monotonic() - started
    assert resp.status_code == 503
    assert took < 3.0, f"503 after {took:.1f}s"
    assert resp.json()["detail"] == ("Sorry, I'm having a brief technical problem. I'll keep "
                                     "trying to send your message.")
    print(f"web chat during a Redis pause: 503 in {took:.2f}s")
    # The page sends the same message again (same client id) once Redis is back.
    again = httpx.post(stack.bot_url + "/channels/web/messages", json=message, headers=auth,
                       timeout=60)
    assert again.status_code == 200
    assert "name" in " ".join(m["text"] for m in again.json()["messages"])
    history = httpx.get(stack.bot_url + "/channels/web/history", headers=auth, timeout=10)
    said = [m["text"] for m in history.json()["messages"] if m["role"] == "patient"]
    assert said == ["how much do I owe"], "taken once"


def test_an_sms_while_the_database_hangs_gets_twilio_a_quick_503_and_is_not_half_kept(
        stack: Stack) -> None:
    phone = "+15555550103"  # Aisha Khan
    before = len(stack.outbox(phone))
    path = stack.env["DATABASE_URL"].split("///", 1)[1]
    holder = sqlite3.connect(path, timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # every other writer waits
    try:
        started = time.monotonic()
        resp = stack.send_sms(phone, "hello", "SMfault-db1")
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert resp.status_code == 503  # Twilio's fallback URL answers this patient
    assert took < 5.0, f"Twilio waited {took:.1f}s"
    print(f"SMS while the database hangs: 503 in {took:.2f}s")
    time.sleep(4)
    with sqlite3.connect(path) as db:
        kept = db.execute("SELECT count(*) FROM sms_inbound WHERE message_sid = 'SMfault-db1'")
        assert kept.fetchone()[0] == 0  # nothing half-kept to be answered a second time
    assert len(stack.outbox(phone)) == before
    # With the database back, the next text is kept and answered as usual.
    assert "date of birth" in stack.sms_turn(phone, "how much do I owe", "SMfault-db2")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--no-first-run"])
        yield launched
        launched.close()


def test_the_chat_page_shows_the_problem_and_sends_the_message_once_redis_is_back(
        stack: Stack, own_redis: PrivateRedis, browser: Browser) -> None:
    page = browser.new_page()
    page.set_default_timeout(30_000)
    page.goto(stack.bot_url + "/chat")
    box = page.get_by_label("Type your message")
    box.fill("hi")
    box.press("Enter")
    expect(page.locator(".msg.bot")).to_have_count(2)  # the greeting, and the answer to "hi"
    page.wait_for_timeout(500)  # the socket is open by now: the page sends over it first
    with own_redis.paused():
        box.fill("how much do I owe")
        box.press("Enter")
        expect(page.locator(".notice")).to_have_text(
            "Sorry, I'm having a brief technical problem. I'll keep trying to send your "
            "message.", timeout=int(TOLD_WITHIN * 1000))
        page.wait_for_timeout(3000)
    # Sent again by the page on its own once Redis answers: one answer, shown once.
    expect(page.locator(".msg.bot").last).to_contain_text("name", timeout=15_000)
    token = page.evaluate("JSON.parse(sessionStorage.getItem('patient-chat')).token")
    history = httpx.get(stack.bot_url + "/channels/web/history", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).json()
    said = [m["text"] for m in history["messages"] if m["role"] == "patient"]
    assert said == ["hi", "how much do I owe"]
    expect(page.locator(".msg.patient")).to_have_count(2)
    page.close()
