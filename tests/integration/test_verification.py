"""Verification through the real processes: no oracle, no lockout a stranger can
trigger, the real time left told. Its own stack and Redis, so other tests' conversations
(James Carter is verified by SMS elsewhere) cannot make these pass or fail."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import redis

from tests.support.redis_server import PrivateRedis, private_redis
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_redis() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture(scope="module")
def stack(own_redis: PrivateRedis) -> Iterator[Stack]:
    with running_stack(redis_url=own_redis.url) as running:
        yield running


def web_turns(stack: Stack, ip: str, texts: list[str]) -> list[str]:
    """A new web chat from one client address (the stack trusts X-Forwarded-For from
    loopback, as behind our load balancer); every reply text, in order."""
    headers = {"X-Forwarded-For": ip}
    token = httpx.post(stack.bot_url + "/channels/web/sessions", headers=headers,
                       timeout=10).json()["token"]
    headers["Authorization"] = f"Bearer {token}"
    said: list[str] = []
    for text in texts:
        resp = httpx.post(stack.bot_url + "/channels/web/messages", json={"text": text},
                          headers=headers, timeout=60)
        resp.raise_for_status()
        said += [str(m["text"]) for m in resp.json()["messages"]]
    return said


def three_tries(name: str, zip_code: str) -> list[str]:
    return ["how much do I owe"] + [name, "01/01/1990", zip_code] * 3


def test_a_patient_and_a_stranger_are_answered_word_for_word_alike(stack: Stack) -> None:
    known = web_turns(stack, "198.51.100.1", three_tries("James Carter", "10001"))
    unknown = web_turns(stack, "198.51.100.2", three_tries("Daniel Novak", "99999"))
    assert known == unknown
    failures = [t for t in known if t.startswith("Sorry, those details don't match")]
    assert failures == ["Sorry, those details don't match our records. You can try 2 more times.",
                        "Sorry, those details don't match our records. You can try 1 more time."]
    assert "paused identity checks for 15 minutes because of several tries" in known[-1]


def test_strangers_on_the_web_never_lock_the_patients_own_phone(stack: Stack) -> None:
    # The reported case (three wrong web tries under James's name), then strangers everywhere.
    for n in range(4):
        web_turns(stack, f"203.0.113.{n}", three_tries("James Carter", "10001"))
    phone = "+15555550102"  # James Carter's number on file
    asked = stack.sms_turn(phone, "how much do I owe", "SMver-1")
    assert "date of birth" in asked
    answer = stack.sms_turn(phone, "11/02/1975", "SMver-2")
    assert "verified" in answer and "paused" not in answer


def test_a_paused_person_is_told_the_real_time_left(stack: Stack,
                                                   own_redis: PrivateRedis) -> None:
    ip = "192.0.2.77"
    # Five failures from one address, over two chats: the address is paused.
    web_turns(stack, ip, three_tries("Daniel Novak", "99999"))
    second = web_turns(stack, ip, ["how much do I owe"] + ["Daniel Novak", "01/01/1990",
                                                           "99999"] * 2)
    assert "paused identity checks for 15 minutes because of several tries" in second[-1]
    # Eleven minutes later: the pause has four minutes left, and a new chat is told so.
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    assert client.ttl(f"verify:lock:ip:{ip}") > 800
    client.expire(f"verify:lock:ip:{ip}", 4 * 60 - 10)
    said = web_turns(stack, ip, ["how much do I owe", "Maria Lopez", "03/12/1984", "02139"])
    assert any("paused identity checks for 4 minutes because of several tries" in t
               for t in said), said
    assert not any("125.40" in t for t in said)


def test_a_name_is_a_name_in_the_verification_form(stack: Stack) -> None:
    # The classifier takes "Peter Nobody" for an emergency; at the name question it is a name.
    said = web_turns(stack, "198.51.100.30", ["how much do I owe", "Peter Nobody"])
    assert "What's your date of birth?" in said[-1], said
    assert not any("emergency" in t or "911" in t for t in said), said
    # Explicit emergency words there still get 911 at once.
    said = web_turns(stack, "198.51.100.31", ["how much do I owe", "my chest hurts"])
    assert any("call 911 now" in t for t in said), said
    assert not any("date of birth" in t for t in said), said


def test_a_record_under_attack_is_told_plainly_and_the_desk_alerted(
        stack: Stack, own_redis: PrivateRedis) -> None:
    listener = redis.Redis.from_url(own_redis.url, decode_responses=True).pubsub()
    listener.subscribe("desk:events")
    # A stranger fails under Maria's name from four addresses: the tenth failure pauses web
    # checks for her record.
    for n in range(4):
        web_turns(stack, f"203.0.113.{40 + n}", three_tries("Maria Lopez", "02139"))
    # Maria, from her own address with her right details, is told so and how to get help
    # now, not that her details don't match; a wrong date of birth hears the same words.
    maria = web_turns(stack, "198.51.100.60",
                      ["how much do I owe", "Maria Lopez", "03/12/1984", "02139"])
    stranger = web_turns(stack, "198.51.100.61",
                         ["how much do I owe", "Maria Lopez", "01/01/1990", "02139"])
    assert maria == stranger
    assert maria[-1] == (
        "For your security, online identity checks for this record are paused for 15 minutes. "
        "To get help now, text us from the phone number we have on file, or call us at "
        "(555) 555-0199.")
    assert not any("don't match" in t or "125.40" in t for t in maria)
    # Her tries were not spent: her address has all of them.
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    assert not client.keys("verify:fails:ip:198.51.100.6*")
    # The desk heard of it once, not once per failure.
    alerts = []
    while (message := listener.get_message(timeout=1.0)) is not None:
        if message["type"] == "message" and '"verification_paused"' in message["data"]:
            alerts.append(message["data"])
    assert len(alerts) == 1 and "Maria Lopez (MRN MRN100101)" in alerts[0]
    listener.close()
