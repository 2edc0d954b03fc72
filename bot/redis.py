"""Redis clients. Created on first use, never at import time.

Short timeouts and one quick retry on a dropped connection: a paused or unreachable Redis
fails a command within about REDIS_TIMEOUT_SECONDS instead of redis-py's 5 s with retries, so
callers can degrade or answer 503 while a patient still waits.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import lru_cache
from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from bot.settings import get_settings

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def client_options() -> dict[str, Any]:
    """Timeouts for every client: a command waits at most this long on a silent server."""
    timeout = get_settings().redis_timeout_seconds
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout,
            "decode_responses": True}


@lru_cache
def get_redis() -> redis.Redis:
    # One retry, on a connection dropped under us (Redis restarted), never on a timeout.
    return redis.Redis.from_url(
        get_settings().redis_url, **client_options(),
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))


def get_async_redis() -> aioredis.Redis:
    """One client per event loop: an asyncio connection belongs to the loop that opened it
    (one loop in production; test clients and tools may start several)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(
            get_settings().redis_url, **client_options(),
            retry=AsyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        _async_clients[loop] = client
    return client


def _clear_async_clients() -> None:
    _async_clients.clear()


get_async_redis.cache_clear = _clear_async_clients  # type: ignore[attr-defined]


async def async_redis() -> aioredis.Redis:
    """FastAPI dependency: async, so it runs on the request's event loop (not a worker)."""
    return get_async_redis()
