"""Agent accounts and desk logins: argon2 hashes in the database, expiring tokens in Redis."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent, Availability, Role, Team
from bot.audit import service as audit

TOKEN_PREFIX = "desk:token:"
_hasher = PasswordHasher()
# Verifying against a dummy hash keeps an unknown e-mail as slow as a wrong password;
# made on first use, not at import.
_DUMMY_HASH: str | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def get(session: Session, agent_id: int) -> Agent | None:
    """The agent a desk token names; None when the account is gone (disabled ones too)."""
    return session.get(Agent, agent_id)


def authenticate(session: Session, email: str, password: str) -> Agent | None:
    agent = session.scalar(select(Agent).where(Agent.email == email.strip().lower()))
    candidate_hash = agent.password_hash if agent is not None else _dummy_hash()
    try:
        _hasher.verify(candidate_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if agent is None or not agent.active:
        return None
    return agent


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
    return _DUMMY_HASH


def ensure_agent(session: Session, email: str, password: str, display_name: str,
                 roles: Iterable[Role] | None = None, teams: Iterable[Team] | None = None,
                 languages: Iterable[str] | None = None) -> Agent:
    """Creates the agent, or resets its password (and its roles, when given): used to seed
    the demo agent from `.env`."""
    email = email.strip().lower()
    agent = session.scalar(select(Agent).where(Agent.email == email))
    if agent is None:
        agent = Agent(email=email, display_name=display_name, password_hash=hash_password(password))
        session.add(agent)
    elif not _matches(agent.password_hash, password):
        agent.password_hash = hash_password(password)
    if roles is not None:
        agent.roles = [role.value for role in roles]
    if teams is not None:
        agent.teams = [team.value for team in teams]
    if languages is not None:
        agent.languages = list(languages)
    session.commit()
    return agent


def _matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _key(token: str) -> str:
    return TOKEN_PREFIX + hashlib.sha256(token.encode()).hexdigest()


async def issue_token(redis: aioredis.Redis, agent_id: int, ttl_seconds: int,
                      version: int = 0) -> str:
    """Stored as "<agent id>:<token version>": bumping the agent's version revokes it."""
    token = secrets.token_urlsafe(32)
    await redis.set(_key(token), f"{agent_id}:{version}", ex=ttl_seconds)
    return token


async def token_claims(redis: aioredis.Redis, token: str) -> tuple[int, int] | None:
    """(agent id, token version) of a live token; None when unknown, expired or signed out."""
    if not token:
        return None
    raw = await redis.get(_key(token))
    if not raw:
        return None
    agent_id, _, version = (raw.decode() if isinstance(raw, bytes) else str(raw)).partition(":")
    return int(agent_id), int(version or 0)


async def agent_id_for_token(redis: aioredis.Redis, token: str) -> int | None:
    claims = await token_claims(redis, token)
    return claims[0] if claims else None


async def revoke_token(redis: aioredis.Redis, token: str) -> None:
    await redis.delete(_key(token))


def by_email(session: Session, email: str) -> Agent | None:
    return session.scalar(select(Agent).where(Agent.email == email.strip().lower()))


def revoke_all_tokens(session: Session, agent: Agent) -> None:
    """Every token issued before now stops working (they carry the old version)."""
    agent.token_version = (agent.token_version or 0) + 1


def set_availability(session: Session, agent_id: int, availability: Availability) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise LookupError(agent_id)
    agent.availability = availability.value
    session.commit()
    return agent


def available_in_team(session: Session, team: str) -> int:
    """Agents of the team who are signed up as available: the rough wait counts only them."""
    rows = session.scalars(select(Agent).where(
        Agent.active.is_(True), Agent.availability == Availability.available.value)).all()
    return sum(1 for a in rows if a.in_team(team))


class AgentExists(ValueError):
    pass


class UnknownAgent(LookupError):
    pass


MIN_PASSWORD_LENGTH = 12


class WeakPassword(ValueError):
    pass


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")


def create(session: Session, email: str, display_name: str, password: str,
           roles: Iterable[Role], teams: Iterable[Team], actor: str,
           languages: Iterable[str] = ("en",)) -> Agent:
    """A new account, audited. Raises AgentExists, WeakPassword."""
    _check_password(password)
    if by_email(session, email) is not None:
        raise AgentExists(email)
    agent = Agent(email=email.strip().lower(), display_name=display_name.strip(),
                  password_hash=hash_password(password), roles=[r.value for r in roles],
                  teams=[t.value for t in teams], languages=list(languages))
    session.add(agent)
    session.flush()
    _audit(session, actor, "agent_add", agent,
           f"roles {','.join(agent.roles)}; teams {','.join(agent.teams)}; "
           f"languages {','.join(agent.languages)}")
    session.commit()
    return agent


def disable(session: Session, email: str, actor: str) -> Agent:
    """The account can no longer sign in, and every token it holds stops working now."""
    agent = _require(session, email)
    agent.active = False
    revoke_all_tokens(session, agent)
    _audit(session, actor, "agent_disable", agent, "disabled; tokens revoked")
    session.commit()
    return agent


def reset_password(session: Session, email: str, password: str, actor: str) -> Agent:
    """A new password; tokens issued under the old one stop working."""
    _check_password(password)
    agent = _require(session, email)
    agent.password_hash = hash_password(password)
    revoke_all_tokens(session, agent)
    _audit(session, actor, "agent_reset_password", agent, "password reset; tokens revoked")
    session.commit()
    return agent


def all_agents(session: Session) -> list[Agent]:
    return list(session.scalars(select(Agent).order_by(Agent.email)))


def _require(session: Session, email: str) -> Agent:
    agent = by_email(session, email)
    if agent is None:
        raise UnknownAgent(email)
    return agent


def _audit(session: Session, actor: str, action: str, agent: Agent, reason: str) -> None:
    audit.record(session, actor_type="admin", actor_id=actor[:100], patient_id=None,
                 action=action, fields=["agent:" + str(agent.id)], reason=reason[:200])


def visible_teams(agent: Agent) -> set[str] | None:
    """The teams whose work an agent sees; None for all (supervisors)."""
    return None if agent.sees_all_teams else set(agent.teams or [])
