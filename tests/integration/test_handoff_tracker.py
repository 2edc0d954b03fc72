"""The engine's tracker stays whole during a handoff: what the patient and the agent say
while a person has the conversation is appended to it, and the bot answers again after."""

from urllib.parse import quote

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_patient_and_agent_messages_during_a_handoff_reach_the_engines_tracker(
        stack: Stack) -> None:
    session_id, token = stack.web_session_with_id()
    conversation = f"web:{session_id}"
    patient = {"Authorization": f"Bearer {token}"}
    queued = " ".join(str(m["text"]) for m in stack.web_turn(token, "I want to talk to a person"))
    assert "in line" in queued

    desk = stack.desk_login()
    [handoff_id] = [
        q["id"] for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
        if stack.desk("GET", f"/api/desk/handoffs/{q['id']}", desk).json()["context"][
            "conversation_id"] == conversation]
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/accept", desk).status_code == 200
    said = httpx.post(stack.bot_url + "/channels/web/messages", headers=patient, timeout=30,
                      json={"text": "my pharmacy never got the refill"}).json()
    assert said["messages"] == [] and said["state"] == "agent"
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/messages", desk,
                      json={"text": "I'll call the pharmacy for you now."}).status_code == 201

    path = quote(conversation, safe=":+")  # the engine does not unquote the id
    tracker = httpx.get(f"{stack.engine_url}/conversations/{path}/tracker",
                        params={"token": stack.env["ENGINE_TOKEN"]}, timeout=30)
    assert tracker.status_code == 200, tracker.text
    events = tracker.json()["events"]
    users = [e for e in events if e["event"] == "user"]
    bots = [e for e in events if e["event"] == "bot"]
    [during] = [e for e in users if e.get("text") == "my pharmacy never got the refill"]
    assert during["metadata"]["during_handoff"] is True
    assert isinstance(during["parse_data"]["intent"]["name"], str)
    assert any(e.get("text") == "I'll call the pharmacy for you now." for e in bots)
    assert "could not append" not in stack.log("bot")

    # After the close the engine answers again from that tracker.
    assert stack.desk("POST", f"/api/desk/handoffs/{handoff_id}/close", desk,
                      json={"disposition": "resolved"}).status_code == 200
    again = stack.web_turn(token, "how much do I owe")
    assert again and not str(again[0]["text"]).startswith("Sorry, I'm having trouble")
