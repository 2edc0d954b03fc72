"""Web chat: sessions with bearer tokens, messages over REST or a WebSocket, the /chat page."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import (
    APIRouter,
    Depends,
    Header,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sse_starlette.sse import EventSourceResponse

from bot import live, ratelimit
from bot.conversations import transcript
from bot.conversations.deps import get_conversations
from bot.conversations.schemas import BotMessage
from bot.conversations.service import ConversationService
from bot.db import in_session
from bot.deps import SessionDep
from bot.handoff import service as handoffs
from bot.redis import async_redis, get_async_redis
from bot.settings import get_settings
from bot.text import CleanText

router = APIRouter(tags=["web chat"])
PAGE = Path(__file__).parent / "static" / "chat.html"

RedisDep = Annotated[aioredis.Redis, Depends(async_redis)]

ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]


class WebSession(BaseModel):
    session_id: str
    token: str


class WebMessageIn(BaseModel):
    text: CleanText = Field(min_length=1, max_length=2000)


class WebReply(BaseModel):
    messages: list[BotMessage]
    state: str = "bot"
    agent: str | None = None


class HistoryItem(BaseModel):
    role: str
    text: str
    at: float


class History(BaseModel):
    messages: list[HistoryItem]
    state: str
    agent: str | None = None


def _token_key(token: str) -> str:
    return "web:token:" + hashlib.sha256(token.encode()).hexdigest()


async def session_for_token(redis: aioredis.Redis, token: str) -> str | None:
    """The session a token belongs to; each use keeps it alive for another idle period."""
    if not token:
        return None
    key = _token_key(token)
    raw = await redis.get(key)
    if not raw:
        return None
    session_id = raw.decode() if isinstance(raw, bytes) else str(raw)
    ttl = get_settings().web_session_idle_seconds
    await redis.expire(key, ttl)
    return session_id


async def current_session(
    redis: RedisDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    session_id = await session_for_token(redis, token if scheme.lower() == "bearer" else "")
    if session_id is None:
        raise HTTPException(401, "Your chat session has ended. Please start a new chat.")
    return session_id


SessionIdDep = Annotated[str, Depends(current_session)]


async def web_turn(
    conversations: ConversationService, session_id: str, text: str
) -> tuple[list[BotMessage], tuple[str, str | None]]:
    # A tapped button arrives as its payload; the service records it by its title.
    replies = await conversations.turn(f"web:{session_id}", text.strip(), {"channel": "web"})
    return replies, await in_session(handoffs.chat_state, f"web:{session_id}")


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
def chat_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


SLOW_DOWN = "You're sending messages faster than I can answer. Please wait a minute."


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def limit(redis: aioredis.Redis, key: str, per_minute: int) -> None:
    if not await ratelimit.allow(redis, key, per_minute, 60):
        raise HTTPException(429, SLOW_DOWN, headers={"Retry-After": "60"})


@router.post("/channels/web/sessions", response_model=WebSession)
async def start_session(redis: RedisDep, request: Request) -> WebSession:
    await limit(redis, f"web-ip-sessions:{client_ip(request)}",
                get_settings().web_sessions_per_ip_per_minute)
    session_id = secrets.token_hex(16)
    token = secrets.token_urlsafe(32)
    await redis.set(_token_key(token), session_id, ex=get_settings().web_session_idle_seconds)
    return WebSession(session_id=session_id, token=token)


@router.post("/channels/web/messages", response_model=WebReply)
async def post_message(
    body: WebMessageIn, session_id: SessionIdDep, conversations: ConversationsDep,
    redis: RedisDep, request: Request,
) -> WebReply:
    settings = get_settings()
    await limit(redis, f"web-session:{session_id}", settings.web_messages_per_session_per_minute)
    await limit(redis, f"web-ip:{client_ip(request)}", settings.web_messages_per_ip_per_minute)
    if not body.text.strip():
        raise HTTPException(422, "Please type a message.")
    replies, (state, agent) = await web_turn(conversations, session_id, body.text)
    return WebReply(messages=replies, state=state, agent=agent)


@router.get("/channels/web/history", response_model=History)
def history(session_id: SessionIdDep, session: SessionDep) -> History:
    items = transcript.read(session, f"web:{session_id}")
    state, agent = handoffs.chat_state(session, f"web:{session_id}")
    return History(
        messages=[HistoryItem(role=i.role, text=i.text, at=i.at.timestamp()) for i in items],
        state=state, agent=agent,
    )


@router.get("/channels/web/events")
async def events(redis: RedisDep, token: Annotated[str, Query()] = "") -> EventSourceResponse:
    """Pushes what does not answer the patient's own message: an agent's words, state changes.
    (EventSource cannot send headers, so the token comes in the query.)"""
    session_id = await session_for_token(redis, token)
    if session_id is None:
        raise HTTPException(401, "Your chat session has ended. Please start a new chat.")

    async def stream() -> AsyncIterator[dict[str, str]]:
        yield {"event": "ready", "data": "{}"}
        async for event in live.listen(redis, live.web_channel(session_id)):
            if event is None:
                if await session_for_token(redis, token) is None:
                    return
                yield {"event": "ping", "data": "{}"}
                continue
            yield {"event": str(event.get("type", "message")), "data": json.dumps(event)}

    return EventSourceResponse(stream(), ping=None)


@router.websocket("/channels/web/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """Token in the `token` query parameter or in a first frame {"token": ...}."""
    redis = get_async_redis()
    conversations = get_conversations()
    await websocket.accept()
    token = websocket.query_params.get("token", "")
    if not token:
        try:
            first = json.loads(await websocket.receive_text())
            token = str(first.get("token", "")) if isinstance(first, dict) else ""
        except (ValueError, WebSocketDisconnect):
            token = ""
    session_id = await session_for_token(redis, token)
    if session_id is None:
        await websocket.send_json({"type": "error", "detail": "session expired"})
        await websocket.close(code=4401)
        return
    await websocket.send_json({"type": "ready"})
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                text = WebMessageIn.model_validate_json(raw).text
            except ValidationError:
                await websocket.send_json({"type": "error", "detail": "Please type a message."})
                continue
            if await session_for_token(redis, token) is None:
                await websocket.send_json({"type": "error", "detail": "session expired"})
                await websocket.close(code=4401)
                return
            if not await ratelimit.allow(
                    redis, f"web-session:{session_id}",
                    get_settings().web_messages_per_session_per_minute, 60):
                await websocket.send_json({"type": "error", "detail": SLOW_DOWN})
                continue
            await websocket.send_json({"type": "typing"})
            replies, (state, agent) = await web_turn(conversations, session_id, text)
            await websocket.send_json({"type": "messages", "state": state, "agent": agent,
                                       "messages": [m.model_dump() for m in replies]})
    except WebSocketDisconnect:
        return
