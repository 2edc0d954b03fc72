"""Accounts: teams, availability, revocable tokens, audited changes."""


import pytest
import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents import service
from bot.agents.models import Availability, Role, Team
from bot.audit.models import AuditEvent
from tests.conftest import TEST_REDIS_URL


def test_an_account_made_without_teams_keeps_every_team(seeded: Session) -> None:
    agent = service.ensure_agent(seeded, "old@example.org", "old-password-1", "Old")
    assert agent.teams == [t.value for t in Team]
    assert agent.availability == "available" and agent.token_version == 0


def test_create_disable_and_reset_are_audited_and_bump_the_token_version(seeded: Session
                                                                         ) -> None:
    agent = service.create(seeded, "Bea@Example.org", "Bea", "bea-password-123",
                           roles=[Role.agent], teams=[Team.billing], actor="cli:tester")
    assert (agent.email, agent.teams, agent.roles) == ("bea@example.org", ["billing"], ["agent"])
    with pytest.raises(service.AgentExists):
        service.create(seeded, "bea@example.org", "Bea", "bea-password-123",
                       roles=[Role.agent], teams=[Team.billing], actor="cli:tester")
    with pytest.raises(service.WeakPassword):
        service.reset_password(seeded, "bea@example.org", "short", actor="cli:tester")
    service.reset_password(seeded, "bea@example.org", "bea-password-456", actor="cli:tester")
    assert agent.token_version == 1
    assert service.authenticate(seeded, "bea@example.org", "bea-password-123") is None
    assert service.authenticate(seeded, "bea@example.org", "bea-password-456") is not None
    service.disable(seeded, "bea@example.org", actor="cli:tester")
    assert (agent.active, agent.token_version) == (False, 2)
    assert service.authenticate(seeded, "bea@example.org", "bea-password-456") is None
    rows = seeded.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.actor_type, r.actor_id, r.action) for r in rows] == [
        ("admin", "cli:tester", "agent_add"), ("admin", "cli:tester", "agent_reset_password"),
        ("admin", "cli:tester", "agent_disable")]
    # No password, hash or anything secret in the audit log.
    assert all("password-" not in r.reason and "argon" not in r.reason for r in rows)
    with pytest.raises(service.UnknownAgent):
        service.disable(seeded, "nobody@example.org", actor="cli:tester")


def test_only_available_agents_of_the_team_count(seeded: Session) -> None:
    a = service.ensure_agent(seeded, "a@example.org", "a-password-123", "A", teams=[Team.billing])
    service.ensure_agent(seeded, "b@example.org", "b-password-123", "B",
                         teams=[Team.billing, Team.pharmacy])
    service.ensure_agent(seeded, "c@example.org", "c-password-123", "C", teams=[Team.pharmacy])
    assert service.available_in_team(seeded, "billing") == 2
    service.set_availability(seeded, a.id, Availability.away)
    assert service.available_in_team(seeded, "billing") == 1
    assert service.available_in_team(seeded, "pharmacy") == 2
    assert service.available_in_team(seeded, "nurse") == 0


async def test_tokens_carry_the_version_and_can_be_revoked(redis_client) -> None:  # type: ignore[no-untyped-def]
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        token = await service.issue_token(redis, 7, 60, version=3)
        assert await service.token_claims(redis, token) == (7, 3)
        assert await service.agent_id_for_token(redis, token) == 7
        await service.revoke_token(redis, token)
        assert await service.token_claims(redis, token) is None
        assert await service.token_claims(redis, "") is None
    finally:
        await redis.aclose()
