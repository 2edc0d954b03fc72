"""Background jobs run by one bot-service worker at a time, whatever the number of workers:
each run is claimed with one atomic Redis `SET NX PX`; the workers keep no other state."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from functools import lru_cache

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def worker_id() -> str:
    """Who holds a claim, for an operator reading Redis: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def claim(redis: aioredis.Redis, job: str, hold_seconds: float) -> bool:
    """True for the one worker that takes this run of `job`; the claim lapses by itself after
    `hold_seconds` (so a worker that dies mid-run never blocks the job for good). Redis
    unreachable: no worker runs it this time (it runs again at the next interval)."""
    try:
        return bool(await redis.set(f"leader:{job}", worker_id(), nx=True,
                                    px=max(1, int(hold_seconds * 1000))))
    except (RedisError, OSError) as exc:
        log.warning("%s: not run this time, Redis did not answer (%s)", job,
                    type(exc).__name__)
        return False
