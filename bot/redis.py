"""Redis clients. Created on first use, never at import time."""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache

import redis
import redis.asyncio as aioredis

from bot.settings import get_settings

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


@lru_cache
def get_redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url, decode_responses=True)


def get_async_redis() -> aioredis.Redis:
    """One client per event loop: an asyncio connection belongs to the loop that opened it
    (one loop in production; test clients and tools may start several)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(get_settings().redis_url, decode_responses=True)
        _async_clients[loop] = client
    return client


def _clear_async_clients() -> None:
    _async_clients.clear()


get_async_redis.cache_clear = _clear_async_clients  # type: ignore[attr-defined]


async def async_redis() -> aioredis.Redis:
    """FastAPI dependency: async, so it runs on the request's event loop (not a worker)."""
    return get_async_redis()
