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
from bot.backoffice import consent
from bot.backoffice.enums import DEFAULT_LANGUAGE, LanguageSource
from bot.clock import now as _now
from bot.conversations import language as lang
from bot.conversations import transcript
from bot.conversations.choices import chosen as chosen_words
from bot.conversations.choices import match_choice
from bot.conversations.engine import EngineClient, EngineReplies, EngineUnavailable
from bot.conversations.replies import ReadReply, Reply, answers_outreach, read_reply, reply_choice
from bot.conversations.schemas import BotMessage, Button
from bot.conversations.turnlock import conversation_turn
from bot.db import T, in_session
from bot.handoff import service as handoffs
from bot.handoff.models import Urgency
from bot.handoff.service import ChatState
from bot.i18n import words
from bot.insights import metrics as insight_metrics
from bot.insights import queue as insights
from bot.privacy.redaction import mask_card_numbers
from bot.responses import response_text
from bot.safety.emergency import EmergencyMatch, detect_emergency
from bot.settings import get_settings
from bot.text import clean_text

log = logging.getLogger(__name__)

# How long the choices a reply offered stay answerable ("2", or a tapped button).
CHOICES_TTL_SECONDS = 15 * 60
# Replies to an outreach message about the message itself, answered by this service.
ABOUT_THE_MESSAGE = (Reply.wrong_number, Reply.who_is_this)


class DatabaseSlow(Exception):
    """The database did not answer the turn's first query in time: it is hanging."""


# Every this many engine turns of a conversation, its Rasa session is compacted when it can be.
COMPACT_EVERY_TURNS = 20
# A conversation quiet this long starts its count again (its next Rasa session is new anyway).
TURNS_TTL_SECONDS = 24 * 3600


def _choices_json(buttons: list[Button], *, outreach: bool = False) -> str:
    listed = [b.model_dump() for b in buttons]
    return json.dumps({"outreach": True, "buttons": listed} if outreach else listed)


@dataclass
class Offered:
    """The choices open to an answer; `outreach`: an outreach message offered them, so its
    reply window is open (a reply in words may say who is writing, or that it is the wrong
    number)."""

    buttons: list[Button]
    outreach: bool = False


def _offered(stored: str | bytes | None) -> Offered:
    if not stored:
        return Offered([])
    value = json.loads(stored)
    if isinstance(value, dict):
        return Offered([Button.model_validate(b) for b in value.get("buttons") or []],
                       bool(value.get("outreach")))
    return Offered([Button.model_validate(b) for b in value])


def _choices(stored: str | bytes | None) -> list[Button]:
    return _offered(stored).buttons


def in_own_words(text: str, offered: Offered) -> tuple[ReadReply | None, Button | None]:
    """A reply to an outreach message in words, within its reply window: what it says, and
    the choice it picks (confirm, a new time, cancel) when one is on screen. Words about the
    message itself (who is writing, the wrong number) count only while the message's own
    choices are open. (None, None): the conversation reads it as a new message."""
    if not (offered.outreach or answers_outreach(offered.buttons)):
        return None, None
    said = read_reply(text)
    if said is None:
        return None, None
    if said.reply in (Reply.wrong_number, Reply.who_is_this):
        return (said, None) if offered.outreach else (None, None)
    picked = reply_choice(said.reply, offered.buttons)
    return (said, picked) if picked is not None else (None, None)


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


# How long a conversation's language is kept after its last message (the Redis hash).
LANGUAGE_TTL_SECONDS = 24 * 3600
# The action that confirms a switch of language and asks the open question again in the new
# one; the response alone when the action cannot run.
SWITCH_ACTION = "action_language_switched"
SWITCH_RESPONSE = "utter_language_switched"
# Said by the bot service itself when the engine can confirm nothing.
SWITCHED = {"en": "Okay, we'll continue in English.", "es": "De acuerdo, seguimos en español."}
# A margin under the engine's session expiry: past it, whether the engine's session (and its
# language slot) is still there is asked, not assumed.
EXPIRY_MARGIN_SECONDS = 30.0


def language_key(sender: str) -> str:
    return f"language:{sender}"


async def conversation_language(redis: aioredis.Redis, sender: str) -> str:
    """The language the conversation is in ("en", "es"): the default until one is known."""
    return lang.loads(await redis.get(language_key(sender))).language


async def choose_language(redis: aioredis.Redis, sender: str, language: str,
                          source: LanguageSource = LanguageSource.patient) -> None:
    """The conversation's language before the patient writes, set in the engine with their
    first message: the patient's choice (a chat page in Spanish), or the record's (a
    reminder sent in the patient's preferred language, `LanguageSource.record`)."""
    if language not in SWITCHED:
        raise ValueError(f"not a language the assistant speaks: {language!r}")
    state = lang.ConversationLanguage(language, source, None)
    await redis.set(language_key(sender), lang.dumps(state), ex=LANGUAGE_TTL_SECONDS)


def slot_event(language: str, at: float) -> dict[str, Any]:
    return {"event": "slot", "name": "language", "value": language, "timestamp": at}


def stamped_after(at: float, events: list[dict[str, Any]]) -> float:
    """`at`, or the latest of the events' timestamps when that is later."""
    stamps = [float(e["timestamp"]) for e in events
              if isinstance(e.get("timestamp"), (int, float))]
    return max([at, *stamps])


def session_start_events(language: str, at: float) -> list[dict[str, Any]]:
    """A new engine session begun as the engine would begin it (no slots kept), with the
    conversation's language set in it, so the message that follows does not reset it."""
    return [{"event": "action", "name": "action_session_start", "timestamp": at},
            {"event": "session_started", "timestamp": at},
            slot_event(language, at),
            {"event": "action", "name": "action_listen", "timestamp": at}]


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


def without_choices(recorded: str) -> str:
    """A bot reply as the patient read it: the transcript's "Choices:" line left off."""
    text, sep, _ = recorded.rpartition("\nChoices: ")
    return text if sep else recorded


class ConversationService:
    def __init__(self, engine: EngineClient, redis: Callable[[], aioredis.Redis],
                 sessions: sessionmaker[Session], apology: str, emergency_text: str,
                 web_timeout: float | None = None,
                 emergency_text_in: Callable[[str | None], str] | None = None,
                 clinic_name: str | None = None) -> None:
        self.engine = engine
        # Who is writing, said to someone who asks in reply to an outreach message.
        self.clinic_name = clinic_name
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

    async def language_of(self, sender: str) -> str:
        """The conversation's language ("en", "es"), for what the service says itself."""
        return await conversation_language(self.redis, sender)

    async def _language_state(self, sender: str) -> lang.ConversationLanguage:
        return lang.loads(await self.redis.get(language_key(sender)))

    async def _sync_language(self, sender: str, known: lang.ConversationLanguage,
                             wanted: str, *, force: bool = False) -> None:
        """Sets the engine's `language` slot to `wanted` when it may hold another, before the
        patient's message is handled. While the engine session is surely the one we last
        spoke in, what we set then is what it holds; past its expiry (or not known) the
        engine is asked: a session not begun yet or about to restart gets its start with the
        language in it, else the slot only. `force`: asked even when it seems set (a switch)."""
        at = _now().timestamp()
        fresh = (known.seen is not None and at - known.seen
                 < lang.session_expiry_seconds() - EXPIRY_MARGIN_SECONDS)
        events: list[dict[str, Any]]
        if fresh and not force:
            if wanted == known.language:
                return
            events = [slot_event(wanted, at)]
        else:
            if not force and wanted == DEFAULT_LANGUAGE == known.language:
                return  # a session that restarts begins in the default language anyway
            slots, session = await self.engine.session_events(sender)
            # Stamped after what the engine has (its clock may run ahead of ours): its SQL
            # tracker store reads back only the events stamped at or after the session's start.
            at = stamped_after(_now().timestamp(), session)
            users = [e for e in session if e.get("event") == "user"]
            last = users[-1].get("timestamp") if users else None
            # No patient message in the engine's session yet (a conversation it has not seen:
            # appended to, it would begin its own session, stamped after our slot, which it
            # would then never read back), or past its expiry: the session is begun here,
            # with the language in it.
            restarts = not users or (isinstance(last, (int, float))
                                     and at - last > lang.session_expiry_seconds())
            if restarts:
                if wanted == DEFAULT_LANGUAGE and not force:
                    return
                events = session_start_events(wanted, at)
            elif slots.get("language") == wanted and not force:
                return
            else:
                events = [slot_event(wanted, at)]
        await self.engine.append_events(sender, events)

    @staticmethod
    def _learned(current: lang.ConversationLanguage, learned: str | None, seen: float | None
                 ) -> lang.ConversationLanguage:
        """The language after an engine turn: the one its actions set (verification: the
        patient's choice, else the record's), else the one it was sent in; seen now."""
        if learned is None or learned not in SWITCHED:
            return lang.ConversationLanguage(current.language, current.source, seen)
        kept = current.source is LanguageSource.patient and learned == current.language
        return lang.ConversationLanguage(
            learned, LanguageSource.patient if kept else LanguageSource.record, seen)

    async def _keep_language(self, sender: str, known: lang.ConversationLanguage,
                             seen: float) -> None:
        """Notes that the engine's session saw a patient message now (a message to an agent)."""
        state = lang.ConversationLanguage(known.language, known.source, seen)
        await self.redis.set(language_key(sender), lang.dumps(state), ex=LANGUAGE_TTL_SECONDS)

    async def _switch_language(self, sender: str, known: lang.ConversationLanguage,
                               chosen: str) -> EngineReplies:
        """The patient asked for a language: it is theirs from now on (and their record's
        once they are verified). The engine confirms in it and asks its open question again
        in it (SWITCH_ACTION), then listens, so the flow goes on where it was."""
        state = lang.ConversationLanguage(chosen, LanguageSource.patient, known.seen)
        await self.redis.set(language_key(sender), lang.dumps(state), ex=LANGUAGE_TTL_SECONDS)
        fallback = EngineReplies([BotMessage(text=SWITCHED[chosen])])
        try:
            await self._sync_language(sender, known, chosen, force=True)
        except EngineUnavailable as exc:
            log.warning("could not set the conversation's language: %s", exc)
            return fallback
        replies: EngineReplies | None = None
        for action in (SWITCH_ACTION, SWITCH_RESPONSE):
            try:
                replies = await self.engine.execute(sender, action)
                break
            except EngineUnavailable as exc:
                log.warning("%s could not run (%s)", action, exc)
        if replies is None:
            return fallback
        try:
            await self.engine.append_events(sender, [
                {"event": "action", "name": "action_listen", "timestamp": _now().timestamp()}])
        except EngineUnavailable as exc:
            log.warning("could not let the engine listen after a switch: %s", exc)
        return replies or fallback

    async def offered_choices(self, sender: str) -> list[Button]:
        """The choices the last reply offered, still open to an answer."""
        return _choices(await self.redis.get(self._choices_key(sender)))

    async def offer_choices(self, sender: str, buttons: list[Button], ttl_seconds: int, *,
                            outreach: bool = False) -> None:
        """Choices a message sent outside a turn offered (an outreach SMS): "2" answers them,
        and so do words ("I'll be there") while they are open, `ttl_seconds`; `outreach`:
        the message is an outreach message, so its reply window is open."""
        await self.redis.set(self._choices_key(sender), _choices_json(buttons, outreach=outreach),
                             ex=ttl_seconds)

    async def drop_choices(self, sender: str) -> None:
        """The chat ended: no choice of it stays open."""
        await self.redis.delete(self._choices_key(sender))

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
            said: ReadReply | None = None
            if shown is None:
                offered = _offered(stored)
                shown = next((b.title for b in offered.buttons if b.payload == text.strip()),
                             None)
                # Typed words that plainly pick a choice on screen answer it: the classifier
                # never reads "keep it" as a new request. An emergency is answered first.
                picked = (match_choice(text, offered.buttons)
                          if shown is None and emergency is None else None)
                # A reply to an outreach message in words ("I'll be there", "wrong number"),
                # while no person has the conversation (else the agent reads it).
                if picked is None and shown is None and emergency is None and handoff is None:
                    said, picked = in_own_words(text, offered)
                if picked is not None:
                    text, shown = picked.payload, chosen_words(text, picked)
            if shown is not None and shown.strip():
                recorded = mask_card_numbers(clean_text(shown))[1]
            known = await self._language_state(sender)
            if handoff is not None:
                replies = await self._during_handoff(
                    sender, recorded, received, emergency, handoff,
                    known.language if known.source is not None else None)
                # The message went into the engine's tracker: its session is alive.
                await self._keep_language(sender, known, received.timestamp())
                during = (await self._db(handoffs.chat_state, sender)) if with_state else None
                await held.aclose()
                return AnsweredTurn(replies, during, nothing_left)
            if said is not None and said.reply in ABOUT_THE_MESSAGE:
                own = await self._about_the_message(sender, said, offered.buttons)
                answered = _now()

                async def finish_own() -> None:
                    try:
                        await self._record(sender, recorded, received, answered, own, None,
                                           offered_again=said.reply is Reply.who_is_this)
                    finally:
                        await held.aclose()

                return AnsweredTurn(own, BOT_STATE if with_state else None, finish_own)
            # "español", "English" (typed, or the chat page's language picker): a switch.
            chosen = lang.switch_to(text) if emergency is None else None
            if chosen is not None:
                replies = await self._switch_language(sender, known, chosen)
                answered = _now()
                switched: ChatState | None = BOT_STATE if with_state else None
            else:
                # What the patient wrote, while nothing settles the language (a tapped
                # choice's words are ours, a payload is no one's). In a worker thread: the
                # detector's models load on its first use (lang.warm_up at start-up).
                detected = (await asyncio.to_thread(lang.detect, text)
                            if not known.settled and shown is None and not text.startswith("/")
                            else None)
                current = lang.decide(known, detected)
                try:
                    await self._sync_language(sender, known, current.language)
                except EngineUnavailable as exc:  # the answer comes in the language it had
                    log.warning("could not set the conversation's language: %s", exc)
                    current = known
                metadata = {**metadata, "language": current.language,
                            "language_source": current.source.value if current.source else ""}
        except BaseException:
            await held.aclose()
            raise
        if chosen is not None:
            async def finish_switch() -> None:
                try:
                    await self._record(sender, recorded, received, answered, replies, None,
                                       keep_choices=True)
                finally:
                    await held.aclose()

            return AnsweredTurn(replies, switched, finish_switch)
        try:
            replies, message_id = await self._answer(sender, text, emergency, metadata,
                                                     message_id=message_id,
                                                     maybe_taken=maybe_taken)
            answered = _now()
            # The engine's session saw the message, unless the apology stood in for it.
            spoken = self._learned(current, replies.language,
                                   received.timestamp() if replies.from_engine else current.seen)
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
                await self._record(sender, recorded, received, answered, replies, message_id,
                                   language=spoken)
            finally:
                await held.aclose()

        return AnsweredTurn(replies, state, finish)

    async def _record(self, sender: str, recorded: str, received: datetime, answered: datetime,
                      replies: list[BotMessage], message_id: str | None, *,
                      language: lang.ConversationLanguage | None = None,
                      keep_choices: bool = False, offered_again: bool = False) -> None:
        """Side by side: the turn recorded in the database; the choices, turn count, language
        and insights report kept in Redis. Then the engine session compacted when it is due.
        A switch of language (no `message_id`: the engine never saw the message) is not a
        turn of the engine's: it keeps the choices open unless it offered new ones.
        `offered_again`: the replies offer the open choices again, which stay as they were
        (an outreach message's, in its reply window)."""
        report = (insights.turn_report(sender, recorded, received, answered, message_id)
                  if message_id is not None else None)
        _, turns = await asyncio.gather(
            self._db(transcript.record_turn, sender, recorded, received,
                     [as_recorded(reply) for reply in replies], answered),
            self._after_turn(sender, replies, report, language=language,
                             keep_choices=keep_choices, offered_again=offered_again))
        if turns >= COMPACT_EVERY_TURNS and not any(r.buttons for r in replies):
            await self._compact(sender)

    async def _after_turn(self, sender: str, replies: list[BotMessage],
                          report: insights.Report | None = None, *,
                          language: lang.ConversationLanguage | None = None,
                          keep_choices: bool = False, offered_again: bool = False) -> int:
        """One round trip after the answer: the choices it offered kept (or the last ones
        dropped), the conversation's language kept, the conversation's turns since its
        engine session was last compacted counted, and the turn's insights report queued;
        returns that count."""
        buttons = [b for reply in replies for b in reply.buttons]
        async with self.redis.pipeline(transaction=False) as pipe:
            if offered_again:
                pass
            elif buttons:
                pipe.set(self._choices_key(sender), _choices_json(buttons),
                         ex=CHOICES_TTL_SECONDS)
            elif not keep_choices:
                pipe.delete(self._choices_key(sender))
            if language is not None:
                pipe.set(language_key(sender), lang.dumps(language), ex=LANGUAGE_TTL_SECONDS)
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
        return int(results[-3 if report is not None else -2])

    @staticmethod
    def _turns_key(sender: str) -> str:
        return f"engine-turns:{sender}"

    async def _compact(self, sender: str) -> None:
        """Keeps a turn's cost in the engine flat over a long session (EngineClient.compact):
        tried after a reply with no choices once COMPACT_EVERY_TURNS turns were taken, and
        on each later turn until the conversation is between flows."""
        if await self.engine.compact(sender):
            await self.redis.set(self._turns_key(sender), 0, ex=TURNS_TTL_SECONDS)

    async def _about_the_message(self, sender: str, said: ReadReply, buttons: list[Button]
                                 ) -> list[BotMessage]:
        """Answered here, the engine not asked (nothing in the record is read or told):
        "who is this?" gets who is writing and the message's choices again; "wrong number"
        an apology, and no outreach goes to this number again."""
        clinic = self.clinic_name or get_settings().clinic_name
        if said.reply is Reply.who_is_this:
            return [BotMessage(text=words("outreach.who_is_this", said.language, clinic=clinic),
                               buttons=buttons)]
        channel, _, phone = sender.partition(":")
        if channel == "sms" and phone:
            await self._db(consent.on_wrong_number, phone, _now())
        log.info("outreach reply: wrong number (%s)", channel)
        return [BotMessage(text=words("outreach.wrong_number", said.language))]

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
                              emergency: EmergencyMatch | None, handoff_id: int,
                              language: str | None = None) -> list[BotMessage]:
        """The patient's message goes to the agent; an emergency is answered at once."""
        await self._to_agent(sender, recorded, received, handoff_id,
                             "safety_net" if emergency is not None else None)
        if emergency is None:
            saved = await self._callback_number(sender, recorded, handoff_id, language)
            if saved is not None:
                return [saved]
            # acknowledged (desk teams), at most every few min
            ack = await self._db(handoffs.waiting_acknowledgement, handoff_id)
            if ack:
                await self._db(transcript.record_entry, sender, "system", ack, None,
                               handoff_id)
            return [BotMessage(text=ack)] if ack else []
        was = await self._db(handoffs.raise_urgency, handoff_id)
        await live.publish(self.redis, live.DESK_CHANNEL, {
            "type": "queue", "handoff_id": handoff_id, "urgency": Urgency.urgent.value,
            "was": was})
        reply = self.emergency_reply(emergency, language)
        await self._db(transcript.record_entry, sender, "bot", reply)
        return [BotMessage(text=reply)]

    async def _callback_number(self, sender: str, text: str, handoff_id: int,
                               language: str | None) -> BotMessage | None:
        """The number an emergency's visitor types to be called back on: on the handoff (the
        nurse line's desk shows it), and confirmed to them."""
        handoff = await self._db(handoffs.take_callback_number, handoff_id, text)
        if handoff is None or handoff.phone is None:
            return None
        reply = response_text("utter_callback_number_saved", language=language
                              or handoff.language).format(phone=handoffs.say_phone(handoff.phone))
        await self._db(transcript.record_entry, sender, "bot", reply, None, handoff_id)
        await live.publish(self.redis, live.DESK_CHANNEL, {
            "type": "queue", "handoff_id": handoff_id, "urgency": handoff.urgency.value})
        return BotMessage(text=reply)

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
                [BotMessage(text=self.emergency_reply(
                    emergency, metadata.get("language") if metadata.get("language_source")
                    else None) if emergency else self.apology)])
            replies.from_engine = False
        return replies, message_id

    async def _to_agent(self, sender: str, text: str, received: datetime, handoff_id: int,
                        safety: str | None = None) -> None:
        await self._db(transcript.record_entry, sender, "patient", text, received, handoff_id)
        await insights.patient_to_agent(self.redis, self.sessions, sender, handoff_id, text,
                                        received, safety)
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
