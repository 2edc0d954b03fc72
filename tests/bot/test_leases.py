"""Leases renewed together: kept while held, never over another holder's value, given up
after their longest hold."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.leases import Lease, keeper
from tests.conftest import TEST_REDIS_URL

LEASE = 0.3


@pytest.fixture
async def redis(redis_client) -> AsyncIterator[aioredis.Redis]:  # type: ignore[no-untyped-def]
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


def lease(value: str, max_hold: float = 60.0, renewal=None) -> Lease:  # type: ignore[no-untyped-def]
    return Lease("test lease", value, LEASE, int(LEASE * 1000), max_hold, renewal)


async def test_leases_held_are_renewed_and_those_let_go_lapse(redis: aioredis.Redis) -> None:
    keys = [f"lease:test:{i}" for i in range(50)]
    leases = [lease(f"holder-{i}") for i in range(50)]
    for key, held in zip(keys, leases, strict=True):
        await redis.set(key, held.value, px=int(LEASE * 1000))
        keeper(redis).hold(key, held)
    keeper(redis).release(keys[0], leases[0])
    await asyncio.sleep(LEASE * 3)
    assert await redis.get(keys[0]) is None
    assert await redis.mget(keys[1:]) == [f"holder-{i}" for i in range(1, 50)]
    for key, held in zip(keys, leases, strict=True):
        keeper(redis).release(key, held)
    await asyncio.sleep(LEASE * 1.5)
    assert await redis.exists(*keys) == 0


async def test_a_key_another_holder_took_is_left_to_it(redis: aioredis.Redis) -> None:
    held = lease("mine")
    await redis.set("lease:test:taken", "mine", px=int(LEASE * 1000))
    keeper(redis).hold("lease:test:taken", held)
    await redis.set("lease:test:taken", "theirs", px=5000)
    await asyncio.sleep(LEASE)
    assert await redis.get("lease:test:taken") == "theirs"
    assert "lease:test:taken" not in keeper(redis).held  # given up, not fought over
    await redis.delete("lease:test:taken")


async def test_a_renewal_may_write_a_new_value_and_a_hold_ends(redis: aioredis.Redis) -> None:
    renewals = iter(f"pending:{i}" for i in range(1, 100))
    held = lease("pending:0", max_hold=LEASE * 2, renewal=lambda: next(renewals))
    await redis.set("lease:test:moving", "pending:0", px=int(LEASE * 1000))
    keeper(redis).hold("lease:test:moving", held)
    await asyncio.sleep(LEASE * 0.5)
    assert await redis.get("lease:test:moving") == "pending:1"
    started = time.monotonic()
    while await redis.exists("lease:test:moving"):  # not renewed past its longest hold
        assert time.monotonic() - started < LEASE * 4
        await asyncio.sleep(0.02)
