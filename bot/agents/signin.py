"""Signing an agent in on a request: the bearer token to the agent account, as a dependency.

Here, with the accounts, so every area with agent-only routes (the desk, insights, outreach,
review) can use it without importing one another's routes."""

from __future__ import annotations

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Header, HTTPException

from bot.agents import service as agents
from bot.agents.models import Agent
from bot.db import in_session
from bot.redis import async_redis

RedisDep = Annotated[aioredis.Redis, Depends(async_redis)]


async def agent_from_token(redis: aioredis.Redis, token: str) -> Agent:
    claims = await agents.token_claims(redis, token)
    agent = await in_session(agents.get, claims[0]) if claims is not None else None
    if agent is None or claims is None:
        raise HTTPException(401, "Please sign in to the desk.")
    if not agent.active:
        raise HTTPException(403, "This desk account is disabled.")
    if agent.token_version != claims[1]:  # signed out everywhere, or a new password
        raise HTTPException(401, "Please sign in to the desk again.")
    return agent


def bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


async def current_agent(
    redis: RedisDep, authorization: Annotated[str | None, Header()] = None
) -> Agent:
    return await agent_from_token(redis, bearer(authorization))


AgentDep = Annotated[Agent, Depends(current_agent)]
