"""The handoff request, made by the action server when a person should take over."""

from typing import Annotated

import redis.asyncio as aioredis
from fastapi import APIRouter, Depends

from bot import live
from bot.agents import teams
from bot.backoffice.routes import require_service_token
from bot.clock import clinic_today, now
from bot.db import in_session
from bot.handoff import service
from bot.handoff.enums import Urgency
from bot.handoff.schemas import HandoffRequest, HandoffTicket
from bot.redis import async_redis

router = APIRouter(prefix="/api/handoffs", tags=["handoff"],
                   dependencies=[Depends(require_service_token)])


@router.post("", response_model=HandoffTicket)
async def request_handoff(
    body: HandoffRequest, redis: Annotated[aioredis.Redis, Depends(async_redis)],
) -> HandoffTicket:
    # Off the event loop: the desk's live streams share it.
    handoff, created = await in_session(service.request_handoff, body, clinic_today())
    at = now()
    opens_at = None
    if created and handoff.urgency is not Urgency.urgent and not teams.is_open(handoff.team, at):
        # No line to stand in: a callback now, told in the action's one reply.
        handoff = await in_session(service.callback_now, handoff.id, at)
        opens_at = teams.next_opening(handoff.team, at)
    position, wait = await in_session(service.wait_estimate, handoff)
    if created:
        # The team rides along so desks can alert only the agents who work that queue.
        await live.publish(redis, live.DESK_CHANNEL, {
            "type": "queue", "handoff_id": handoff.id, "urgency": handoff.urgency.value,
            "team": handoff.team, "new": True})
    return HandoffTicket(handoff_id=handoff.id, position=position, wait_minutes=wait,
                         urgent=handoff.urgency.value == "urgent", team=handoff.team,
                         team_open=teams.is_open(handoff.team, at), opens_at=opens_at,
                         callback_by_phone=service.reachable_by_phone(handoff))
