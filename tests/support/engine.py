"""A conversation service whose engine is a scripted handler: the engine's REST channel is
the edge of a unit test, everything behind the bot service (Redis, database) is real."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from bot.conversations.deps import emergency_text
from bot.conversations.service import ConversationService, EngineClient
from bot.db import get_sessionmaker
from bot.redis import get_async_redis

Reply = list[dict[str, Any]]


def scripted_conversations(answer: Callable[[str], Reply], sent: list[str]
                           ) -> ConversationService:
    """Each message the engine gets is appended to `sent`; `answer` says what it replies."""

    async def engine(request: httpx.Request) -> httpx.Response:
        message = json.loads(request.content)["message"]
        sent.append(message)
        return httpx.Response(200, json=answer(message))

    return ConversationService(
        EngineClient("http://engine.test", transport=httpx.MockTransport(engine)),
        get_async_redis, get_sessionmaker(), apology="sorry", emergency_text=emergency_text())
