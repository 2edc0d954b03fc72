"""The agent desk: its page and its API. Agents only: every other caller gets 401 or 403.

Async routes reach the database only through `bot.db.in_session` (a worker thread with its
own session), so one slow query or argon2 hash never stalls the live streams; routes that do
nothing but read are plain `def` routes, which FastAPI runs in its threadpool.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sse_starlette.sse import EventSourceResponse

from bot import live, ratelimit
from bot.agents import service as agents
from bot.agents.models import Agent
from bot.agents.responses import DeskJSONResponse
from bot.agents.signin import AgentDep, RedisDep
from bot.agents.signin import agent_from_token as _agent_from_token
from bot.agents.signin import bearer as _bearer
from bot.conversations.deps import get_conversations
from bot.conversations.models import TranscriptEntry
from bot.conversations.turnlock import conversation_turn
from bot.db import in_session
from bot.deps import DbId, SessionDep
from bot.desk import events as desk_events
from bot.desk import service as desk
from bot.desk.schemas import (
    AvailabilityRequest,
    DeskAgent,
    HandoffDetail,
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    TeamInfo,
    TransferRequest,
)
from bot.desk.tools.service import InvalidRequest
from bot.handoff import service as handoffs
from bot.handoff.schemas import AgentMessage, CloseRequest, QueueItem
from bot.security import nonced_page
from channels.delivery import deliver, notify_web_state

router = APIRouter(tags=["desk"], default_response_class=DeskJSONResponse)
PAGE = Path(__file__).parent / "static" / "desk.html"
TOKEN_TTL_SECONDS = 8 * 3600
LOGINS_PER_IP_PER_MINUTE = 10

def _errors(exc: Exception) -> HTTPException:
    if isinstance(exc, handoffs.HandoffNotFound):
        return HTTPException(404, "No such handoff.")
    if isinstance(exc, handoffs.NotYourHandoff):
        return HTTPException(403, "Another agent or team has this conversation.")
    if isinstance(exc, handoffs.BadTransfer):
        return HTTPException(422, str(exc))
    return HTTPException(409, "Someone else already took or closed this conversation.")


async def announce(redis: aioredis.Redis, notice: TranscriptEntry, state: str,
                   agent_name: str | None = None) -> None:
    """A handoff changed hands: tell the patient (their channel, and the chat's banner) and
    refresh the queue of every desk that sees it."""
    await deliver(notice.conversation_id, notice.text, "system", f"notice:{notice.id}")
    await notify_web_state(notice.conversation_id, state, agent_name)
    await live.publish(redis, live.DESK_CHANNEL, {"type": "queue", "handoff_id": notice.handoff_id})


@router.get("/desk", response_class=HTMLResponse, include_in_schema=False)
def desk_page() -> HTMLResponse:
    return nonced_page(PAGE)


@router.post("/api/desk/login", response_model=LoginResponse)
async def login(body: LoginRequest, redis: RedisDep, request: Request) -> LoginResponse:
    ip = request.client.host if request.client else "unknown"
    if not await ratelimit.allow(redis, f"desk-login:{ip}", LOGINS_PER_IP_PER_MINUTE, 60):
        raise HTTPException(429, "Too many sign-in attempts. Please wait a minute.")
    agent = await in_session(agents.authenticate, body.email, body.password)
    if agent is None:
        raise HTTPException(401, "That e-mail and password don't match an agent account.")
    token = await agents.issue_token(redis, agent.id, TOKEN_TTL_SECONDS, agent.token_version)
    return _me(agent, token)


def _me(agent: Agent, token: str = "") -> LoginResponse:
    return LoginResponse(token=token, name=agent.display_name, roles=agent.roles or [],
                         teams=agent.teams or [], availability=agent.availability)


@router.post("/api/desk/logout", status_code=204)
async def logout(body: LogoutRequest, agent: AgentDep, redis: RedisDep,
                 authorization: Annotated[str | None, Header()] = None) -> None:
    """Ends this sign-in (its token stops working at once), or every one of the account's."""
    await agents.revoke_token(redis, _bearer(authorization))
    if body.everywhere:
        await in_session(desk.sign_out_everywhere, agent.id)


@router.get("/api/desk/me", response_model=LoginResponse)
def me(agent: AgentDep) -> LoginResponse:
    return _me(agent)


@router.post("/api/desk/me/availability", response_model=LoginResponse)
async def set_availability(body: AvailabilityRequest, agent: AgentDep, redis: RedisDep
                           ) -> LoginResponse:
    updated = await in_session(agents.set_availability, agent.id, body.availability)
    await live.publish(redis, live.DESK_CHANNEL, {"type": "agents"})
    return _me(updated)


@router.get("/api/desk/agents", response_model=list[DeskAgent])
def list_agents(agent: AgentDep, session: SessionDep) -> list[DeskAgent]:
    """Colleagues one can transfer to (active accounts, oneself excluded)."""
    return [DeskAgent(id=a.id, name=a.display_name, teams=a.teams or [],
                      availability=a.availability)
            for a in agents.all_agents(session) if a.active and a.id != agent.id]


@router.get("/api/desk/teams", response_model=list[TeamInfo])
def list_teams(agent: AgentDep, session: SessionDep) -> list[TeamInfo]:
    return desk.team_infos(session)


@router.get("/api/desk/handoffs", response_model=list[QueueItem])
def list_handoffs(agent: AgentDep, session: SessionDep) -> list[QueueItem]:
    """The caller's teams' queues (supervisors: every team)."""
    return handoffs.queue(session, agent)


@router.get("/api/desk/handoffs/{handoff_id}", response_model=HandoffDetail)
def handoff_detail(handoff_id: DbId, agent: AgentDep, session: SessionDep) -> HandoffDetail:
    try:
        return desk.detail(session, handoff_id, agent)
    except (handoffs.HandoffNotFound, handoffs.NotYourHandoff) as exc:
        raise _errors(exc) from None


@router.post("/api/desk/handoffs/{handoff_id}/transfer", response_model=QueueItem)
async def transfer(handoff_id: DbId, body: TransferRequest, agent: AgentDep, redis: RedisDep
                   ) -> QueueItem:
    """To another team's queue or a named agent, with a private note: the next agent gets the
    same transcript, context, the note and the path so far; the patient is told once."""
    try:
        conversation_id = (await in_session(handoffs.get, handoff_id)).conversation_id
    except handoffs.HandoffNotFound as exc:
        raise _errors(exc) from None
    # Under the turn lock, as close: a patient message lands wholly before or after it.
    async with conversation_turn(redis, conversation_id):
        try:
            handoff, notice, target, was = await in_session(
                desk.transfer, handoff_id, agent, body.team.value if body.team else None,
                body.agent_id, body.note)
        except (handoffs.HandoffConflict, handoffs.NotYourHandoff,
                handoffs.BadTransfer) as exc:
            raise _errors(exc) from None
    await deliver(notice.conversation_id, notice.text, "system", f"notice:{notice.id}")
    await notify_web_state(notice.conversation_id, "waiting")
    await live.publish(redis, live.DESK_CHANNEL, {
        "type": "queue", "handoff_id": handoff.id, "urgency": handoff.urgency.value,
        "team": handoff.team, "new": True, "transfer": True, "was": was})
    return handoffs.queue_item(handoff, None, target.display_name if target else None)


@router.post("/api/desk/handoffs/{handoff_id}/accept", response_model=QueueItem)
async def accept(handoff_id: DbId, agent: AgentDep, redis: RedisDep) -> QueueItem:
    try:
        handoff, notice = await in_session(desk.accept, handoff_id, agent)
    except (handoffs.HandoffNotFound, handoffs.HandoffConflict,
            handoffs.NotYourHandoff) as exc:
        raise _errors(exc) from None
    await announce(redis, notice, state="agent", agent_name=agent.display_name)
    return handoffs.queue_item(handoff, agent.display_name)


@router.post("/api/desk/handoffs/{handoff_id}/messages", status_code=201)
async def send_message(handoff_id: DbId, body: AgentMessage, agent: AgentDep,
                       redis: RedisDep) -> dict[str, str]:
    try:
        handoff, entry = await in_session(desk.reply, handoff_id, agent, body.text)
    except (handoffs.HandoffNotFound, handoffs.HandoffConflict, handoffs.NotYourHandoff) as exc:
        raise _errors(exc) from None
    # The desk first, so its transcript shows the agent's words before the patient's answer.
    await live.publish(redis, live.DESK_CHANNEL, {
        "type": "message", "handoff_id": handoff.id, "role": "agent", "text": entry.text,
        "at": entry.at.isoformat(), "agent": agent.display_name})
    await deliver(handoff.conversation_id, entry.text, "agent", f"agent:{entry.id}")
    await get_conversations().record_agent_turn(handoff.conversation_id, entry.text,
                                                agent.display_name)
    return {"status": "sent"}


@router.post("/api/desk/handoffs/{handoff_id}/close", response_model=QueueItem)
async def close(handoff_id: DbId, body: CloseRequest, agent: AgentDep, redis: RedisDep
                ) -> QueueItem:
    try:
        conversation_id = (await in_session(handoffs.get, handoff_id)).conversation_id
    except handoffs.HandoffNotFound as exc:
        raise _errors(exc) from None
    # Under the conversation's turn lock: a patient message racing the close is handled
    # entirely before it (to the agent) or entirely after it (to the bot).
    async with conversation_turn(redis, conversation_id):
        try:
            handoff, notice = await in_session(desk.close, handoff_id, agent, body.disposition,
                                               body.follow_up)
        except (handoffs.HandoffConflict, handoffs.NotYourHandoff) as exc:
            raise _errors(exc) from None
        except InvalidRequest as exc:  # a follow-up that cannot be kept as asked
            raise HTTPException(422, str(exc)) from None
    await announce(redis, notice, state="bot")
    return handoffs.queue_item(handoff, agent.display_name)


@router.get("/api/desk/events")
async def events(redis: RedisDep, token: Annotated[str, Query()] = "") -> EventSourceResponse:
    """Live queue and transcript events (EventSource cannot send headers: token in the query),
    each only to agents who may open the handoff it is about (`bot.desk.events`)."""
    agent = await _agent_from_token(redis, token)
    agent_id, token_version = agent.id, agent.token_version

    async def stream() -> AsyncIterator[dict[str, str]]:
        yield {"event": "ready", "data": "{}"}
        async for event in live.listen(redis, live.DESK_CHANNEL):
            if event is None:
                try:
                    await _agent_from_token(redis, token)
                except HTTPException:
                    return  # signed out, expired, revoked or disabled: stop streaming
                yield {"event": "ping", "data": "{}"}
                continue
            try:
                shown = await in_session(desk_events.shown_to, agent_id, token_version, event)
            except desk_events.StreamRevoked:
                return
            if shown is not None:
                yield {"event": str(shown.get("type", "message")), "data": json.dumps(shown)}

    return EventSourceResponse(stream(), ping=None)
