"""Leases this process holds in Redis, renewed together.

A turn holds up to two while it runs: its conversation's turn lock and, for a chat page's
message, that message's client id. Each lapses soon after its holder dies, so that another
worker takes over, and is renewed every third of its length while the holder lives. One task
per Redis client renews all of this process's leases in one round trip: under load a turn
adds no task and no command of its own, and hundreds of turns in flight need one connection
every few seconds, not hundreds.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# For each key (ARGV in threes: the value it holds while ours, the value to renew it with,
# its new time to live in ms): renewed only while it still holds ours. Returns the positions
# (from 1) of the keys renewed.
_RENEW = """
local renewed = {}
for i, key in ipairs(KEYS) do
  local base = (i - 1) * 3
  if redis.call('get', key) == ARGV[base + 1] then
    redis.call('set', key, ARGV[base + 2], 'PX', ARGV[base + 3])
    renewed[#renewed + 1] = i
  end
end
return renewed
"""


@dataclass
class Lease:
    """A key this process holds: `value` while it is ours; renewed every third of
    `lease_seconds` with `renewal()` (the same value when None) for `ttl_ms`, until
    `max_hold_seconds` have passed (a holder that never let go)."""

    name: str  # what it is, for the logs (never the key: it names a conversation)
    value: str
    lease_seconds: float
    ttl_ms: int
    max_hold_seconds: float
    renewal: Callable[[], str] | None = None

    def __post_init__(self) -> None:
        self.until = time.monotonic() + self.max_hold_seconds


class Keeper:
    """The leases held through one Redis client, and the task renewing them while any are."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis
        self.held: dict[str, Lease] = {}
        self._task: asyncio.Task[None] | None = None

    def hold(self, key: str, lease: Lease) -> None:
        self.held[key] = lease
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._renew())

    def release(self, key: str, lease: Lease) -> None:
        if self.held.get(key) is lease:
            del self.held[key]

    async def _renew(self) -> None:
        while self.held:
            await asyncio.sleep(min(lease.lease_seconds for lease in self.held.values()) / 3)
            now = time.monotonic()
            for key, lease in list(self.held.items()):
                if now >= lease.until:
                    log.warning("a %s was held %.0f s: no longer renewed", lease.name,
                                lease.max_hold_seconds)
                    self.release(key, lease)
            batch = list(self.held.items())
            if not batch:
                return
            renewals = [lease.renewal() if lease.renewal else lease.value for _, lease in batch]
            args: list[str | int] = []
            for (_, lease), renewal in zip(batch, renewals, strict=True):
                args += [lease.value, renewal, lease.ttl_ms]
            try:
                renewed = set(await self.redis.eval(_RENEW, len(batch), *(k for k, _ in batch),
                                                    *args))
            except (RedisError, OSError) as exc:  # the next round may get through
                log.warning("could not renew %d leases (%s)", len(batch), type(exc).__name__)
                continue
            for position, ((key, lease), renewal) in enumerate(zip(batch, renewals,
                                                                   strict=True), 1):
                if position in renewed:
                    lease.value = renewal
                elif self.held.get(key) is lease:  # lapsed (a stalled loop), or let go of
                    log.warning("a %s lapsed while held", lease.name)
                    self.release(key, lease)


_keepers: weakref.WeakKeyDictionary[aioredis.Redis, Keeper] = weakref.WeakKeyDictionary()


def keeper(redis: aioredis.Redis) -> Keeper:
    """The keeper of the leases held through `redis` (one client per event loop)."""
    found = _keepers.get(redis)
    if found is None:
        found = _keepers[redis] = Keeper(redis)
    return found
