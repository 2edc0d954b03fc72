"""Live events over Redis pub/sub: the desk's queue and transcripts, and pushes to web chats.

Redis carries them so that any bot-service process can publish and any can serve a listener.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

# Every desk event names what it is about (a handoff_id, most often): each agent's stream
# passes on only what that agent may see (bot.desk.events), and drops what names nothing.
DESK_CHANNEL = "desk:events"


def web_channel(session_id: str) -> str:
    return f"web:push:{session_id}"


def in_db(redis: aioredis.Redis | Any, channel: str) -> str:
    """The channel as named on the wire. Pub/sub ignores Redis db numbers, so a channel is
    named with the client's db (db 0 keeps the plain name): two deployments or test runs
    sharing one server on different dbs never hear each other's desk events."""
    db = redis.connection_pool.connection_kwargs.get("db", 0)
    return f"{channel}@db{db}" if db else channel


async def publish(redis: aioredis.Redis, channel: str, event: dict[str, Any]) -> None:
    await redis.publish(in_db(redis, channel), json.dumps(event, default=str))


async def listen(redis: aioredis.Redis, channel: str, heartbeat: float = 15.0
                 ) -> AsyncIterator[dict[str, Any] | None]:
    """Yields events as they come, and None every `heartbeat` seconds so callers can ping."""
    channel = in_db(redis, channel)
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=heartbeat)
            if message is None:
                yield None
                continue
            data = message.get("data")
            if isinstance(data, bytes):
                data = data.decode()
            try:
                yield json.loads(data)
            except (TypeError, ValueError):
                continue
    finally:
        await pubsub.unsubscribe(channel)
        await pubsub.aclose()
