"""The first real conversation, end to end, through the real processes."""

import re
import sqlite3
import time

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration
MONEY = re.compile(r"\$\d")


def test_everything_is_ready(stack: Stack) -> None:
    body = httpx.get(stack.bot_url + "/readyz").json()
    assert body["checks"] == {"engine": True, "actions": True, "database": True, "redis": True}


def test_engine_api_needs_its_token(stack: Stack) -> None:
    assert httpx.get(stack.engine_url + "/status").status_code == 401
    ok = httpx.get(stack.engine_url + "/status", params={"token": stack.env["ENGINE_TOKEN"]})
    assert ok.status_code == 200


def test_sms_balance_after_date_of_birth(stack: Stack) -> None:
    phone = "+15555550101"
    first = stack.sms_turn(phone, "how much do I owe", "SMit-1")
    assert "date of birth" in first
    assert not MONEY.search(first), "no amount before verification"
    second = stack.sms_turn(phone, "03/12/1984", "SMit-2")
    assert "125.40" in second
    assert "Office visit copay" in second and "Lab work" in second


def test_a_retried_webhook_gets_one_reply(stack: Stack) -> None:
    phone = "+15555550102"
    stack.sms_turn(phone, "hi", "SMit-dup")
    before = len(stack.outbox(phone))
    assert stack.send_sms(phone, "hi", "SMit-dup").status_code == 200
    assert len(stack.outbox(phone)) == before


def test_web_balance_after_name_dob_and_zip(stack: Stack) -> None:
    token = stack.web_session()
    asked = " ".join(str(m["text"]) for m in stack.web_turn(token, "how much do I owe"))
    assert "name" in asked and not MONEY.search(asked)
    asked = " ".join(str(m["text"]) for m in stack.web_turn(token, "Maria Lopez"))
    assert "date of birth" in asked
    asked = " ".join(str(m["text"]) for m in stack.web_turn(token, "03/12/1984"))
    assert "ZIP" in asked and not MONEY.search(asked)
    answer = " ".join(str(m["text"]) for m in stack.web_turn(token, "02139"))
    assert "125.40" in answer


def test_a_number_not_on_file_never_gets_an_amount(stack: Stack) -> None:
    phone = "+15555550199"
    replies = [stack.sms_turn(phone, "how much do I owe", "SMit-u1")]
    for attempt, dob in enumerate(["03/12/1984", "1984-03-12", "March 12 1984"], start=2):
        replies.append(stack.sms_turn(phone, dob, f"SMit-u{attempt}"))
    assert not any(MONEY.search(r) for r in replies), replies
    assert "paused identity checks for 15 minutes" in replies[-1]
    assert "1. Talk to a person" in replies[-1]


def test_verification_ends_after_15_minutes_idle(stack: Stack) -> None:
    session_id, token = stack.web_session_with_id()
    for text in ("how much do I owe", "Maria Lopez", "03/12/1984"):
        stack.web_turn(token, text)
    assert "125.40" in " ".join(str(m["text"]) for m in stack.web_turn(token, "02139"))
    # The patient goes quiet for 16 minutes: age every event of the conversation in the
    # engine's tracker store by that much.
    with sqlite3.connect(stack.env["ENGINE_TRACKER_DB"]) as db:
        # Rasa reads each event's time from its JSON, and sorts on the column: move both.
        moved = db.execute(
            "UPDATE events SET timestamp = timestamp - 960, data = json_set(data, "
            "'$.timestamp', json_extract(data, '$.timestamp') - 960) WHERE sender_id = ?",
            (f"web:{session_id}",)).rowcount
    assert moved > 10
    again = " ".join(str(m["text"]) for m in stack.web_turn(token, "what's my balance"))
    assert "name" in again and not MONEY.search(again), again


def test_replies_go_through_the_twilio_client_and_come_back_delivered(stack: Stack) -> None:
    phone = "+15555550109"  # no patient's: a stranger
    reply = stack.sms_turn(phone, "what can you do", "SMit-tw1")
    sent = [m for m in stack.twilio.messages if m["to"] == phone]
    assert [m["body"] for m in sent] == [reply]
    assert sent[0]["from"] == "+15555550100"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if stack.outbox(phone)[-1]["status"] == "delivered":
            break
        time.sleep(0.1)
    assert stack.outbox(phone)[-1]["status"] == "delivered"


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, read from /proc (no traffic)."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address if len(address) == width else "?")
    return found


def test_engine_and_action_server_listen_on_loopback_and_want_credentials(stack: Stack) -> None:
    loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
    for url in (stack.engine_url, stack.actions_url):
        addresses = listening_addresses(int(url.rsplit(":", 1)[1]))
        assert addresses and addresses <= loopback, (url, addresses)
    # Besides loopback, the action server takes calls only with the engine's token, and the
    # back office behind it needs the service token.
    call = {"next_action": "action_balance", "sender_id": "web:intruder", "version": "3.6.21",
            "tracker": {"sender_id": "web:intruder", "slots": {"verified": True,
                                                             "patient_id": "1"},
                        "latest_message": {}, "events": [], "paused": False},
            "domain": {}}
    webhook = stack.actions_url + "/webhook"
    assert httpx.post(webhook, json=call).status_code == 401
    assert httpx.post(webhook, json=call, params={"token": "guess"}).status_code == 401
    assert httpx.get(stack.actions_url + "/actions").status_code == 401
    assert httpx.get(stack.actions_url + "/health").status_code == 200
    assert httpx.get(stack.actions_url + "/actions",
                     params={"token": stack.env["ACTIONS_TOKEN"]}).status_code == 200
    assert httpx.get(stack.bot_url + "/api/backoffice/patients/1/balance").status_code == 401
