"""Nobody waits forever: a sweep, run every few seconds by the bot service, that turns
waiting handoffs nobody can take into callback tasks (telling the patient what happens next)
and flags urgent ones waiting too long to supervisors, once each."""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from bot import live
from bot.clock import now
from bot.db import in_session
from bot.desk import service as desk
from bot.handoff import service as handoffs
from bot.redis import get_async_redis
from channels.delivery import deliver, notify_web_state

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 10
OVERDUE_KEY = "desk:urgent-flagged:"


async def sweep(redis: aioredis.Redis) -> tuple[int, int]:
    """(callbacks made, urgent handoffs newly flagged)."""
    at = now()
    made = await in_session(desk.make_callbacks, at)
    for handoff, notice in made:
        await deliver(handoff.conversation_id, notice.text, "system", f"notice:{notice.id}")
        await notify_web_state(handoff.conversation_id, "bot")
        await live.publish(redis, live.DESK_CHANNEL, {"type": "queue", "handoff_id": handoff.id})
    flagged = 0
    for handoff in await in_session(handoffs.overdue_urgent, at):
        # Once per handoff and queue entry: a transfer re-queues it, and may flag it again.
        key = f"{OVERDUE_KEY}{handoff.id}:{handoff.transfers}"
        if await redis.set(key, "1", nx=True, ex=24 * 3600):
            flagged += 1
            await live.publish(redis, live.DESK_CHANNEL, {
                "type": "urgent_overdue", "handoff_id": handoff.id, "team": handoff.team,
                "patient": handoffs.patient_label(handoff),
                "queued_at": (handoff.queued_at or handoff.created_at).isoformat()})
    return len(made), flagged


async def run_forever(interval: float = INTERVAL_SECONDS) -> None:
    while True:
        try:
            await sweep(get_async_redis())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bad pass must not stop the next one
            log.error("desk wait sweep failed: %s", exc)
        await asyncio.sleep(interval)
