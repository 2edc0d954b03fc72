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

from bot.agents.models import Agent, Role

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
                 roles: Iterable[Role] | None = None) -> Agent:
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
    session.commit()
    return agent


def _matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _key(token: str) -> str:
    return TOKEN_PREFIX + hashlib.sha256(token.encode()).hexdigest()


async def issue_token(redis: aioredis.Redis, agent_id: int, ttl_seconds: int) -> str:
    token = secrets.token_urlsafe(32)
    await redis.set(_key(token), str(agent_id), ex=ttl_seconds)
    return token


async def agent_id_for_token(redis: aioredis.Redis, token: str) -> int | None:
    if not token:
        return None
    raw = await redis.get(_key(token))
    return int(raw) if raw else None


async def revoke_token(redis: aioredis.Redis, token: str) -> None:
    await redis.delete(_key(token))
