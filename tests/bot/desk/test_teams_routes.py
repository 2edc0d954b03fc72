"""The desk API for teams: queues per team, transfers, sign-out and revocable tokens,
availability; every new endpoint refuses anyone but a signed-in agent."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents import service as agents
from bot.agents.models import Role, Team
from bot.backoffice.models import Patient
from tests.bot.desk.test_routes import SERVICE, login, open_handoff

PASSWORD = "team-password-1"  # pragma: allowlist secret


def make(seeded: Session, name: str, *teams: Team, supervisor: bool = False) -> dict[str, str]:
    roles = [Role.agent, Role.supervisor] if supervisor else [Role.agent]
    agents.ensure_agent(seeded, f"{name}@example.org", PASSWORD, name.title(), roles=roles,
                        teams=list(teams))
    return {"email": f"{name}@example.org", "password": PASSWORD}


def sign_in(client, who: dict[str, str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return login(client, who["email"], who["password"])


def test_new_endpoints_refuse_anyone_but_an_agent(client, seeded: Session) -> None:  # type: ignore[no-untyped-def]
    handoff_id = open_handoff(client, "web:s1")
    for headers in ({}, SERVICE, {"Authorization": "Bearer made-up"}):
        assert client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=headers,
                           json={"team": "billing"}).status_code == 401
        assert client.post("/api/desk/logout", headers=headers, json={}).status_code == 401
        assert client.get("/api/desk/me", headers=headers).status_code == 401
        assert client.post("/api/desk/me/availability", headers=headers,
                           json={"availability": "away"}).status_code == 401
        assert client.get("/api/desk/agents", headers=headers).status_code == 401
        assert client.get("/api/desk/teams", headers=headers).status_code == 401


def test_agents_see_only_their_teams_and_supervisors_all(client, seeded: Session) -> None:  # type: ignore[no-untyped-def]
    sol = sign_in(client, make(seeded, "sol", Team.scheduling))
    bea = sign_in(client, make(seeded, "bea", Team.billing))
    sue = sign_in(client, make(seeded, "sue", Team.general, supervisor=True))
    move = open_handoff(client, "web:a", intents=["appointment_reschedule", "human_handoff"])
    pay = open_handoff(client, "web:b", intents=["billing_pay", "human_handoff"])
    queue = client.get("/api/desk/handoffs", headers=sol).json()
    assert [(q["id"], q["team"]) for q in queue] == [(move, "scheduling")]
    assert [q["id"] for q in client.get("/api/desk/handoffs", headers=bea).json()] == [pay]
    assert [q["team"] for q in client.get("/api/desk/handoffs", headers=sue).json()] == [
        "scheduling", "billing"]
    # Another team's handoff: not opened, not accepted.
    assert client.get(f"/api/desk/handoffs/{pay}", headers=sol).status_code == 403
    assert client.post(f"/api/desk/handoffs/{pay}/accept", headers=sol).status_code == 403
    assert client.get(f"/api/desk/handoffs/{pay}", headers=sue).status_code == 200


def test_a_transfer_from_scheduling_to_billing_with_a_note(client, seeded: Session) -> None:  # type: ignore[no-untyped-def]
    sol = sign_in(client, make(seeded, "sol", Team.scheduling))
    bea = sign_in(client, make(seeded, "bea", Team.billing))
    maria = seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one()
    handoff_id = open_handoff(client, "sms:+15555550101", verified=True, patient_id=maria,
                              intents=["appointment_check", "human_handoff"])
    assert client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=sol).status_code == 200
    # Nowhere, an unknown team, oneself: refused with a reason.
    bad = client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=sol, json={})
    assert bad.status_code == 422
    assert client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=sol,
                       json={"team": "legal"}).status_code == 422
    resp = client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=sol,
                       json={"team": "billing", "note": "Wants the lab charge explained"})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["team"], resp.json()["status"]) == ("billing", "waiting")
    # A second transfer from the same stale screen loses.
    assert client.post(f"/api/desk/handoffs/{handoff_id}/transfer", headers=sol,
                       json={"team": "pharmacy"}).status_code == 403
    assert client.get("/api/desk/handoffs", headers=sol).json() == []
    [item] = client.get("/api/desk/handoffs", headers=bea).json()
    assert (item["id"], item["transfers"]) == (handoff_id, 1)
    detail = client.get(f"/api/desk/handoffs/{handoff_id}", headers=bea).json()
    # The same transcript and context, plus the note and the path so far.
    assert detail["context"]["patient"]["name"] == "Maria Lopez"
    assert [(n["text"], n["author"]) for n in detail["notes"] if n["kind"] == "transfer"] == [
        ("Wants the lab charge explained", "Sol")]
    assert [(p["by"], p["team"]) for p in detail["context"]["path"]] == [
        ("routing", "scheduling"), ("Sol", "billing")]
    # What the receiving agent reads first: from where to where, by whom, when, and why.
    transfer = detail["transfer"]
    assert {k: transfer[k] for k in ("from_team", "to_team", "by", "note", "to_agent")} == {
        "from_team": "scheduling", "to_team": "billing", "by": "Sol",
        "note": "Wants the lab charge explained", "to_agent": None}
    assert datetime.fromisoformat(transfer["at"]) == datetime.fromisoformat(
        detail["context"]["path"][-1]["at"])
    assert item["transferred_from"] == "scheduling"
    notices = [t["text"] for t in detail["transcript"] if t["role"] == "system"]
    assert notices[-1] == ("I'm passing you to our billing office, who can see our whole "
                           "conversation, so you won't need to repeat anything.")
    # The patient got that one sentence by SMS, and never the private note.
    outbox = client.get("/dev/outbox", params={"to": "+15555550101"}).json()
    bodies = [m["body"] for m in outbox]
    assert bodies[-1] == notices[-1]
    assert not any("lab charge explained" in b for b in bodies)
    assert client.post(f"/api/desk/handoffs/{handoff_id}/accept", headers=bea).status_code == 200


def test_sign_out_revokes_the_token_and_disable_revokes_all(client, seeded: Session) -> None:  # type: ignore[no-untyped-def]
    who = make(seeded, "sol", Team.scheduling)
    first, second = sign_in(client, who), sign_in(client, who)
    assert client.post("/api/desk/logout", headers=first, json={}).status_code == 204
    assert client.get("/api/desk/handoffs", headers=first).status_code == 401
    assert client.get("/api/desk/handoffs", headers=second).status_code == 200
    third = sign_in(client, who)
    assert client.post("/api/desk/logout", headers=second,
                       json={"everywhere": True}).status_code == 204
    assert client.get("/api/desk/handoffs", headers=third).status_code == 401
    fourth = sign_in(client, who)
    agents.disable(seeded, who["email"], actor="test")
    assert client.get("/api/desk/handoffs", headers=fourth).status_code in (401, 403)
    assert client.post("/api/desk/login", json=who).status_code == 401


def test_availability_changes_the_wait_patients_are_told(client, seeded: Session) -> None:  # type: ignore[no-untyped-def]
    bea = sign_in(client, make(seeded, "bea", Team.billing))
    me = client.get("/api/desk/me", headers=bea).json()
    assert (me["teams"], me["availability"]) == (["billing"], "available")
    ticket = client.post("/api/handoffs", headers=SERVICE, json={
        "conversation_id": "web:w1", "reason": "requested", "intents": ["billing_pay"]}).json()
    assert (ticket["team"], ticket["position"], ticket["wait_minutes"]) == ("billing", 1, 3)
    away = client.post("/api/desk/me/availability", headers=bea, json={"availability": "away"})
    assert away.json()["availability"] == "away"
    ticket = client.post("/api/handoffs", headers=SERVICE, json={
        "conversation_id": "web:w2", "reason": "requested", "intents": ["billing_pay"]}).json()
    assert (ticket["position"], ticket["wait_minutes"]) == (2, 15)  # nobody: the wait limit
    [billing] = [t for t in client.get("/api/desk/teams", headers=bea).json()
                 if t["team"] == "billing"]
    assert (billing["waiting"], billing["available_agents"], billing["open"]) == (2, 0, True)
