"""The insights API: supervisors only, the summary's shape (DESIGN.md), drill-down and
transcript audited, CSV aggregates for agents and episode rows for supervisors, the action
server's task report behind the service token, /metrics on loopback or with its token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent, Role
from bot.agents.service import ensure_agent
from bot.audit.models import AuditEvent
from bot.conversations import transcript
from bot.insights import metrics, record
from bot.insights.models import Episode
from bot.insights.tracker import TurnParse

SMS = "sms:+15555550101"
SERVICE = {"Authorization": "Bearer test-backoffice-token"}


@pytest.fixture
def accounts(db: Session) -> dict[str, Agent]:
    return {
        "supervisor": ensure_agent(db, "sue@example.org", "sue-pass-123", "Sue",
                                   roles=[Role.agent, Role.supervisor]),
        "agent": ensure_agent(db, "ana@example.org", "ana-pass-123", "Ana"),
    }


def login(client: TestClient, email: str, password: str) -> dict[str, str]:
    resp = client.post("/api/desk/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def test_supervisors_only(client: TestClient, accounts: dict[str, Agent]) -> None:
    agent = login(client, "ana@example.org", "ana-pass-123")
    for url in ("/api/insights/summary", "/api/insights/series",
                "/api/insights/breakdown?by=channel", "/api/insights/episodes?measure=abandoned",
                "/api/insights/episodes/1",
                "/api/insights/export.csv?rows=episodes&measure=abandoned"):
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers=SERVICE).status_code == 401, url
        assert client.get(url, headers=agent).status_code == 403, url
    # Aggregates only: any agent.
    assert client.get("/api/insights/export.csv", headers=agent).status_code == 200


def test_a_reported_task_shows_in_the_summary_and_drills_down(
        client: TestClient, accounts: dict[str, Agent], seeded: Session, ids: dict[str, int]
) -> None:
    at = datetime.now(UTC) - timedelta(seconds=5)
    transcript.record_turn(seeded, SMS, "how much do I owe", at, ["Your balance is $125.40."])
    record.turn(seeded, SMS, "how much do I owe", at, at + timedelta(milliseconds=200),
                TurnParse(intent="billing_balance", confidence=0.98))
    body = {"conversation_id": SMS, "task": "balance_told", "intent": "billing_balance",
            "patient_id": ids["Lopez"]}
    assert client.post("/api/insights/tasks", json=body).status_code == 401
    assert client.post("/api/insights/tasks", json={**body, "task": "made_up"},
                       headers=SERVICE).status_code == 422
    resp = client.post("/api/insights/tasks", json=body, headers=SERVICE)
    assert resp.status_code == 202, resp.text
    sue = login(client, "sue@example.org", "sue-pass-123")
    summary = client.get("/api/insights/summary", headers=sue).json()
    assert summary["episodes"] == 1
    assert summary["outcomes"] == {"bot_resolved": 1, "agent_resolved": 0,
                                   "escalated_unresolved": 0, "abandoned": 0,
                                   "informational": 0}
    assert summary["provisional"]["bot_resolved"] == 1  # the patient may still write back
    assert set(summary["rates"]) >= {"containment", "first_contact_resolution", "escalation",
                                     "repeat_yourself"}
    assert summary["rates"]["containment"] == 1.0 and summary["rates"]["escalation"] == 0.0
    assert summary["quality"]["per_intent"]["billing_balance"]["turns"] == 1
    assert summary["quality"]["top_unrecognised"] == []
    assert summary["safety_checks"] == {"asked": 0, "answered_yes": 0, "false_alarms": 0,
                                        "false_alarm_rate": None, "safety_net": 0}
    assert client.get("/api/insights/episodes?measure=false_alarm", headers=sue).json() == []
    rows = client.get("/api/insights/episodes?measure=contained", headers=sue).json()
    assert [(r["who"], r["outcome"], r["topics"]) for r in rows] == [
        ("Maria Lopez", "bot_resolved", ["billing"])]
    detail = client.get(rows[0]["transcript"], headers=sue).json()
    assert [t["role"] for t in detail["transcript"]] == ["patient", "bot"]
    audited = seeded.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == str(accounts["supervisor"].id))).all()
    assert audited == ["view_insight_episodes", "view_insight_transcript"]
    csv_rows = client.get("/api/insights/export.csv?rows=episodes&measure=bot_resolved",
                          headers=sue).text.splitlines()
    assert csv_rows[0].startswith("id,who,channel") and "Maria Lopez" in csv_rows[1]
    aggregates = client.get("/api/insights/export.csv", headers=sue).text
    assert "outcomes.bot_resolved,1" in aggregates and "Maria" not in aggregates
    by_channel = client.get("/api/insights/breakdown?by=channel", headers=sue).json()
    assert by_channel["sms"]["episodes"] == 1
    points = client.get("/api/insights/series?bucket=hour", headers=sue).json()
    assert len(points) == 24 and sum(p["episodes"] for p in points) == 1


def test_bad_ranges_say_what_to_do(client: TestClient, accounts: dict[str, Agent]) -> None:
    sue = login(client, "sue@example.org", "sue-pass-123")
    resp = client.get("/api/insights/summary?from=2026-11-02T00:00:00", headers=sue)
    assert resp.status_code == 422 and "time zone" in resp.text
    resp = client.get("/api/insights/summary?from=2026-11-02T00:00:00Z"
                      "&to=2026-11-01T00:00:00Z", headers=sue)
    assert resp.status_code == 422
    assert client.get("/api/insights/episodes?measure=nope", headers=sue).status_code == 422


def test_metrics_on_loopback_or_with_the_token(client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # TestClient's peer is "testclient", not loopback: refused without the token.
    assert client.get("/metrics").status_code == 403
    from bot.settings import get_settings

    monkeypatch.setenv("METRICS_TOKEN", "metrics-secret-123")
    get_settings.cache_clear()
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    resp = client.get("/metrics", headers={"Authorization": "Bearer metrics-secret-123"})
    assert resp.status_code == 200
    for name, kind in (("assistant_turn_latency_seconds", "histogram"),
                       ("assistant_queue_length", "gauge"),
                       ("assistant_queue_oldest_wait_seconds", "gauge"),
                       ("assistant_sms_delivery_failures", "gauge"),
                       ("assistant_engine_errors_total", "counter"),
                       ("assistant_backoffice_errors_total", "counter"),
                       ("assistant_outreach_messages", "gauge")):
        assert f"# TYPE {name} {kind}" in resp.text, name
    assert "assistant_queue_oldest_wait_seconds 0.0" in resp.text
    loopback = TestClient(client.app, client=("127.0.0.1", 5000))
    assert loopback.get("/metrics").status_code == 200
    assert loopback.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
                        ).status_code == 403


def test_a_failed_task_report_counts_a_back_office_error(
        client: TestClient, seeded: Session, ids: dict[str, int]) -> None:
    """What the action server sends when the back office failed a request
    (tests/actions/test_auth.py): the counter moves, the episode notes it, nothing resolved."""
    def errors() -> float:
        return metrics.REGISTRY.get_sample_value(
            "assistant_backoffice_errors_total", {"task": "plan_set_up"}) or 0.0

    before = errors()
    body = {"conversation_id": SMS, "task": "plan_set_up", "ok": False,
            "intent": "billing_payment_plan", "patient_id": ids["Lopez"]}
    resp = client.post("/api/insights/tasks", json=body, headers=SERVICE)
    assert resp.status_code == 202, resp.text
    assert errors() == before + 1
    episode = seeded.get(Episode, resp.json()["episode_id"])
    assert episode is not None
    seeded.refresh(episode)
    assert (episode.failed_tasks, episode.tasks, episode.resolved_at) == (["plan_set_up"], [],
                                                                          None)
    loopback = TestClient(client.app, client=("127.0.0.1", 50000))
    scraped = loopback.get("/metrics").text
    assert f'assistant_backoffice_errors_total{{task="plan_set_up"}} {before + 1}' in scraped
