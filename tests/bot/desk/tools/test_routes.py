"""The desk tools' API: agents only, their teams only, audited patient look-ups, and the
follow-up close through the real close endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit.models import AuditEvent
from bot.backoffice.models import Patient
from tests.bot.desk.test_routes import SERVICE, login, open_handoff


def maria(db: Session) -> int:
    return db.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()


def test_every_tools_endpoint_refuses_anyone_but_an_agent(client, agents) -> None:
    handoff_id = open_handoff(client, "web:s1")
    patient = client.post("/channels/web/sessions").json()["token"]
    calls = [("get", "/api/desk/saved-replies", None),
             ("post", "/api/desk/saved-replies", {"shortcut": "a", "title": "A", "body": "b"}),
             ("put", "/api/desk/saved-replies/1", {"shortcut": "a", "title": "A", "body": "b"}),
             ("delete", "/api/desk/saved-replies/1", None),
             ("get", f"/api/desk/handoffs/{handoff_id}/notes", None),
             ("post", f"/api/desk/handoffs/{handoff_id}/notes", {"text": "x"}),
             ("get", "/api/desk/follow-ups", None),
             ("post", "/api/desk/follow-ups/1/message", {"text": "x"}),
             ("post", "/api/desk/follow-ups/1/done", None),
             ("post", "/api/desk/history/search", {}),
             ("get", f"/api/desk/history/{handoff_id}", None)]
    for headers in ({}, {"Authorization": f"Bearer {patient}"}, SERVICE,
                    {"Authorization": "Bearer made-up"}):
        for method, url, body in calls:
            resp = client.request(method.upper(), url, headers=headers, json=body)
            assert resp.status_code == 401, (method, url, resp.status_code)


def test_notes_saved_replies_and_another_teams_handoff(client, seeded: Session, agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True, patient_id=maria(seeded))
    ana = login(client)
    note = client.post(f"/api/desk/handoffs/{handoff_id}/notes", headers=ana,
                       json={"text": "Patient prefers mornings."})
    assert note.status_code == 201 and note.json()["author"] == "Ana"
    listed = client.get(f"/api/desk/handoffs/{handoff_id}/notes", headers=ana).json()
    assert [n["text"] for n in listed] == ["Patient prefers mornings."]
    # Never sent to the patient.
    assert client.get("/dev/outbox", params={"to": "+15555550101"}).json() == []

    created = client.post("/api/desk/saved-replies", headers=ana, json={
        "shortcut": "hi", "title": "Hi", "body": "Hi {first_name}, it's {agent_name}."})
    assert created.status_code == 201
    filled = client.get("/api/desk/saved-replies", headers=ana,
                        params={"handoff_id": handoff_id}).json()
    assert [(r["shortcut"], r["text"]) for r in filled] == [("hi", "Hi Maria, it's Ana.")]
    bad = client.post("/api/desk/saved-replies", headers=ana, json={
        "shortcut": "x", "title": "X", "body": "{dob}"})
    assert bad.status_code == 422 and "Unknown placeholder {dob}" in bad.json()["detail"]

    # Ben works billing only; this handoff is in the general queue.
    ben_row = seeded.scalars(select(Agent).where(Agent.email == "ben@example.org")).one()
    ben_row.teams = ["billing"]
    seeded.commit()
    ben = login(client, "ben@example.org", "ben-pass-456")
    assert client.get(f"/api/desk/handoffs/{handoff_id}/notes", headers=ben).status_code == 403
    assert client.post(f"/api/desk/handoffs/{handoff_id}/notes", headers=ben,
                       json={"text": "x"}).status_code == 403
    assert client.get("/api/desk/saved-replies", headers=ben,
                      params={"handoff_id": handoff_id}).status_code == 403


def test_saved_replies_are_edited_deleted_and_offered_by_the_rules(client, seeded: Session,
                                                                   agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True, patient_id=maria(seeded))
    ana = login(client)
    created = client.post("/api/desk/saved-replies", headers=ana, json={
        "shortcut": "plan", "title": "Plan", "body": "We can spread it over {plan_options}."})
    assert created.status_code == 201 and created.json()["condition"] is None
    reply_id = created.json()["id"]
    [offer] = client.get("/api/desk/saved-replies", headers=ana,
                         params={"handoff_id": handoff_id}).json()
    assert (offer["available"], offer["text"], offer["unavailable_reason"]) == (
        False, None, "Not eligible: balance under the $150.00 minimum")

    edited = client.put(f"/api/desk/saved-replies/{reply_id}", headers=ana, json={
        "shortcut": "owe", "title": "Balance", "body": "Your balance is {balance}.",
        "condition": "has_balance"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["shortcut"], edited.json()["condition"]) == ("owe", "has_balance")
    [offer] = client.get("/api/desk/saved-replies", headers=ana,
                         params={"handoff_id": handoff_id}).json()
    assert (offer["available"], offer["text"]) == (True, "Your balance is $125.40.")
    bad = client.put(f"/api/desk/saved-replies/{reply_id}", headers=ana, json={
        "shortcut": "owe", "title": "B", "body": "b", "condition": "always"})
    assert bad.status_code == 422

    assert client.delete(f"/api/desk/saved-replies/{reply_id}", headers=ana).status_code == 204
    assert client.get("/api/desk/saved-replies", headers=ana).json() == []
    assert client.delete(f"/api/desk/saved-replies/{reply_id}", headers=ana).status_code == 404
    assert client.put(f"/api/desk/saved-replies/{reply_id}", headers=ana, json={
        "shortcut": "x", "title": "X", "body": "x"}).status_code == 404
    actions = seeded.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("saved_reply_%")).order_by(AuditEvent.id)).all()
    assert actions == ["saved_reply_created", "saved_reply_updated", "saved_reply_deleted"]


def test_a_spanish_conversation_gets_the_spanish_text_or_is_told_it_has_none(
        client, seeded: Session, agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True,
                              patient_id=maria(seeded), language="es")
    ana = login(client)
    created = client.post("/api/desk/saved-replies", headers=ana, json={
        "shortcut": "owe", "title": "Balance", "body": "Your balance is {balance}.",
        "texts": {"es": {"title": "Saldo", "body": "Su saldo es de {balance}."}}})
    assert created.status_code == 201, created.text
    assert created.json()["texts"] == {"es": {"title": "Saldo",
                                              "body": "Su saldo es de {balance}."}}
    client.post("/api/desk/saved-replies", headers=ana, json={
        "shortcut": "thanks", "title": "Thanks", "body": "Thanks, {first_name}!"})
    offered = client.get("/api/desk/saved-replies", headers=ana,
                         params={"handoff_id": handoff_id}).json()
    assert [(r["shortcut"], r["title"], r["language"], r["language_missing"], r["text"])
            for r in offered] == [
        ("owe", "Saldo", "es", None, "Su saldo es de $125.40."),
        ("thanks", "Thanks", "en", "es", "Thanks, Maria!")]
    # Without a conversation: English as saved, with the other texts to edit.
    listed = client.get("/api/desk/saved-replies", headers=ana).json()
    assert [(r["title"], r["language"], sorted(r["texts"])) for r in listed] == [
        ("Balance", "en", ["es"]), ("Thanks", "en", [])]

    for texts in ({"en": {"title": "X", "body": "x"}}, {"spanish": {"title": "X", "body": "x"}},
                  {"es": {"title": "", "body": "x"}}, {"es": {"title": "X"}}):
        bad = client.put(f"/api/desk/saved-replies/{created.json()['id']}", headers=ana,
                         json={"shortcut": "owe", "title": "B", "body": "b", "texts": texts})
        assert bad.status_code == 422, texts


def test_follow_up_close_tells_the_patient_and_the_task_sends_later(client, seeded: Session,
                                                                    agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True, patient_id=maria(seeded))
    ana = login(client)
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ana)
    # A follow-up close without what and when is refused, and closes nothing.
    refused = client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana,
                          json={"disposition": "follow_up"})
    assert refused.status_code == 422
    past = client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana, json={
        "disposition": "follow_up",
        "follow_up": {"what": "Refund", "due_at": "2020-01-01T10:00:00"}})
    assert past.status_code == 422 and "has passed" in past.json()["detail"]

    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    closed = client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana, json={
        "disposition": "follow_up", "follow_up": {"what": "Check the refund", "due_at": due}})
    assert closed.status_code == 200, closed.text
    last = client.get("/dev/outbox", params={"to": "+15555550101"}).json()[-1]["body"]
    assert last.startswith("Ana from our patient support team will text you by ")
    assert "Thanks for chatting" not in last  # not the generic goodbye

    [task] = client.get("/api/desk/follow-ups", headers=ana).json()
    assert (task["what"], task["status"], task["patient"]) == (
        "Check the refund", "open", "Maria Lopez")
    sent = client.post(f"/api/desk/follow-ups/{task['id']}/message", headers=ana,
                       json={"text": "Hi Maria, the refund went through."})
    assert sent.status_code == 200
    # In the daytime it goes at once; at night it waits for 8:00 (the service tests show it).
    if sent.json()["status"] == "sent":
        bodies = [m["body"] for m in client.get("/dev/outbox",
                                                params={"to": "+15555550101"}).json()]
        assert bodies[-1] == "Hi Maria, the refund went through."
    else:
        assert sent.json()["status"] == "scheduled"
    again = client.post(f"/api/desk/follow-ups/{task['id']}/message", headers=ana,
                        json={"text": "twice"})
    assert again.status_code == 409


def test_history_search_is_audited_and_opens_read_only(client, seeded: Session,
                                                       agents) -> None:
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True, patient_id=maria(seeded))
    ana = login(client)
    client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=ana)
    client.post(f"/api/desk/handoffs/{handoff_id}/close", headers=ana,
                json={"disposition": "resolved"})
    no_reason = client.post("/api/desk/history/search", headers=ana,
                            json={"name": "Maria Lopez", "date_of_birth": "1984-03-12"})
    assert no_reason.status_code == 422
    nobody = client.post("/api/desk/history/search", headers=ana, json={
        "name": "Maria Lopez", "date_of_birth": "1999-03-12", "reason": "callback"})
    assert nobody.status_code == 404
    found = client.post("/api/desk/history/search", headers=ana, json={
        "name": "Maria Lopez", "date_of_birth": "1984-03-12", "reason": "callback"})
    assert [h["id"] for h in found.json()] == [handoff_id]
    assert found.json()[0]["disposition"] == "resolved"
    searches = seeded.scalars(select(AuditEvent).where(
        AuditEvent.action == "search_closed_handoffs")).all()
    assert [(e.patient_id, e.reason) for e in searches] == [(None, "callback"),
                                                            (maria(seeded), "callback")]

    opened = client.get(f"/api/desk/history/{handoff_id}", headers=ana).json()
    assert opened["read_only"] is True and opened["status"] == "closed"
    assert opened["transcript"][-1]["text"].startswith("Thanks for chatting")
    assert opened["context"]["disposition"] == "resolved"
    # Replies to a closed conversation are refused.
    assert client.post(f"/api/desk/handoffs/{handoff_id}/messages", headers=ana,
                       json={"text": "hello?"}).status_code == 409
