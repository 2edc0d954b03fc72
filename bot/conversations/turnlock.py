"""The turn lock: one message of a conversation at a time, in arrival order.

A message racing a handoff's close goes to exactly one of agent or bot, and a desk's close,
transfer or outreach send waits for the patient's turn in progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.leases import Lease, keeper

log = logging.getLogger(__name__)

# The longest a message waits for its conversation's previous one: then it goes ahead anyway.
TURN_LOCK_SECONDS = 60
# A turn lock lapses this long after its holder last renewed it (every third of this while
# held): a worker that died mid-turn holds its conversation up for at most this long, and a
# live one keeps the lock however long its turn takes (up to TURN_LOCK_MAX_HOLD_SECONDS).
TURN_LOCK_LEASE_SECONDS = 15.0
TURN_LOCK_MAX_HOLD_SECONDS = 10 * 60
# How often a message waiting for its conversation's previous one asks again: soon at first
# (a chat page's turn finishes recording just after its reply, when a quick client may already
# send the next message), then every TURN_LOCK_POLL_SECONDS.
TURN_LOCK_FIRST_POLL_SECONDS = 0.002
TURN_LOCK_POLL_SECONDS = 0.05
# Let go of our own hold only: it may have lapsed (a stalled worker) and been taken.
_RELEASE_TURN = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@asynccontextmanager
async def conversation_turn(redis: aioredis.Redis, sender: str, *, read: str | None = None
                            ) -> AsyncIterator[Any]:
    """One message of a conversation at a time, in arrival order; others run in parallel.

    `read` names a key the holder needs (the choices the last reply offered), written by the
    previous holder before it let go: its value is read in the same round trip as the
    taking, and is what the block receives. The lock is a lease its holder renews while the
    block runs (TURN_LOCK_LEASE_SECONDS): a holder that died is waited for that long at most.
    A message that waited TURN_LOCK_SECONDS goes ahead anyway."""
    key = f"turn:{sender}"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + TURN_LOCK_SECONDS
    poll = TURN_LOCK_FIRST_POLL_SECONDS
    while True:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(key, token, nx=True, px=int(TURN_LOCK_LEASE_SECONDS * 1000))
            if read is not None:
                pipe.get(read)
            results = await pipe.execute()
        held = bool(results[0])
        if held or time.monotonic() >= deadline:
            break
        await asyncio.sleep(poll)
        poll = min(poll * 2, TURN_LOCK_POLL_SECONDS)
    lease: Lease | None = None
    if held:
        lease = Lease("conversation's turn lock", token, TURN_LOCK_LEASE_SECONDS,
                      int(TURN_LOCK_LEASE_SECONDS * 1000), TURN_LOCK_MAX_HOLD_SECONDS)
        keeper(redis).hold(key, lease)
    try:
        yield results[1] if read is not None else None
    finally:
        if lease is not None:
            keeper(redis).release(key, lease)
            try:
                if not await redis.eval(_RELEASE_TURN, 1, key, token):
                    log.warning("turn lock for a conversation expired before release")
            except (RedisError, OSError) as exc:  # it lapses (TURN_LOCK_LEASE_SECONDS)
                log.warning("could not release a conversation's turn lock (%s)",
                            type(exc).__name__)
