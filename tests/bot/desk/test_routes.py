from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit.models import AuditEvent
from bot.backoffice.models import Patient

SERVICE = {"Authorization": "Bearer test-backoffice-token"}


def login(client, email: str = "ana@example.org", password: str = "ana-pass-123") -> dict[str, str]:
    resp = client.post("/api/desk/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def open_handoff(client, conv: str, **extra: object) -> int:
    resp = client.post("/api/handoffs", headers=SERVICE,
                       json={"conversation_id": conv, "reason": "requested", **extra})
    assert resp.status_code == 200, resp.text
    return int(resp.json()["handoff_id"])


def test_login_refuses_wrong_passwords(client, agents) -> None:
    assert client.post("/api/desk/login", json={"email": "ana@example.org",
                                                "password": "nope"}).status_code == 401
    assert client.post("/api/desk/login", json={"email": "who@example.org",
                                                "password": "ana-pass-123"}).status_code == 401
    login(client)


def test_every_desk_endpoint_refuses_anyone_else(client, agents) -> None:
    handoff_id = open_handoff(client, "web:s1")
    patient = client.post("/channels/web/sessions").json()["token"]
    for headers in ({}, {"Authorization": f"Bearer {patient}"}, SERVICE,
                    {"Authorization": "Bearer made-up"}):
        assert client.get("/api/desk/handoffs", headers=headers).status_code == 401
        assert client.get(f"/api/desk/handoffs/{handoff_id}", headers=headers).status_code == 401
        for action in ("accept", "close"):
            resp = client.post(f"/api/desk/handoffs/{handoff_id}/{action}", headers=headers,
                               json={})
            assert resp.status_code == 401
        resp = client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=headers,
                           json={"text": "hi"})
        assert resp.status_code == 401
    assert client.get("/api/desk/events", params={"token": patient}).status_code == 401


def test_handoff_requests_need_the_service_token(client, agents) -> None:
    body = {"conversation_id": "web:x", "reason": "requested"}
    assert client.post("/api/handoffs", json=body).status_code == 401
    desk = login(client)
    assert client.post("/api/handoffs", json=body, headers=desk).status_code == 401


def test_web_handoff_from_queue_to_close(client, seeded: Session, agents) -> None:
    session = client.post("/channels/web/sessions").json()
    patient = {"Authorization": f"Bearer {session['token']}"}
    conv = f"web:{session['session_id']}"
    maria = seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()
    handoff_id = open_handoff(client, conv, verified=True, patient_id=maria,
                              intents=["billing_balance", "human_handoff"])
    ana, ben = login(client), login(client, "ben@example.org", "ben-pass-456")

    [item] = client.get("/api/desk/handoffs", headers=ana).json()
    assert (item["id"], item["status"], item["patient"]) == (handoff_id, "waiting", "Maria Lopez")

    # The patient writes while waiting: it goes to the desk, and is acknowledged once (the
    # engine stays out of it); a second message right after is not acknowledged again.
    reply = client.post("/channels/web/messages", json={"text": "are you there?"},
                        headers=patient).json()
    assert reply["state"] == "waiting" and reply["agent"] is None
    assert [m["text"] for m in reply["messages"]] == [
        "Got it, I've passed that on. Our billing office will see it when they pick up your "
        "conversation: you're number 1 in line, about 3 minutes."]
    reply = client.post("/channels/web/messages", json={"text": "hello?"},
                        headers=patient).json()
    assert reply == {"messages": [], "state": "waiting", "agent": None}

    assert client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ana).status_code == 200
    assert client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ben).status_code == 409
    detail = client.get(f"/api/desk/handoffs/{handoff_id}", headers=ana).json()
    assert detail["context"]["patient"]["name"] == "Maria Lopez"
    assert detail["context"]["verified"] is True
    assert [t["role"] for t in detail["transcript"]] == ["patient", "system", "patient", "system"]
    views = seeded.scalars(select(AuditEvent).where(AuditEvent.action == "view_handoff")).all()
    assert len(views) == 1

    sent = client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ana,
                       json={"text": "Hi Maria, I can help with your bill."})
    assert sent.status_code == 201
    not_mine = client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ben,
                           json={"text": "me too"})
    assert not_mine.status_code == 403

    history = client.get("/channels/web/history", headers=patient).json()
    assert history["state"] == "agent"
    assert [m["role"] for m in history["messages"]] == [
        "patient", "system", "patient", "system", "agent"]

    closed = client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana,
                         json={"disposition": "resolved"})
    assert closed.status_code == 200
    assert client.get("/api/desk/handoffs", headers=ana).json() == []
    assert client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana,
                       json={}).status_code == 409
    # The bot has the conversation again (here its engine is down: the apology proves it).
    back = client.post("/channels/web/messages", json={"text": "thanks"}, headers=patient).json()
    assert back["state"] == "bot"
    assert back["messages"][0]["text"].startswith("Sorry, I'm having trouble")


def test_sms_agent_messages_go_through_the_outbound_sender(client, agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550102")
    ana = login(client)
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ana)
    client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ana,
                json={"text": "Hello from the front desk."})
    bodies = [m["body"] for m in client.get("/dev/outbox",
                                            params={"to": "+15555550102"}).json()]
    assert bodies == ["You're now chatting with Ana from our team.",
                      "Hello from the front desk."]


def test_agent_messages_carry_the_agents_name(client, seeded: Session, agents) -> None:
    """Two agents reply in one conversation: the transcript says who wrote each message,
    in the open handoff and in the closed one's history."""
    handoff_id = open_handoff(client, "sms:+15555550103")
    ana, ben = login(client), login(client, "ben@example.org", "ben-pass-456")
    ben_id = seeded.scalars(select(Agent.id).where(Agent.email == "ben@example.org")).one()
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ana)
    client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ana,
                json={"text": "Let me check that."})
    moved = client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=ana,
                        json={"agent_id": ben_id, "note": "Ben knows refunds"})
    assert moved.status_code == 200, moved.text
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ben)
    client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ben,
                json={"text": "The refund is on its way."})
    detail = client.get(f"/api/desk/handoffs/{handoff_id}", headers=ben).json()
    assert [(t["agent"], t["text"]) for t in detail["transcript"] if t["role"] == "agent"] == [
        ("Ana", "Let me check that."), ("Ben", "The refund is on its way.")]
    # Notices name nobody as their author (the words say who, when they need to).
    assert {t["agent"] for t in detail["transcript"] if t["role"] != "agent"} == {None}
    client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ben, json={})
    closed = client.get(f"/api/desk/history/{handoff_id}", headers=ben).json()
    assert [t["agent"] for t in closed["transcript"] if t["role"] == "agent"] == ["Ana", "Ben"]
    # The patient's texts are the words alone, as before.
    bodies = [m["body"] for m in client.get("/dev/outbox",
                                            params={"to": "+15555550103"}).json()]
    assert "The refund is on its way." in bodies


def test_unknown_handoff_is_404(client, agents) -> None:
    ana = login(client)
    assert client.get("/api/desk/handoffs/99999", headers=ana).status_code == 404
    assert client.post("/api/desk/handoffs/99999/accept", headers=ana).status_code == 404


def test_disabled_agent_is_refused(client, seeded: Session, agents) -> None:
    ana = login(client)
    agent = seeded.scalars(select(Agent).where(Agent.email == "ana@example.org")).one()
    agent.active = False
    seeded.commit()
    assert client.get("/api/desk/handoffs", headers=ana).status_code == 403


def test_desk_page_is_served(client) -> None:
    page = client.get("/desk")
    assert page.status_code == 200 and 'id="login"' in page.text


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_the_desk_shows_no_bidirectional_controls(client, seeded: Session, agents) -> None:
    """A patient's words, name or form answers with a right-to-left override ("\u202e")
    would show the desk reversed text; whatever was stored, the desk's answers hold none."""
    from datetime import UTC, datetime

    from bot.conversations import transcript
    from bot.desk.tools.models import HandoffNote

    maria = seeded.scalars(select(Patient).where(Patient.last_name == "Lopez")).one()
    handoff_id = open_handoff(client, "web:bidi", verified=True, patient_id=maria.id,
                              slots={"pending_request": "refill \u202eLisinopril\u2069"})
    # Stored before input was cleaned: a message, the record's name, an agent's note.
    transcript.record_entry(seeded, "web:bidi", "patient", "pay \u202e$500 to 0987\u202c ok",
                            handoff_id=handoff_id)
    maria.first_name = "Ma\u2066ria"
    ana = seeded.scalars(select(Agent).where(Agent.email == "ana@example.org")).one()
    seeded.add(HandoffNote(handoff_id=handoff_id, agent_id=ana.id, text="call \u202eback",
                           at=datetime.now(UTC)))
    seeded.commit()
    desk = login(client)
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=desk)
    answers = [client.get(path, headers=desk) for path in (
        "/api/desk/handoffs", f"/api/desk/handoffs/{handoff_id}",
        f"/api/desk/handoffs/{handoff_id}/notes")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    queue, detail, notes = (a.json() for a in answers)
    assert queue[0]["patient"] == "Maria Lopez"
    assert "pay $500 to 0987 ok" in [t["text"] for t in detail["transcript"]]
    assert detail["context"]["slots"] == {"pending_request": "refill Lisinopril"}
    assert [n["text"] for n in notes] == ["call back"]
    for answer in answers:
        assert not set(answer.content.decode()) & set(BIDI), answer.url
        assert "\\u202" not in answer.text and "\\u206" not in answer.text


def test_new_text_is_stored_without_bidirectional_controls(client, agents) -> None:
    session = client.post("/channels/web/sessions").json()
    client.post("/channels/web/messages", json={"text": "hi \u202edlrow\u202c there"},
                headers={"Authorization": f"Bearer {session['token']}"})
    history = client.get("/channels/web/history",
                         headers={"Authorization": f"Bearer {session['token']}"}).json()
    assert history["messages"][0]["text"] == "hi dlrow there"
