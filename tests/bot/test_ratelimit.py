"""The rate-limit counter and its expiry are one atomic step: no crash can leave a number
blocked for good."""

from __future__ import annotations

import redis as sync_redis
import redis.asyncio as aioredis

from bot import ratelimit
from tests.conftest import TEST_REDIS_URL

TEST_DB = int(TEST_REDIS_URL.rsplit("/", 1)[1] or 0)


async def test_the_first_hit_sets_count_and_expiry_together(redis_client: sync_redis.Redis
                                                            ) -> None:
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    assert [await ratelimit.allow(client, "n", 2, 60) for _ in range(3)] == [True, True, False]
    assert redis_client.get("rate:n") == "3"
    assert 59_000 < redis_client.pttl("rate:n") <= 60_000
    await client.aclose()


async def test_one_redis_command_per_hit(redis_client: sync_redis.Redis) -> None:
    """Seen with MONITOR: a hit is a single EVAL, so there is no moment between the count
    and its expiry for a dying process to leave a key without one."""
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    await client.ping()
    with sync_redis.Redis.from_url(TEST_REDIS_URL).monitor() as monitor:
        await ratelimit.allow(client, "one", 5, 60)
        await client.set("ratelimit-test-done", 1)
        touching = []
        while True:
            seen = monitor.next_command()
            if seen["db"] != TEST_DB or seen["client_type"] == "lua":
                continue
            if "ratelimit-test-done" in seen["command"]:
                break
            if "rate:one" in seen["command"]:
                touching.append(seen["command"].split()[0])
    assert touching == ["EVAL"]
    await client.aclose()


async def test_a_counter_left_without_expiry_gets_one(redis_client: sync_redis.Redis) -> None:
    """A key an older version left behind with no expiry (the bug) heals on its next hit."""
    redis_client.set("rate:stuck", 99)
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    assert await ratelimit.allow(client, "stuck", 20, 60) is False
    assert 0 < redis_client.pttl("rate:stuck") <= 60_000
    await client.aclose()
