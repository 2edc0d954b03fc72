"""A patient's turn: to the agent when a person has the conversation, else to the engine.

Each conversation is handled one message at a time, in arrival order (the turn lock,
bot/conversations/turnlock.py), so a message racing a handoff's close goes to exactly one of
agent or bot. The engine is reached through its client, bot/conversations/engine.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot import live
from bot.clock import now as _now
from bot.conversations import transcript
from bot.conversations.choices import chosen, match_choice
from bot.conversations.engine import EngineClient, EngineReplies, EngineUnavailable
from bot.conversations.schemas import BotMessage, Button
from bot.conversations.turnlock import conversation_turn
from bot.db import T, in_session
from bot.handoff import service as handoffs
from bot.handoff.models import Urgency
from bot.handoff.service import ChatState
from bot.insights import metrics as insight_metrics
from bot.insights import queue as insights
from bot.privacy.redaction import mask_card_numbers
from bot.safety.emergency import EmergencyMatch, detect_emergency
from bot.text import clean_text

log = logging.getLogger(__name__)

# How long the choices a reply offered stay answerable ("2", or a tapped button).
CHOICES_TTL_SECONDS = 15 * 60


class DatabaseSlow(Exception):
    """The database did not answer the turn's first query in time: it is hanging."""


# Every this many engine turns of a conversation, its Rasa session is compacted when it can be.
COMPACT_EVERY_TURNS = 20
# A conversation quiet this long starts its count again (its next Rasa session is new anyway).
TURNS_TTL_SECONDS = 24 * 3600


def _choices_json(buttons: list[Button]) -> str:
    return json.dumps([b.model_dump() for b in buttons])


def _choices(stored: str | bytes | None) -> list[Button]:
    return [Button.model_validate(b) for b in json.loads(stored)] if stored else []


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


def _first_look(session: Session, sender: str, text: str
                ) -> tuple[EmergencyMatch | None, int | None]:
    return detect_emergency(text), handoffs.holding_handoff_id(session, sender)


@dataclass
class AnsweredTurn:
    """A turn answered: the replies, the chat's state after them (for a chat page, else None)
    and `finish`, what is left of the turn once the patient has the replies (recording it,
    keeping its choices, letting the conversation's next message in). `finish` must run,
    whatever happens to the reply; it raises only what recording raised."""

    replies: list[BotMessage]
    state: ChatState | None
    finish: Callable[[], Awaitable[None]]


BOT_STATE: ChatState = ("bot", None)


async def nothing_left() -> None:
    """A finish with nothing to do (a turn already recorded, or a repeated message)."""
    return None


def as_recorded(reply: BotMessage) -> str:
    """A bot reply as the transcript keeps it: with the choices it offered, so an agent reading
    "2" or "Yes" later knows what the patient was answering."""
    if not reply.buttons:
        return reply.text
    return reply.text + "\nChoices: " + " · ".join(b.title for b in reply.buttons)


class ConversationService:
    def __init__(self, engine: EngineClient, redis: Callable[[], aioredis.Redis],
                 sessions: sessionmaker[Session], apology: str, emergency_text: str,
                 web_timeout: float | None = None,
                 emergency_text_in: Callable[[str | None], str] | None = None) -> None:
        self.engine = engine
        # A person watching a chat page is told within seconds when the engine hangs; SMS
        # waits the engine client's own timeout.
        self.web_timeout = web_timeout
        self._redis = redis
        self.sessions = sessions
        self.apology = apology
        self.emergency_text = emergency_text
        # utter_emergency in a given language (its default variation without one)
        self.emergency_text_in = emergency_text_in

    def emergency_reply(self, emergency: EmergencyMatch | None,
                        language: str | None = None) -> str:
        """The 911 (and 988) words in the conversation's `language` when it is known, else in
        the language the crisis was written in: "no puedo respirar" is answered in Spanish
        even when the conversation's language was never set."""
        chosen = language or (emergency.language if emergency is not None else None)
        if self.emergency_text_in is None or chosen is None:
            return self.emergency_text
        return self.emergency_text_in(chosen)

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
        return _choices(await self.redis.get(self._choices_key(sender)))

    async def offer_choices(self, sender: str, buttons: list[Button], ttl_seconds: int) -> None:
        """Choices a message sent outside a turn offered (an outreach SMS): "2" answers them."""
        await self.redis.set(self._choices_key(sender), _choices_json(buttons), ex=ttl_seconds)

    async def turn(self, sender: str, text: str, metadata: dict[str, Any], *,
                   shown: str | None = None, message_id: str | None = None,
                   maybe_taken: bool = False) -> list[BotMessage]:
        """One patient message. The transcript, the desk and the chat history show what the
        patient saw themselves send, never `/inform{...}`: `shown` when the channel says so
        (SMS "2"), else the title of the offered choice whose payload this is (a tapped
        button). `message_id` and `maybe_taken` as for answer_first."""
        answered = await self._turn(sender, text, metadata, shown=shown, message_id=message_id,
                                    maybe_taken=maybe_taken)
        await answered.finish()
        return answered.replies

    async def answer_first(self, sender: str, text: str, metadata: dict[str, Any], *,
                           db_timeout: float | None = None, message_id: str | None = None,
                           maybe_taken: bool = False) -> AnsweredTurn:
        """A chat page's turn, answered before it is recorded: the replies and what the chat
        shows after them (read once the engine's actions may have opened a handoff), and
        `finish`, the rest of the turn, which the channel runs once the reply is on its way.
        The conversation's next message waits for `finish`, so nothing is reordered; the
        patient does not wait for it. A database that does not answer the turn's first
        query within `db_timeout` raises DatabaseSlow, so the page is told within seconds
        instead of its message being held.

        `message_id` names the message in the engine's tracker (the same on every attempt
        at it); `maybe_taken`: an earlier attempt may have reached the engine (it failed, or
        its worker died), so the engine is asked first whether it took the message."""
        return await self._turn(sender, text, metadata, with_state=True,
                                db_timeout=db_timeout, message_id=message_id,
                                maybe_taken=maybe_taken)

    async def _turn(self, sender: str, text: str, metadata: dict[str, Any], *,
                    shown: str | None = None, with_state: bool = False,
                    db_timeout: float | None = None, message_id: str | None = None,
                    maybe_taken: bool = False) -> AnsweredTurn:
        received = _now()
        # The rule-based safety net runs beside the classifier: a misspelled or unusual
        # emergency is still answered first, whatever flow is active. A card number typed
        # here is never stored or passed on: not in our transcript, not in the engine's
        # tracker (it gets a test number and answers "we can't take cards").
        text, recorded = mask_card_numbers(clean_text(text))
        # The choices the last reply offered come with the lock (one round trip); then, in
        # one worker thread, the safety net's check and whether a person holds the
        # conversation (the database).
        choices_key = self._choices_key(sender) if shown is None else None
        held = AsyncExitStack()
        stored = await held.enter_async_context(
            conversation_turn(self.redis, sender, read=choices_key))
        try:
            emergency, handoff = await self._first_look(sender, text, db_timeout=db_timeout)
            if shown is None:
                offered = _choices(stored)
                shown = next((b.title for b in offered if b.payload == text.strip()), None)
                # Typed words that plainly pick a choice on screen answer it: the classifier
                # never reads "keep it" as a new request. An emergency is answered first.
                picked = (match_choice(text, offered)
                          if shown is None and emergency is None else None)
                if picked is not None:
                    text, shown = picked.payload, chosen(text, picked)
            if shown is not None and shown.strip():
                recorded = mask_card_numbers(clean_text(shown))[1]
            if handoff is not None:
                replies = await self._during_handoff(sender, recorded, received, emergency,
                                                     handoff)
                during = (await self._db(handoffs.chat_state, sender)) if with_state else None
                await held.aclose()
                return AnsweredTurn(replies, during, nothing_left)
            replies, message_id = await self._answer(sender, text, emergency, metadata,
                                                     message_id=message_id,
                                                     maybe_taken=maybe_taken)
            answered = _now()
            state: ChatState | None = None
            if with_state:
                # No person held the conversation when the turn began, under its lock (which
                # a desk's close or transfer takes too): only a handoff this turn's actions
                # opened changes that, and the engine's reply says so.
                state = ((await self._db(handoffs.chat_state, sender))
                         if replies.handoff_opened else BOT_STATE)
        except BaseException:
            await held.aclose()
            raise

        async def finish() -> None:
            try:
                await self._record(sender, recorded, received, answered, replies, message_id)
            finally:
                await held.aclose()

        return AnsweredTurn(replies, state, finish)

    async def _record(self, sender: str, recorded: str, received: datetime, answered: datetime,
                      replies: list[BotMessage], message_id: str) -> None:
        """Side by side: the turn recorded in the database; the choices, turn count and
        insights report kept in Redis. Then the engine session compacted when it is due."""
        report = insights.turn_report(sender, recorded, received, answered, message_id)
        _, turns = await asyncio.gather(
            self._db(transcript.record_turn, sender, recorded, received,
                     [as_recorded(reply) for reply in replies], answered),
            self._after_turn(sender, replies, report))
        if turns >= COMPACT_EVERY_TURNS and not any(r.buttons for r in replies):
            await self._compact(sender)

    async def _after_turn(self, sender: str, replies: list[BotMessage],
                          report: insights.Report | None = None) -> int:
        """One round trip after the answer: the choices it offered kept (or the last ones
        dropped), the conversation's turns since its engine session was last compacted
        counted, and the turn's insights report queued; returns that count."""
        buttons = [b for reply in replies for b in reply.buttons]
        async with self.redis.pipeline(transaction=False) as pipe:
            if buttons:
                pipe.set(self._choices_key(sender), _choices_json(buttons),
                         ex=CHOICES_TTL_SECONDS)
            else:
                pipe.delete(self._choices_key(sender))
            pipe.incr(self._turns_key(sender))
            pipe.expire(self._turns_key(sender), TURNS_TTL_SECONDS)
            if report is not None:
                insights.queue_report(pipe, report)
            try:
                results = await pipe.execute()
            except (RedisError, OSError):
                if report is not None:
                    await insights.record_now(self.sessions, report)
                raise
        return int(results[1])

    @staticmethod
    def _turns_key(sender: str) -> str:
        return f"engine-turns:{sender}"

    async def _compact(self, sender: str) -> None:
        """Keeps a turn's cost in the engine flat over a long session (EngineClient.compact):
        tried after a reply with no choices once COMPACT_EVERY_TURNS turns were taken, and
        on each later turn until the conversation is between flows."""
        if await self.engine.compact(sender):
            await self.redis.set(self._turns_key(sender), 0, ex=TURNS_TTL_SECONDS)

    async def _first_look(self, sender: str, text: str, *, db_timeout: float | None
                          ) -> tuple[EmergencyMatch | None, int | None]:
        """The safety net's check and the turn's first query (which handoff holds the
        conversation, if a person has it), in one worker thread: one hop, not two."""
        lookup = self._db(_first_look, sender, text)
        if db_timeout is None:
            return await lookup
        try:
            return await asyncio.wait_for(lookup, db_timeout)
        except TimeoutError:
            raise DatabaseSlow() from None

    async def _during_handoff(self, sender: str, recorded: str, received: datetime,
                              emergency: EmergencyMatch | None, handoff_id: int
                              ) -> list[BotMessage]:
        """The patient's message goes to the agent; an emergency is answered at once."""
        await self._to_agent(sender, recorded, received, handoff_id)
        if emergency is None:  # acknowledged (desk teams), at most every few min
            ack = await self._db(handoffs.waiting_acknowledgement, handoff_id)
            if ack:
                await self._db(transcript.record_entry, sender, "system", ack, None,
                               handoff_id)
            return [BotMessage(text=ack)] if ack else []
        was = await self._db(handoffs.raise_urgency, handoff_id)
        await live.publish(self.redis, live.DESK_CHANNEL, {
            "type": "queue", "handoff_id": handoff_id, "urgency": Urgency.urgent.value,
            "was": was})
        reply = self.emergency_reply(emergency)
        await self._db(transcript.record_entry, sender, "bot", reply)
        return [BotMessage(text=reply)]

    async def _answer(self, sender: str, text: str, emergency: EmergencyMatch | None,
                      metadata: dict[str, Any], *, message_id: str | None = None,
                      maybe_taken: bool = False) -> tuple[EngineReplies, str]:
        """Under the conversation's turn lock, no person holding it: the engine answers (or
        the apology stands in); returns the replies and the message id the engine saw."""
        engine_text = "/emergency" if emergency is not None else text
        if emergency is not None:
            log.warning("safety net: %s (%s) in a %s conversation", emergency.reason,
                        emergency.kind, metadata.get("channel"))
        message_id = message_id or uuid.uuid4().hex
        try:
            timeout = self.web_timeout if metadata.get("channel") == "web" else None
            replies = await self.engine.send(sender, engine_text, metadata, timeout=timeout,
                                             message_id=message_id, maybe_taken=maybe_taken)
        except EngineUnavailable as exc:
            log.error("engine unavailable for a %s turn: %s", metadata.get("channel"), exc)
            insight_metrics.ENGINE_ERRORS.labels(channel=str(metadata.get("channel"))).inc()
            replies = EngineReplies(
                [BotMessage(text=self.emergency_reply(emergency) if emergency else self.apology)])
        return replies, message_id

    async def _to_agent(self, sender: str, text: str, received: datetime, handoff_id: int) -> None:
        await self._db(transcript.record_entry, sender, "patient", text, received, handoff_id)
        await insights.patient_to_agent(self.redis, self.sessions, sender, handoff_id, text,
                                        received)
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
