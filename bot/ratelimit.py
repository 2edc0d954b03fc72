"""Fixed-window rate limits in Redis, shared by every bot-service process and kept across
restarts of the service."""

from __future__ import annotations

import redis.asyncio as aioredis


async def allow(redis: aioredis.Redis, key: str, limit: int, window_seconds: int) -> bool:
    """Counts one hit; False once `limit` hits were made in the current window."""
    full = f"rate:{key}"
    count = int(await redis.incr(full))
    if count == 1:  # the window starts with its first hit (works on Redis 6, no EXPIRE NX)
        await redis.expire(full, window_seconds)
    return count <= limit


async def first_refusal(redis: aioredis.Redis, key: str, window_seconds: int) -> bool:
    """True the first time a limit refuses in a window, so a patient is told only once."""
    return bool(await redis.set(f"rate:told:{key}", "1", nx=True, ex=window_seconds))
