"""Redis clients. Created on first use, never at import time."""

from functools import lru_cache

import redis
import redis.asyncio as aioredis

from bot.settings import get_settings


@lru_cache
def get_redis() -> "redis.Redis":
    return redis.Redis.from_url(get_settings().redis_url, decode_responses=True)


@lru_cache
def get_async_redis() -> "aioredis.Redis":
    return aioredis.Redis.from_url(get_settings().redis_url, decode_responses=True)
