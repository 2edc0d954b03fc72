"""The Review API: designers only, downloads, every read audited."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent, Role
from bot.agents.service import ensure_agent
from bot.audit.models import AuditEvent
from bot.review import service
from bot.settings import get_settings
from tests.bot.review.conftest import IDENTIFIERS, MARIA, SALT, Tracker


@pytest.fixture
def accounts(db: Session) -> dict[str, Agent]:
    return {
        "designer": ensure_agent(db, "dee@example.org", "dee-pass-123", "Dee",
                                 roles=[Role.agent, Role.designer]),
        "agent": ensure_agent(db, "ana@example.org", "ana-pass-123", "Ana"),
    }


def login(client: TestClient, email: str, password: str) -> dict[str, str]:
    resp = client.post("/api/desk/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def urls(tracker: Tracker) -> list[str]:
    ref = service.conversation_ref(MARIA, SALT.encode())
    turn = tracker.ids["blorft zzqx"]
    return ["/api/review/intents", "/api/review/turns?since_days=7&limit=10",
            f"/api/review/turns/{turn}/nlu.yml?intent=out_of_scope",
            f"/api/review/conversations/{ref}/story.yml?fix={turn}:out_of_scope"]


def test_designers_only(tracker_env: Tracker, client: TestClient, accounts: dict[str, Agent]
                        ) -> None:
    patient = client.post("/channels/web/sessions").json()["token"]
    agent = login(client, "ana@example.org", "ana-pass-123")
    assert accounts["agent"].roles == ["agent"]  # the default role
    for url in urls(tracker_env):
        for headers in ({}, {"Authorization": f"Bearer {patient}"},
                        {"Authorization": "Bearer made-up"},
                        {"Authorization": "Bearer test-backoffice-token"}):
            assert client.get(url, headers=headers).status_code == 401, url
        assert client.get(url, headers=agent).status_code == 403, url


def test_list_and_downloads(tracker_env: Tracker, client: TestClient, accounts: dict[str, Agent],
                            db: Session) -> None:
    designer = login(client, "dee@example.org", "dee-pass-123")
    intents = client.get("/api/review/intents", headers=designer).json()
    assert "out_of_scope" in intents and "billing_balance" in intents

    listed = client.get("/api/review/turns", headers=designer)
    assert listed.status_code == 200
    turns = listed.json()
    assert [t["text"] for t in turns][:3] == ["/human_handoff", "blorft zzqx!!", "blorft zzqx"]
    assert turns[1]["kinds"] == ["fallback", "repeat"]
    assert (turns[2]["intent"], turns[2]["confidence"]) == ("nlu_fallback", 0.3)
    assert len(client.get("/api/review/turns?limit=2", headers=designer).json()) == 2

    _, _, nlu_url, story_url = urls(tracker_env)
    nlu = client.get(nlu_url, headers=designer)
    assert nlu.status_code == 200
    assert nlu.headers["content-type"].startswith("text/yaml")
    assert nlu.headers["content-disposition"] == (
        f'attachment; filename="nlu-turn-{tracker_env.ids["blorft zzqx"]}.yml"')
    assert yaml.safe_load(nlu.text)["nlu"] == [
        {"intent": "out_of_scope", "examples": "- blorft zzqx\n"}]

    story = client.get(story_url, headers=designer)
    assert story.status_code == 200 and story.headers["content-type"].startswith("text/yaml")
    assert story.headers["content-disposition"].startswith('attachment; filename="test_review_c')
    steps = yaml.safe_load(story.text)["stories"][0]["steps"]
    assert {"user": "blorft zzqx", "intent": "out_of_scope"} in steps
    assert {"user": "blorft zzqx!!", "intent": "nlu_fallback"} in steps

    everything = (listed.text + nlu.text + story.text).lower()
    for identifier in IDENTIFIERS + (MARIA,):
        assert identifier.lower() not in everything, identifier

    audited = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(a.action, a.actor_type, a.actor_id, a.patient_id) for a in audited] == [
        ("review_turns", "agent", str(accounts["designer"].id), None),
        ("review_turns", "agent", str(accounts["designer"].id), None),
        ("review_nlu_example", "agent", str(accounts["designer"].id), 1),
        ("review_story", "agent", str(accounts["designer"].id), 1),
    ]


def test_bad_requests(tracker_env: Tracker, client: TestClient, accounts: dict[str, Agent]
                      ) -> None:
    designer = login(client, "dee@example.org", "dee-pass-123")
    ids = tracker_env.ids
    ref = service.conversation_ref(MARIA, SALT.encode())
    for url, status in (
        (f"/api/review/turns/{ids['blorft zzqx']}/nlu.yml?intent=no_such_intent", 422),
        (f"/api/review/turns/{ids['blorft zzqx']}/nlu.yml", 422),  # no intent
        (f"/api/review/turns/{ids['/human_handoff']}/nlu.yml?intent=greet", 422),  # payload
        (f"/api/review/turns/{ids['how much do I owe']}/nlu.yml?intent=greet", 404),  # fine
        ("/api/review/turns/0/nlu.yml?intent=greet", 422),
        (f"/api/review/conversations/{ref}/story.yml?fix=1:no_such_intent", 422),
        (f"/api/review/conversations/{ref}/story.yml?fix=nonsense", 422),
        ("/api/review/conversations/web:3f9c2a71d0/story.yml", 422),  # a sender id is no ref
        ("/api/review/conversations/c00000000000000000000/story.yml", 404),
        ("/api/review/turns?since_days=0", 422),
        ("/api/review/turns?limit=100000", 422),
    ):
        assert client.get(url, headers=designer).status_code == status, url


def test_demo_agent_has_every_role(env: dict[str, str], db: Session,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.demo import desk as seed

    monkeypatch.setenv("DESK_DEMO_EMAIL", "demo@example.org")
    monkeypatch.setenv("DESK_DEMO_PASSWORD", "demo-pass-123")
    get_settings.cache_clear()
    seed.main()
    demo = db.scalars(select(Agent).where(Agent.email == "demo@example.org")).one()
    assert sorted(demo.roles) == ["agent", "designer", "supervisor"]
