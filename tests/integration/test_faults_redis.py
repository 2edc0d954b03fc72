"""Redis and the database failing under the real processes (issue H).

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
