"""Messages that do not answer a patient's message (an agent's, a notice) reach the patient
on the channel the conversation is on: SMS through the outbound sender, web chat by push."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import live
from bot.redis import get_async_redis
from channels.sms import get_sms_sender
from channels.sms_sender import reply_key


async def deliver(conversation_id: str, text: str, role: str, key: str) -> None:
    channel, _, ident = conversation_id.partition(":")
    if channel == "sms":
        await get_sms_sender().send(ident, text, reply_key(conversation_id, key, 0))
    elif channel == "web":
        await live.publish(get_async_redis(), live.web_channel(ident), {
            "type": "message", "role": role, "text": text,
            "at": datetime.now(UTC).timestamp()})


async def notify_web_state(conversation_id: str, state: str, agent: str | None = None) -> None:
    """Lets the chat page show "you are talking to a person" and back."""
    channel, _, ident = conversation_id.partition(":")
    if channel == "web":
        await live.publish(get_async_redis(), live.web_channel(ident),
                           {"type": "state", "state": state, "agent": agent})
