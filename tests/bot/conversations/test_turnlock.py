"""The turn lock: one holder at a time, a lease renewed while its holder lives."""

import asyncio
import time

import redis.asyncio as aioredis

from bot.conversations import turnlock
from bot.conversations.turnlock import conversation_turn
from tests.conftest import TEST_REDIS_URL


async def test_the_turn_lock_hands_the_next_holder_what_the_last_one_wrote() -> None:
    """One holder at a time; the value named by `read` comes with the lock, as the holder
    before left it (the choices a reply offered)."""
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    await redis.delete("turn:web:lock", "choices:web:lock")
    seen: list[str | None] = []
    inside = 0

    async def holder(name: str) -> None:
        nonlocal inside
        async with conversation_turn(redis, "web:lock", read="choices:web:lock") as value:
            inside += 1
            assert inside == 1
            seen.append(value)
            await asyncio.sleep(0.05)
            await redis.set("choices:web:lock", name)
            inside -= 1

    await asyncio.gather(*(holder(f"h{i}") for i in range(4)))
    assert seen[0] is None and len(seen) == 4
    assert all(value is not None and value.startswith("h") for value in seen[1:])
    assert await redis.exists("turn:web:lock") == 0
    await redis.delete("choices:web:lock")
    await redis.aclose()


async def test_a_lapsed_turn_lock_taken_by_another_is_not_released_by_the_first() -> None:

    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    async with conversation_turn(redis, "web:lapsed") as value:
        assert value is None
        await redis.set("turn:web:lapsed", "someone-else")  # ours lapsed and was taken
    assert await redis.get("turn:web:lapsed") == "someone-else"
    await redis.delete("turn:web:lapsed")
    await redis.aclose()


async def test_a_turn_lock_is_kept_while_its_turn_runs_and_a_dead_holders_lapses(
        monkeypatch) -> None:
    """A live holder renews its lease however long its turn takes; a worker that died
    mid-turn (nothing renews) holds the conversation up for one lease, not TURN_LOCK_SECONDS."""
    monkeypatch.setattr(turnlock, "TURN_LOCK_LEASE_SECONDS", 0.3)
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    order: list[str] = []

    async def slow_turn() -> None:
        async with conversation_turn(redis, "web:leased"):
            order.append("slow in")
            await asyncio.sleep(1.0)  # three leases long
            order.append("slow out")

    async def next_message() -> None:
        await asyncio.sleep(0.05)
        async with conversation_turn(redis, "web:leased"):
            order.append("next in")

    await asyncio.gather(slow_turn(), next_message())
    assert order == ["slow in", "slow out", "next in"]

    await redis.set("turn:web:dead", "a-dead-worker", px=300)  # never renewed
    started = time.monotonic()
    async with conversation_turn(redis, "web:dead"):
        waited = time.monotonic() - started
    assert 0.2 < waited < 2
    await redis.aclose()
