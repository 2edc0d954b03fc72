"""Sends follow-up messages whose time has come: at once when written in the daytime, else
at the clinic's next 8:00 (the bot service checks every minute; `python -m bot.desk.tools
deliver --at <time>` does one pass for a given moment)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from bot.db import in_session
from bot.desk.tools import service
from channels.delivery import deliver
from channels.sms import get_sms_sender
from channels.sms_sender import reply_key

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60


async def deliver_due(at: datetime | None = None) -> int:
    """Sends every scheduled follow-up due by `at` (default now), once each; returns how many."""
    at = at or datetime.now(UTC)
    claimed = await in_session(service.claim_due_messages, at)
    for task_id, conversation_id, phone, text in claimed:
        key = f"follow-up:{task_id}"
        await get_sms_sender().send(phone, text, reply_key(conversation_id, key, 0))
        if conversation_id.startswith("web:"):  # and to the chat, if it is still open
            await deliver(conversation_id, text, "agent", key)
        await in_session(service.mark_sent, task_id, at)
    return len(claimed)


async def run_forever() -> None:
    while True:
        try:
            await deliver_due()
        except Exception:  # a failed pass must not stop the next one
            log.exception("follow-up delivery failed")
        await asyncio.sleep(INTERVAL_SECONDS)
