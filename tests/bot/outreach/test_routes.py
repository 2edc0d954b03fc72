"""The desk's Outreach view: agents only, every patient shown audited; the action server's
outreach API takes the service token only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.models import Agent, Role, Team
from bot.agents.service import ensure_agent
from bot.audit.models import AuditEvent
from bot.settings import Settings
from tests.bot.outreach.conftest import TODAY, at
from tests.bot.outreach.helpers import run


def test_the_outreach_view_lists_sent_and_suppressed_with_reasons_for_agents_only(
        demo: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    from bot.main import create_app

    run(sessions, at(TODAY, 10, 45), settings)
    ensure_agent(demo, "ana@example.org", "ana-pass-123", "Ana")
    with TestClient(create_app()) as client:
        assert client.get("/api/desk/outreach").status_code == 401
        assert client.get("/desk/outreach").status_code == 200  # the page; its data needs a login
        login = {"email": "ana@example.org", "password": "ana-pass-123"}  # pragma: allowlist secret
        token = client.post("/api/desk/login", json=login).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        view = client.get("/api/desk/outreach", headers=headers).json()
        assert view["clinic_timezone"] == "America/New_York"  # the page names the zone
        rows = {(r["patient"], r["kind"]): r for r in view["rows"]}
        assert rows[("Maria Lopez", "appointment_reminder")]["status"] in ("sent", "planned")
        assert rows[("Aisha Khan", "no_show_followup")]["status"] == "suppressed"
        assert rows[("Aisha Khan", "no_show_followup")]["reason"] == "no_consent"
        assert rows[("Maria Lopez", "renewal_prompt")]["waiting_for"] == "cap"
        suppressed = client.get("/api/desk/outreach", headers=headers,
                                params={"status": "suppressed", "kind": "no_show_followup"}).json()
        assert [r["patient"] for r in suppressed["rows"]] == ["Aisha Khan"]
        on_day = client.get("/api/desk/outreach", headers=headers,
                            params={"day": TODAY.isoformat()}).json()
        assert {r["kind"] for r in on_day["rows"]} == {"appointment_reminder",
                                                        "no_show_followup"}
        # The action server's API is not the desk's: the service token only.
        assert client.post("/api/outreach/messages/1/confirm", json={"phone": "+15555550101"},
                           headers=headers).status_code == 401
    with sessions() as session:
        audited = {e.patient_id for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "GET /api/desk/outreach"))}
    assert audited == {r["patient_id"] for r in view["rows"]}


def test_an_agent_sees_the_outreach_of_their_teams_only(
        demo: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Minimum necessary, as the desk's queues: a pharmacy agent sees refill and renewal
    prompts, not appointment reminders or balances; a supervisor sees every kind."""
    from bot.main import create_app

    run(sessions, at(TODAY, 10, 45), settings)
    ensure_agent(demo, "phil@example.org", "phil-pass-123", "Phil", teams=[Team.pharmacy])
    ensure_agent(demo, "sue@example.org", "sue-pass-123", "Sue",
                 roles=[Role.agent, Role.supervisor], teams=[Team.general])
    with TestClient(create_app()) as client:
        def view(email: str, password: str) -> dict[str, Any]:
            token = client.post("/api/desk/login", json={"email": email, "password": password}
                                ).json()["token"]
            return dict(client.get("/api/desk/outreach",
                                   headers={"Authorization": f"Bearer {token}"}).json())

        every = view("sue@example.org", "sue-pass-123")
        assert {r["kind"] for r in every["rows"]} >= {
            "appointment_reminder", "no_show_followup", "refill_prompt", "renewal_prompt"}
        pharmacy = view("phil@example.org", "phil-pass-123")
    assert {r["kind"] for r in pharmacy["rows"]} == {"refill_prompt", "renewal_prompt"}
    assert sum(n for status, n in pharmacy["counts"].items() if status != "replied") == len(
        pharmacy["rows"])
    shown = {r["patient_id"] for r in pharmacy["rows"]}
    phil = demo.scalars(select(Agent.id).where(Agent.email == "phil@example.org")).one()
    with sessions() as session:
        audited = {e.patient_id for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "GET /api/desk/outreach",
                                     AuditEvent.actor_id == str(phil)))}
    assert audited == shown
