"""Sends a patient's message to the engine's REST channel, one turn at a time per conversation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import redis.asyncio as aioredis

from bot.conversations.schemas import BotMessage, Button

log = logging.getLogger(__name__)

TURN_LOCK_SECONDS = 60


class EngineUnavailable(RuntimeError):
    """The engine did not answer in time or answered with an error."""


class EngineClient:
    def __init__(self, base_url: str, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        payload = {"sender": sender, "message": text, "metadata": metadata}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                resp = await http.post(f"{self.base_url}/webhooks/rest/webhook", json=payload)
                resp.raise_for_status()
                raw = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise EngineUnavailable(f"engine call failed: {type(exc).__name__}") from exc
        return parse_engine_messages(raw)


def parse_engine_messages(raw: Any) -> list[BotMessage]:
    """The REST channel answers a list of {text, buttons?, image?, custom?}; we keep text and
    buttons, and join a buttons-only message onto the text before it."""
    messages: list[BotMessage] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        text = str(item.get("text") or "").strip()
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title")
        ]
        if not text and buttons and messages:
            messages[-1].buttons.extend(buttons)
        elif text:
            messages.append(BotMessage(text=text, buttons=buttons))
    return messages


@asynccontextmanager
async def conversation_turn(redis: aioredis.Redis, sender: str) -> AsyncIterator[None]:
    """One message of a conversation at a time, in arrival order; others run in parallel."""
    lock = redis.lock(
        f"turn:{sender}", timeout=TURN_LOCK_SECONDS, blocking_timeout=TURN_LOCK_SECONDS
    )
    acquired = await lock.acquire()
    try:
        yield
    finally:
        if acquired:
            try:
                await lock.release()
            except Exception:  # lock expired under a very slow turn; nothing to undo
                log.warning("turn lock for a conversation expired before release")


class ConversationService:
    """A patient's turn: serialized per conversation, engine failures answered kindly."""

    def __init__(self, engine: EngineClient, redis: aioredis.Redis, apology: str) -> None:
        self.engine = engine
        self.redis = redis
        self.apology = apology

    async def turn(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        async with conversation_turn(self.redis, sender):
            try:
                return await self.engine.send(sender, text, metadata)
            except EngineUnavailable as exc:
                log.error("engine unavailable for a %s turn: %s", metadata.get("channel"), exc)
                return [BotMessage(text=self.apology)]
