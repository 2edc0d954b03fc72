"""A patient's turn: to the agent when a person has the conversation, else to the engine.

Each conversation is handled one message at a time, in arrival order (a Redis lock), so a
message racing a handoff's close goes to exactly one of agent or bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import redis.asyncio as aioredis
from sqlalchemy.orm import Session, sessionmaker

from bot import live
from bot.conversations import transcript
from bot.conversations.schemas import BotMessage, Button
from bot.db import T, in_session
from bot.handoff import service as handoffs
from bot.handoff.models import Urgency
from bot.privacy.redaction import mask_card_numbers
from bot.safety.emergency import EmergencyMatch, detect_emergency
from bot.text import clean_text

log = logging.getLogger(__name__)

TURN_LOCK_SECONDS = 60
# How long the choices a reply offered stay answerable ("2", or a tapped button).
CHOICES_TTL_SECONDS = 15 * 60


class EngineUnavailable(RuntimeError):
    """The engine did not answer in time or answered with an error."""


class EngineClient:
    def __init__(self, base_url: str, token: str = "", timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
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

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Keeps the engine's tracker whole while a person has the conversation."""
        url = f"{self.base_url}/conversations/{quote(sender, safe='')}/tracker/events"
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as http:
                resp = await http.post(url, json=events, params={"token": self.token})
                resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise EngineUnavailable(f"tracker append failed: {type(exc).__name__}") from exc


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


def _now() -> datetime:
    return datetime.now(UTC)


def agent_event(text: str, agent_name: str) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": _now().timestamp(),
            "metadata": {"agent": agent_name}}


# The intent a patient's message to an agent is kept under in the engine's tracker. Rasa's
# event schema wants a name, and the engine never parsed these words. `inform` is in the
# domain and names no topic (the desk does not list it). It cannot steer a prediction: the
# policies see the conversation as a state per action, and no action runs between these
# messages and the next message the engine parses itself once the handoff closes, which
# replaces them as the latest message.
HANDOFF_INTENT = "inform"


def patient_event(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": _now().timestamp(),
            "parse_data": {"text": text, "intent": {"name": HANDOFF_INTENT, "confidence": 1.0},
                           "entities": []},
            "metadata": {"during_handoff": True}}


def as_recorded(reply: BotMessage) -> str:
    """A bot reply as the transcript keeps it: with the choices it offered, so an agent reading
    "2" or "Yes" later knows what the patient was answering."""
    if not reply.buttons:
        return reply.text
    return reply.text + "\nChoices: " + " · ".join(b.title for b in reply.buttons)


class ConversationService:
    def __init__(self, engine: EngineClient, redis: Callable[[], aioredis.Redis],
                 sessions: sessionmaker[Session], apology: str, emergency_text: str) -> None:
        self.engine = engine
        self._redis = redis
        self.sessions = sessions
        self.apology = apology
        self.emergency_text = emergency_text

    @property
    def redis(self) -> aioredis.Redis:
        return self._redis()

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await in_session(fn, *args, sessions=self.sessions)

    @staticmethod
    def _choices_key(sender: str) -> str:
        return f"choices:{sender}"

    async def offered_choices(self, sender: str) -> list[Button]:
        """The choices the last reply offered, still open to an answer."""
        stored = await self.redis.get(self._choices_key(sender))
        return [Button.model_validate(b) for b in json.loads(stored)] if stored else []

    async def _remember_choices(self, sender: str, replies: list[BotMessage]) -> None:
        buttons = [b for reply in replies for b in reply.buttons]
        if buttons:
            await self.redis.set(self._choices_key(sender),
                                 json.dumps([b.model_dump() for b in buttons]),
                                 ex=CHOICES_TTL_SECONDS)
        else:
            await self.redis.delete(self._choices_key(sender))

    async def turn(self, sender: str, text: str, metadata: dict[str, Any],
                   shown: str | None = None) -> list[BotMessage]:
        """One patient message. The transcript, the desk and the chat history show what the
        patient saw themselves send, never `/inform{...}`: `shown` when the channel says so
        (SMS "2"), else the title of the offered choice whose payload this is (a tapped
        button)."""
        received = _now()
        # The rule-based safety net runs beside the classifier: a misspelled or unusual
        # emergency is still answered first, whatever flow is active. A card number typed
        # here is never stored or passed on: not in our transcript, not in the engine's
        # tracker (it gets a test number and answers "we can't take cards").
        text, recorded = mask_card_numbers(clean_text(text))
        emergency = await asyncio.to_thread(detect_emergency, text)
        async with conversation_turn(self.redis, sender):
            if shown is None:
                shown = next((b.title for b in await self.offered_choices(sender)
                              if b.payload == text.strip()), None)
            if shown is not None and shown.strip():
                recorded = mask_card_numbers(clean_text(shown))[1]
            replies = await self._answer(sender, text, recorded, received, emergency, metadata)
            await self._remember_choices(sender, replies)
            return replies

    async def _answer(self, sender: str, text: str, recorded: str, received: datetime,
                      emergency: EmergencyMatch | None, metadata: dict[str, Any]
                      ) -> list[BotMessage]:
        """Under the conversation's turn lock: to the agent during a handoff, else the engine."""
        handoff = await self._db(handoffs.open_handoff, sender)
        if handoff is not None:
            await self._to_agent(sender, recorded, received, handoff.id)
            if emergency is None:
                return []
            await self._db(handoffs.raise_urgency, handoff.id)
            await live.publish(self.redis, live.DESK_CHANNEL, {
                "type": "queue", "handoff_id": handoff.id, "urgency": Urgency.urgent.value})
            await self._db(transcript.record_entry, sender, "bot", self.emergency_text)
            return [BotMessage(text=self.emergency_text)]
        engine_text = "/emergency" if emergency is not None else text
        if emergency is not None:
            log.warning("safety net: %s (%s) in a %s conversation", emergency.reason,
                        emergency.kind, metadata.get("channel"))
        try:
            replies = await self.engine.send(sender, engine_text, metadata)
        except EngineUnavailable as exc:
            log.error("engine unavailable for a %s turn: %s", metadata.get("channel"), exc)
            replies = [BotMessage(text=self.emergency_text if emergency else self.apology)]
        await self._db(transcript.record_turn, sender, recorded, received,
                       [as_recorded(reply) for reply in replies])
        return replies

    async def _to_agent(self, sender: str, text: str, received: datetime, handoff_id: int) -> None:
        await self._db(transcript.record_entry, sender, "patient", text, received, handoff_id)
        await live.publish(self.redis, live.DESK_CHANNEL, {
            "type": "message", "handoff_id": handoff_id, "role": "patient", "text": text,
            "at": received.isoformat()})
        try:
            await self.engine.append_events(sender, [patient_event(text)])
        except EngineUnavailable as exc:  # the desk transcript has it; the tracker catches up
            log.warning("could not append a handoff message to the tracker: %s", exc)

    async def record_agent_turn(self, sender: str, text: str, agent_name: str) -> None:
        try:
            await self.engine.append_events(sender, [agent_event(text, agent_name)])
        except EngineUnavailable as exc:
            log.warning("could not append an agent message to the tracker: %s", exc)
