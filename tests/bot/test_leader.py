"""Background jobs run once across workers: each run is claimed in Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest
import redis as sync_redis
import redis.asyncio as aioredis

from bot.leader import claim
from tests.conftest import ROOT, TEST_REDIS_URL


async def test_one_claim_among_many_at_once(redis_client: sync_redis.Redis) -> None:
    clients = [aioredis.Redis.from_url(TEST_REDIS_URL) for _ in range(8)]
    won = await asyncio.gather(*(claim(c, "job", 5) for c in clients))
    assert sorted(won) == [False] * 7 + [True]
    assert 0 < redis_client.pttl("leader:job") <= 5000
    for c in clients:
        await c.aclose()


async def test_the_claim_lapses_so_a_dead_worker_blocks_nothing(redis_client: sync_redis.Redis
                                                                ) -> None:
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    assert await claim(client, "job", 0.2) is True
    assert await claim(client, "job", 0.2) is False
    await asyncio.sleep(0.3)
    assert await claim(client, "job", 0.2) is True
    await client.aclose()


async def test_redis_down_means_no_run_not_a_crash() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.2)
    assert await claim(client, "job", 5) is False
    await client.aclose()


WORKER = textwrap.dedent("""
    import asyncio, sys
    import bot.retention as retention
    def run_once():
        print("ran", flush=True)
        return 0, 0
    retention.run_once = run_once
    async def main():
        task = asyncio.create_task(retention.run_forever(interval_seconds=1.0))
        await asyncio.sleep(3.5)
        task.cancel()
    asyncio.run(main())
""")


@pytest.mark.timeout(60)
def test_retention_runs_once_per_interval_across_worker_processes(
        redis_client: sync_redis.Redis, env: dict[str, str]) -> None:
    """Three bot-service worker processes each run the retention loop (1 s interval here):
    each interval, one of them expires data."""
    workers = [subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env={**env,
                                "APP_ENV_FILE": "", "PATH": "/usr/bin:/bin"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    runs = sum(w.communicate(timeout=50)[0].count("ran") for w in workers)
    # 3.5 s with a 0.9 s claim: 3 or 4 intervals; without the claim, 3 workers x 4 = 12 runs.
    assert 3 <= runs <= 5, runs
