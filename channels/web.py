"""Web chat: sessions with bearer tokens, messages over REST or a WebSocket, the /chat page."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from pathlib import Path
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import APIRouter, Depends, Header, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from bot.conversations.deps import get_conversations
from bot.conversations.schemas import BotMessage
from bot.conversations.service import ConversationService
from bot.redis import get_async_redis
from bot.settings import get_settings

router = APIRouter(tags=["web chat"])
PAGE = Path(__file__).parent / "static" / "chat.html"
HISTORY_LIMIT = 200

RedisDep = Annotated[aioredis.Redis, Depends(get_async_redis)]
ConversationsDep = Annotated[ConversationService, Depends(get_conversations)]


class WebSession(BaseModel):
    session_id: str
    token: str


class WebMessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class WebReply(BaseModel):
    messages: list[BotMessage]


class HistoryItem(BaseModel):
    role: str
    text: str
    at: float
    buttons: list[dict[str, str]] = []


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
    await redis.expire(f"web:history:{session_id}", ttl)
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


async def _remember(redis: aioredis.Redis, session_id: str, items: list[HistoryItem]) -> None:
    key = f"web:history:{session_id}"
    pipe = redis.pipeline()
    for item in items:
        pipe.rpush(key, item.model_dump_json())
    pipe.ltrim(key, -HISTORY_LIMIT, -1)
    pipe.expire(key, get_settings().web_session_idle_seconds)
    await pipe.execute()


async def web_turn(
    conversations: ConversationService, redis: aioredis.Redis, session_id: str, text: str
) -> list[BotMessage]:
    text = text.strip()
    replies = await conversations.turn(f"web:{session_id}", text, {"channel": "web"})
    now = time.time()
    await _remember(
        redis,
        session_id,
        [HistoryItem(role="patient", text=text, at=now)]
        + [
            HistoryItem(role="bot", text=m.text, at=now,
                        buttons=[b.model_dump() for b in m.buttons])
            for m in replies
        ],
    )
    return replies


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
def chat_page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))


@router.post("/channels/web/sessions", response_model=WebSession)
async def start_session(redis: RedisDep) -> WebSession:
    session_id = secrets.token_hex(16)
    token = secrets.token_urlsafe(32)
    await redis.set(_token_key(token), session_id, ex=get_settings().web_session_idle_seconds)
    return WebSession(session_id=session_id, token=token)


@router.post("/channels/web/messages", response_model=WebReply)
async def post_message(
    body: WebMessageIn, session_id: SessionIdDep, redis: RedisDep,
    conversations: ConversationsDep,
) -> WebReply:
    if not body.text.strip():
        raise HTTPException(422, "Please type a message.")
    return WebReply(messages=await web_turn(conversations, redis, session_id, body.text))


@router.get("/channels/web/history", response_model=list[HistoryItem])
async def history(session_id: SessionIdDep, redis: RedisDep) -> list[HistoryItem]:
    raw = await redis.lrange(f"web:history:{session_id}", 0, -1)
    return [HistoryItem.model_validate_json(item) for item in raw]


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
            await websocket.send_json({"type": "typing"})
            replies = await web_turn(conversations, redis, session_id, text)
            await websocket.send_json(
                {"type": "messages", "messages": [m.model_dump() for m in replies]}
            )
    except WebSocketDisconnect:
        return
