"""Builds the conversation service from the settings, once per process, on first use."""

from functools import lru_cache

from bot.conversations.engine import EngineClient
from bot.conversations.service import ConversationService
from bot.db import get_sessionmaker
from bot.redis import get_async_redis
from bot.responses import response_text
from bot.settings import get_settings


def emergency_text(language: str | None = None) -> str:
    """Said by the bot service itself when the engine cannot be asked (an agent has the
    conversation, or the engine is down): the domain's utter_emergency, word for word, in
    `language`'s variation (the default one when there is none, or no language is known)."""
    return response_text("utter_emergency", language=language)


async def conversations() -> ConversationService:
    """get_conversations as a FastAPI dependency: async, so no thread-pool hop per message."""
    return get_conversations()


@lru_cache
def get_conversations() -> ConversationService:
    settings = get_settings()
    return ConversationService(
        EngineClient(settings.engine_url_list, settings.engine_token,
                     timeout=settings.engine_timeout_seconds),
        get_async_redis,
        get_sessionmaker(),
        apology=(
            "Sorry, I'm having trouble right now. Please try again in a few minutes, "
            f"or call us at {settings.clinic_phone}."
        ),
        emergency_text=emergency_text(),
        emergency_text_in=emergency_text,
        web_timeout=settings.engine_web_timeout_seconds,
        clinic_name=settings.clinic_name,
    )
