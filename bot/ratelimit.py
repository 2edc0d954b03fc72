"""Fixed-window rate limits in Redis, shared by every bot-service process and kept across
restarts of the service."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

# One atomic step: the count and its expiry are set together, so no crash between two calls
# can leave a counter without an expiry (a number blocked for good). A counter found without
# one (written by an older version) gets it now. Works on Redis 6 (no EXPIRE NX).
_HIT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
"""


async def allow(redis: aioredis.Redis, key: str, limit: int, window_seconds: int) -> bool:
    """Counts one hit; False once `limit` hits were made in the current window (which starts
    with its first hit)."""
    return await allow_all(redis, [(key, limit)], window_seconds)


Limits = list[tuple[str, int]]


def queue_hits(pipe: Pipeline, limits: Limits, window_seconds: int) -> None:
    """One hit on each (key, limit), added to a pipeline that does other work in the same
    round trip; `within` reads the pipeline's results for them."""
    for key, _ in limits:
        pipe.eval(_HIT, 1, f"rate:{key}", window_seconds * 1000)


def within(counts: list[Any], limits: Limits) -> bool:
    return all(int(count) <= limit for count, (_, limit) in zip(counts, limits, strict=True))


async def allow_all(redis: aioredis.Redis, limits: Limits, window_seconds: int) -> bool:
    """Counts one hit on each (key, limit) in one round trip; False if any limit is spent.
    Every counter counts the hit, even when another one refuses."""
    async with redis.pipeline(transaction=False) as pipe:
        queue_hits(pipe, limits, window_seconds)
        counts = await pipe.execute()
    return within(counts, limits)


async def first_refusal(redis: aioredis.Redis, key: str, window_seconds: int) -> bool:
    """True the first time a limit refuses in a window, so a patient is told only once."""
    return bool(await redis.set(f"rate:told:{key}", "1", nx=True, ex=window_seconds))
