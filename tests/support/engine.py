"""A conversation service whose engine is a scripted HTTP server: the engine's API is the
edge of a unit test, everything behind the bot service (Redis, database) is real."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from bot.conversations.deps import emergency_text
from bot.conversations.engine import EngineClient
from bot.conversations.service import ConversationService
from bot.db import get_sessionmaker
from bot.redis import get_async_redis
from tests.support.engine_server import engine_server

Reply = list[dict[str, Any]]
Scripted = Callable[[Callable[[str], Reply], list[str]], ConversationService]


@pytest.fixture
def scripted_conversations() -> Iterator[Scripted]:
    """Makes conversation services over scripted engines: each message an engine gets is
    appended to `sent`, and `answer` says what it replies. The engines stop after the test."""
    with ExitStack() as servers:

        def make(answer: Callable[[str], Reply], sent: list[str]) -> ConversationService:
            def engine(request: httpx.Request) -> httpx.Response:
                message = json.loads(request.content)["message"]
                sent.append(message)
                return httpx.Response(200, json=answer(message))

            return conversation_service(servers.enter_context(engine_server(engine)))

        yield make


def conversation_service(engine_url: str) -> ConversationService:
    """The bot's conversation service over the engine at `engine_url`, with the test
    database and Redis."""
    return ConversationService(EngineClient(engine_url), get_async_redis, get_sessionmaker(),
                               apology="sorry", emergency_text=emergency_text())
