"""Warm handoff through the real stack: patient → bot → agent → bot, on both channels."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def texts(messages: list[dict[str, object]]) -> str:
    return " ".join(str(m["text"]) for m in messages)




def test_web_patient_to_agent_and_back(stack: Stack) -> None:
    token = stack.web_session()
    session_id = httpx.get(stack.bot_url + "/channels/web/history",
                           headers={"Authorization": f"Bearer {token}"}).status_code
    assert session_id == 200
    stack.web_turn(token, "how much do I owe")
    stack.web_turn(token, "Maria Lopez")
    stack.web_turn(token, "03/12/1984")
    assert "125.40" in texts(stack.web_turn(token, "02139"))

    # The reply that queues the handoff already shows the chat waiting for a person (the
    # handoff action tells the bot service so in its message's custom payload).
    asked = httpx.post(stack.bot_url + "/channels/web/messages",
                       json={"text": "I want to talk to a real person"},
                       headers={"Authorization": f"Bearer {token}"}, timeout=60).json()
    assert (asked["state"], asked["agent"]) == ("waiting", None)
    queued = texts(asked["messages"])
    assert "number 1 in line" in queued or "in line" in queued

    desk = stack.desk_login()
    queue = stack.desk("GET", "/api/desk/handoffs", desk).json()
    # Other modules' conversations may still wait in the shared stack: ours is the newest.
    mine = [q for q in queue if q["patient"] == "Maria Lopez" and q["channel"] == "web"]
    assert mine, queue
    item = max(mine, key=lambda q: q["id"])
    detail = stack.desk("GET", f"/api/desk/handoffs/{item['id']}", desk).json()
    context = detail["context"]
    assert context["verified"] is True
    assert context["verification_method"] == "full name + date of birth + ZIP code"
    assert context["patient"]["balance_cents"] == 12540
    assert "billing_balance" in context["intents"]
    spoken = [t["text"] for t in detail["transcript"]]
    assert "how much do I owe" in spoken and any("125.40" in t for t in spoken)

    # While waiting, the engine stays out of it; the message is acknowledged (desk teams).
    waiting = httpx.post(stack.bot_url + "/channels/web/messages", json={"text": "hello?"},
                         headers={"Authorization": f"Bearer {token}"}).json()
    assert (waiting["state"], waiting["agent"]) == ("waiting", None)
    assert [m["text"][:43] for m in waiting["messages"]] == [
        "Got it, I've passed that on. Our billing of"]

    assert stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk).status_code == 200
    sent = stack.desk("POST", f"/api/desk/handoffs/{item['id']}/messages", desk,
                      json={"text": "Hi Maria, this is Sam. How can I help?"})
    assert sent.status_code == 201
    answer = httpx.post(stack.bot_url + "/channels/web/messages",
                        json={"text": "can I pay it in two parts?"},
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert answer == {"messages": [], "state": "agent", "agent": "Sam"}
    detail = stack.desk("GET", f"/api/desk/handoffs/{item['id']}", desk).json()
    assert [t["text"] for t in detail["transcript"]][-1] == "can I pay it in two parts?"

    closed = stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
                        json={"disposition": "resolved"})
    assert closed.status_code == 200
    # The bot answers again, and the patient is still verified in this session.
    again = texts(stack.web_turn(token, "what's my balance"))
    assert "125.40" in again


def test_sms_patient_to_agent_and_back(stack: Stack) -> None:
    phone = "+15555550102"  # James Carter (maybe verified already in this session)
    reply = stack.sms_turn(phone, "what do i owe", "SMho-1")
    if "date of birth" in reply:
        reply = stack.sms_turn(phone, "11/02/1975", "SMho-2")
    assert "don't owe anything" in reply
    queued = stack.sms_turn(phone, "agent please", "SMho-3")
    assert "in line" in queued

    desk = stack.desk_login()
    [item] = [q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
              if q["patient"] == "James Carter"]
    stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk)
    before = len(stack.outbox(phone))
    stack.desk("POST", f"/api/desk/handoffs/{item['id']}/messages", desk,
               json={"text": "Hi James, Sam here."})
    assert stack.outbox_after(phone, before) == ["Hi James, Sam here."]

    count = len(stack.outbox(phone))
    assert stack.send_sms(phone, "thanks Sam, one more question", "SMho-4").status_code == 200
    time.sleep(1.5)
    assert len(stack.outbox(phone)) == count, "the bot stays silent while the agent has it"
    detail = stack.desk("GET", f"/api/desk/handoffs/{item['id']}", desk).json()
    assert detail["transcript"][-1]["text"] == "thanks Sam, one more question"

    # A follow-up close must say what will be done and by when; the patient is told who will
    # get back to them and by when, and the bot is back meanwhile.
    refused = stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
                         json={"disposition": "follow_up"})
    assert refused.status_code == 422
    stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
               json={"disposition": "follow_up",
                     "follow_up": {"what": "Check the lab charge with billing",
                                   "due_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}})
    notice = stack.outbox_after(phone, count)
    assert notice and "will text you" in notice[0] and "assistant again" in notice[0]
    assert "don't owe anything" in stack.sms_turn(phone, "do I owe anything?", "SMho-5")


def test_emergency_raises_an_urgent_handoff(stack: Stack) -> None:
    reply = stack.sms_turn("+15555550103", "i have crushing chest pain and cant breathe",
                           "SMho-e1")
    assert "911" in reply
    desk = stack.desk_login()
    urgent = [q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
              if q["urgency"] == "urgent"]
    assert urgent and urgent[0]["reason"] == "emergency"
    queue = stack.desk("GET", "/api/desk/handoffs", desk).json()
    assert queue[0]["urgency"] == "urgent", "urgent first"


def test_a_person_asked_for_about_the_bill_gets_its_help_then_the_billing_team(
        stack: Stack) -> None:
    """The real engine: 'about my bill' offers the billing help first (buttons); 'Talk to a
    person' then queues the conversation for the billing team, not the general one."""
    token = stack.web_session()
    offered = stack.web_turn(token, "I want to talk to someone about my bill")
    assert texts(offered).startswith("I can help with your bill right here"), offered
    assert [b["title"] for b in offered[-1]["buttons"]] == [
        "My balance", "A question about a charge", "A payment plan", "Talk to a person"]
    desk = stack.desk_login()
    before = {q["id"] for q in stack.desk("GET", "/api/desk/handoffs", desk).json()}
    queued = texts(stack.web_turn(token, "/human_handoff"))
    assert "in line" in queued or "closed" in queued, queued
    [item] = [q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
              if q["id"] not in before]
    assert (item["channel"], item["team"]) == ("web", "billing"), item
