"""A patient's turn: to the agent when a person has the conversation, else to the engine.

Each conversation is handled one message at a time, in arrival order (a Redis lock), so a
message racing a handoff's close goes to exactly one of agent or bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpcore
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot import live
from bot.conversations import transcript
from bot.conversations.schemas import BotMessage, Button
from bot.db import T, in_session
from bot.handoff import service as handoffs
from bot.handoff.models import Urgency
from bot.handoff.schemas import HANDOFF_OPENED
from bot.handoff.service import ChatState
from bot.insights import metrics as insight_metrics
from bot.insights import queue as insights
from bot.leases import Lease, keeper
from bot.privacy.redaction import mask_card_numbers
from bot.safety.emergency import EmergencyMatch, detect_emergency
from bot.text import clean_text

log = logging.getLogger(__name__)

# The longest a message waits for its conversation's previous one: then it goes ahead anyway.
TURN_LOCK_SECONDS = 60
# A turn lock lapses this long after its holder last renewed it (every third of this while
# held): a worker that died mid-turn holds its conversation up for at most this long, and a
# live one keeps the lock however long its turn takes (up to TURN_LOCK_MAX_HOLD_SECONDS).
TURN_LOCK_LEASE_SECONDS = 15.0
TURN_LOCK_MAX_HOLD_SECONDS = 10 * 60
# How long the choices a reply offered stay answerable ("2", or a tapped button).
CHOICES_TTL_SECONDS = 15 * 60


class EngineUnavailable(RuntimeError):
    """The engine did not answer in time or answered with an error."""


class DatabaseSlow(Exception):
    """The database did not answer the turn's first query in time: it is hanging."""


# Failures where the request never reached an engine: the next engine may take it.
_NOT_SENT = (httpcore.ConnectError, httpcore.ConnectTimeout, httpcore.PoolTimeout)
# Failures after the request went out, with the engine gone (killed mid-turn): it may have
# stored the turn before dying, so the next engine is asked first whether it did.
_LOST_MID_TURN = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


# Below the engine's keep-alive timeout (Rasa's server: 120 s).
KEEPALIVE_SECONDS = 60.0


class EngineStatusError(Exception):
    """An engine answered with an error status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


# Any failed call: the above, a timeout waiting for the answer (a hung engine, not asked again
# elsewhere), another protocol or network error, an error status, a body that is not JSON.
_FAILED = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
           httpcore.UnsupportedProtocol, EngineStatusError, ValueError)


def conversation_path(sender: str) -> str:
    """The conversation id as it goes in an engine URL path.

    The engine (Sanic) does not unquote path parameters: "sms%3A%2B1555..." would name
    another, empty tracker. Our ids ("sms:+1555...", "web:<hex>") need no quoting but for
    anything unexpected ("/", "?", spaces)."""
    return quote(sender, safe=":+@")


class EngineClient:
    """The engine's REST channel and tracker API, over one HTTP client per process.

    Several engines (Rasa's Redis lock store and one tracker store keep each conversation in
    order across them) are taken in turn; a turn goes to the next engine only when the one
    asked could not have processed it (not reachable, or killed before it answered and its
    tracker does not hold the message), so a patient's message is never processed twice. An
    engine that hangs after taking the message is waited for up to the timeout and not asked
    again elsewhere: it would still process the message when it resumed.
    """

    def __init__(self, base_url: str | Sequence[str], token: str = "",
                 timeout: float = 30.0) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.base_urls = [u.rstrip("/") for u in urls if u.strip()]
        if not self.base_urls:
            raise ValueError("EngineClient needs at least one engine URL")
        self.token = token
        self.timeout = timeout
        self._next = 0
        self._http: httpcore.AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return self.base_urls[0]

    def _client(self) -> httpcore.AsyncConnectionPool:
        """The shared connection pool, made on first use in the running event loop
        (connections are kept alive between turns). httpcore, which httpx is built on, used
        directly: httpx's request layer cost about 0.2 ms per call here, and every patient
        turn makes one (issue S). Its failures are the same, and are told apart alike."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            # Idle connections are dropped before the engine drops them (Rasa: after 120 s),
            # so a turn is never sent on one the engine is closing.
            self._http = httpcore.AsyncConnectionPool(max_connections=200,
                                                      max_keepalive_connections=50,
                                                      keepalive_expiry=KEEPALIVE_SECONDS)
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and self._loop is asyncio.get_running_loop():
            await self._http.aclose()
        self._http = None

    async def _call(self, method: str, url: str, body: Any = None,
                    params: dict[str, str] | None = None, timeout: float | None = None
                    ) -> Any:
        """One request: the JSON of a 2xx answer. Raises EngineStatusError for another
        status, ValueError for a body that is not JSON, or httpcore's own errors (_NOT_SENT,
        _LOST_MID_TURN, a timeout: one budget for each of connecting, sending, waiting; a busy
        engine accepts slowly, its backlog full, and a stopped one refuses at once, so the
        next engine is asked)."""
        wait = timeout or self.timeout
        headers = [(b"Accept", b"application/json")]
        # No body, not an empty one, on a GET: the engine logs an error for each request whose
        # "Content-Length: 0" its handler did not read.
        content: bytes | None = None
        if body is not None:
            content = json.dumps(body).encode()
            headers.append((b"Content-Type", b"application/json"))
        if params:
            url = f"{url}?{urlencode(params)}"
        resp = await self._client().request(
            method, url, headers=headers, content=content,
            extensions={"timeout": {"connect": wait, "read": wait, "write": wait,
                                    "pool": wait}})
        if not 200 <= resp.status < 300:
            raise EngineStatusError(resp.status)
        return json.loads(resp.content)

    def _rotation(self) -> list[str]:
        """Every engine once, starting with the next in turn."""
        start = self._next % len(self.base_urls)
        self._next += 1
        return self.base_urls[start:] + self.base_urls[:start]

    async def send(self, sender: str, text: str, metadata: dict[str, Any],
                   timeout: float | None = None, message_id: str | None = None,
                   maybe_taken: bool = False) -> EngineReplies:
        """The engine's replies to a patient message. `maybe_taken`: an earlier attempt at
        this `message_id` may have reached an engine, which is asked first whether it took
        it (its replies are then returned, and the message is not processed again)."""
        # The id lets the next engine tell whether an engine that died mid-turn stored it, and
        # insights find the turn in the tracker store afterwards.
        message_id = message_id or uuid.uuid4().hex
        payload = {"sender": sender, "message": text,
                   "metadata": {**metadata, "message_id": message_id}}
        failure: Exception | None = None
        for base in self._rotation():
            if maybe_taken:
                stored = await self._stored_replies(base, sender, message_id, timeout)
                if stored is not None:
                    log.warning("message %s was already processed: answered from the tracker",
                                message_id)
                    return stored
            try:
                return parse_engine_messages(await self._call(
                    "POST", f"{base}/webhooks/rest/webhook", payload, timeout=timeout))
            except (*_NOT_SENT, *_LOST_MID_TURN) as exc:
                log.warning("engine %s failed before answering (%s); trying the next one",
                            base, type(exc).__name__)
                failure = exc
                maybe_taken = maybe_taken or isinstance(exc, _LOST_MID_TURN)
            except _FAILED as exc:
                raise EngineUnavailable(f"engine call failed: {type(exc).__name__}") from exc
        raise EngineUnavailable(f"no engine answered: {type(failure).__name__}")

    async def _stored_replies(self, base: str, sender: str, message_id: str,
                              timeout: float | None) -> EngineReplies | None:
        """The replies to `message_id` if an engine already stored that turn, else None."""
        try:
            state = await self._call(
                "GET", f"{base}/conversations/{conversation_path(sender)}/tracker",
                params={"token": self.token, "include_events": "AFTER_RESTART"},
                timeout=timeout)
            events = state.get("events") or []
        except (*_FAILED, AttributeError):
            return None  # cannot tell: sending it is the lesser harm (this engine is alive)
        return replies_after(events, message_id)

    async def compact(self, sender: str) -> bool:
        """Starts a new Rasa session carrying the current slots over, when the conversation
        is between flows; True if it did.

        Rasa reads back and replays every event of the current session on each message (the
        tracker store's retrieve, then the rule policy's featurisation of the whole history),
        so a long web session got slower turn by turn. A `session_started` event bounds what
        is read to the events after it; the slots (verification included) are set again
        right after it, so the patient notices nothing. Only done when no form is active, no
        flow step or pending request is open and the last message was understood: the
        actions that look back (a second fallback, a flow's last question) then find
        nothing they need before it."""
        base = self._rotation()[0]
        path = f"{base}/conversations/{conversation_path(sender)}/tracker"
        try:
            state = await self._call("GET", path,
                                     params={"token": self.token, "include_events": "NONE"})
        except _FAILED:
            return False
        if not isinstance(state, dict):
            return False
        slots = state.get("slots") or {}
        intent = ((state.get("latest_message") or {}).get("intent") or {}).get("name")
        if ((state.get("active_loop") or {}).get("name") or state.get("paused")
                or state.get("latest_action_name") != "action_listen"
                or any(slots.get(name) for name in BUSY_SLOTS) or intent in BUSY_INTENTS
                or (slots.get("pending_request") and not slots.get("verified"))):
            return False
        at = _now().timestamp()
        events: list[dict[str, Any]] = [
            {"event": "action", "name": "action_session_start", "timestamp": at},
            {"event": "session_started", "timestamp": at},
            *({"event": "slot", "name": name, "value": value, "timestamp": at}
              for name, value in slots.items() if value is not None),
            {"event": "action", "name": "action_listen", "timestamp": at},
        ]
        try:
            await self._call("POST", f"{path}/events", events, params={"token": self.token})
        except _FAILED as exc:
            log.warning("could not start a new engine session (%s)", type(exc).__name__)
            return False
        return True

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Keeps the engine's tracker whole while a person has the conversation."""
        failure: Exception | None = None
        for base in self._rotation():
            url = f"{base}/conversations/{conversation_path(sender)}/tracker/events"
            try:
                await self._call("POST", url, events, params={"token": self.token})
                return
            except _NOT_SENT as exc:
                failure = exc
            except _FAILED as exc:
                raise EngineUnavailable(f"tracker append failed: {type(exc).__name__}") from exc
        raise EngineUnavailable(f"tracker append failed: {type(failure).__name__}")

    async def trigger_intent(self, sender: str, intent: str, entities: dict[str, Any]
                             ) -> list[BotMessage]:
        """An external event (outreach: `EXTERNAL_outreach` with the message's id), so the
        patient's reply continues with the context set; returns what the engine said."""
        url_path = f"/conversations/{conversation_path(sender)}/trigger_intent"
        failure: Exception | None = None
        for base in self._rotation():
            try:
                answer = await self._call("POST", base + url_path,
                                          {"name": intent, "entities": entities},
                                          params={"token": self.token})
                return parse_engine_messages(answer.get("messages") or [])
            except _NOT_SENT as exc:
                failure = exc
            except (*_FAILED, AttributeError) as exc:
                raise EngineUnavailable(f"trigger_intent failed: {type(exc).__name__}") from exc
        raise EngineUnavailable(f"trigger_intent failed: {type(failure).__name__}")


# A conversation is not compacted while one of these slots is set (a flow's step, the form's
# question), nor while a request waits for verification, nor after one of these intents.
BUSY_SLOTS = ("flow_step", "requested_slot")
BUSY_INTENTS = frozenset({"nlu_fallback", "emergency", "human_handoff", None})
# Every this many engine turns of a conversation, its Rasa session is compacted when it can be.
COMPACT_EVERY_TURNS = 20
# A conversation quiet this long starts its count again (its next Rasa session is new anyway).
TURNS_TTL_SECONDS = 24 * 3600


def _choices_json(buttons: list[Button]) -> str:
    return json.dumps([b.model_dump() for b in buttons])


def _choices(stored: str | bytes | None) -> list[Button]:
    return [Button.model_validate(b) for b in json.loads(stored)] if stored else []


class EngineReplies(list[BotMessage]):
    """The engine's messages for one turn, and whether its actions opened a handoff in it (the
    handoff action's custom payload, HANDOFF_OPENED): then the chat's state has changed."""

    handoff_opened: bool = False


def replies_after(events: list[Any], message_id: str) -> EngineReplies | None:
    """The bot's messages after the user event with this message id, in the REST channel's
    shape; None when no such user event was stored."""
    for index, event in enumerate(events):
        if (isinstance(event, dict) and event.get("event") == "user"
                and (event.get("metadata") or {}).get("message_id") == message_id):
            raw: list[dict[str, Any]] = []
            for later in events[index + 1:]:
                if not isinstance(later, dict):
                    continue
                if later.get("event") == "user":
                    break
                if later.get("event") == "bot":
                    data = later.get("data") or {}
                    raw.append({"text": later.get("text"), "buttons": data.get("buttons"),
                                "custom": data.get("custom")})
            return parse_engine_messages(raw)
    return None


def parse_engine_messages(raw: Any) -> EngineReplies:
    """The REST channel answers a list of {text, buttons?, image?, custom?}; we keep text and
    buttons, join a buttons-only message onto the text before it, and note a handoff opened
    (a custom payload, which the patient never sees)."""
    messages = EngineReplies()
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and custom.get(HANDOFF_OPENED) is not None:
            messages.handoff_opened = True
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


# How often a message waiting for its conversation's previous one asks again: soon at first
# (a chat page's turn finishes recording just after its reply, when a quick client may already
# send the next message), then every TURN_LOCK_POLL_SECONDS.
TURN_LOCK_FIRST_POLL_SECONDS = 0.002
TURN_LOCK_POLL_SECONDS = 0.05
# Let go of our own hold only: it may have lapsed (a stalled worker) and been taken.
_RELEASE_TURN = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@asynccontextmanager
async def conversation_turn(redis: aioredis.Redis, sender: str, read: str | None = None
                            ) -> AsyncIterator[Any]:
    """One message of a conversation at a time, in arrival order; others run in parallel.

    `read` names a key the holder needs (the choices the last reply offered), written by the
    previous holder before it let go: its value is read in the same round trip as the
    taking, and is what the block receives. The lock is a lease its holder renews while the
    block runs (TURN_LOCK_LEASE_SECONDS): a holder that died is waited for that long at most.
    A message that waited TURN_LOCK_SECONDS goes ahead anyway."""
    key = f"turn:{sender}"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + TURN_LOCK_SECONDS
    poll = TURN_LOCK_FIRST_POLL_SECONDS
    while True:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(key, token, nx=True, px=int(TURN_LOCK_LEASE_SECONDS * 1000))
            if read is not None:
                pipe.get(read)
            results = await pipe.execute()
        held = bool(results[0])
        if held or time.monotonic() >= deadline:
            break
        await asyncio.sleep(poll)
        poll = min(poll * 2, TURN_LOCK_POLL_SECONDS)
    lease: Lease | None = None
    if held:
        lease = Lease("conversation's turn lock", token, TURN_LOCK_LEASE_SECONDS,
                      int(TURN_LOCK_LEASE_SECONDS * 1000), TURN_LOCK_MAX_HOLD_SECONDS)
        keeper(redis).hold(key, lease)
    try:
        yield results[1] if read is not None else None
    finally:
        if lease is not None:
            keeper(redis).release(key, lease)
            try:
                if not await redis.eval(_RELEASE_TURN, 1, key, token):
                    log.warning("turn lock for a conversation expired before release")
            except (RedisError, OSError) as exc:  # it lapses (TURN_LOCK_LEASE_SECONDS)
                log.warning("could not release a conversation's turn lock (%s)",
                            type(exc).__name__)


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
                 web_timeout: float | None = None) -> None:
        self.engine = engine
        # A person watching a chat page is told within seconds when the engine hangs; SMS
        # waits the engine client's own timeout.
        self.web_timeout = web_timeout
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
        return _choices(await self.redis.get(self._choices_key(sender)))

    async def offer_choices(self, sender: str, buttons: list[Button], ttl_seconds: int) -> None:
        """Choices a message sent outside a turn offered (an outreach SMS): "2" answers them."""
        await self.redis.set(self._choices_key(sender), _choices_json(buttons), ex=ttl_seconds)

    async def turn(self, sender: str, text: str, metadata: dict[str, Any],
                   shown: str | None = None) -> list[BotMessage]:
        """One patient message. The transcript, the desk and the chat history show what the
        patient saw themselves send, never `/inform{...}`: `shown` when the channel says so
        (SMS "2"), else the title of the offered choice whose payload this is (a tapped
        button)."""
        answered = await self._turn(sender, text, metadata, shown)
        await answered.finish()
        return answered.replies

    async def answer_first(self, sender: str, text: str, metadata: dict[str, Any],
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
        return await self._turn(sender, text, metadata, None, True, db_timeout,
                                message_id, maybe_taken)

    async def _turn(self, sender: str, text: str, metadata: dict[str, Any],
                    shown: str | None, with_state: bool = False,
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
            emergency, handoff = await self._first_look(sender, text, db_timeout)
            if shown is None:
                shown = next((b.title for b in _choices(stored) if b.payload == text.strip()),
                             None)
            if shown is not None and shown.strip():
                recorded = mask_card_numbers(clean_text(shown))[1]
            if handoff is not None:
                replies = await self._during_handoff(sender, recorded, received, emergency,
                                                     handoff)
                during = (await self._db(handoffs.chat_state, sender)) if with_state else None
                await held.aclose()
                return AnsweredTurn(replies, during, nothing_left)
            replies, message_id = await self._answer(sender, text, emergency, metadata,
                                                     message_id, maybe_taken)
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

    async def _first_look(self, sender: str, text: str, db_timeout: float | None
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
        if emergency is None:  # acknowledged (desk teams, issue T), at most every few min
            ack = await self._db(handoffs.waiting_acknowledgement, handoff_id)
            if ack:
                await self._db(transcript.record_entry, sender, "system", ack, None,
                               handoff_id)
            return [BotMessage(text=ack)] if ack else []
        was = await self._db(handoffs.raise_urgency, handoff_id)
        await live.publish(self.redis, live.DESK_CHANNEL, {
            "type": "queue", "handoff_id": handoff_id, "urgency": Urgency.urgent.value,
            "was": was})
        await self._db(transcript.record_entry, sender, "bot", self.emergency_text)
        return [BotMessage(text=self.emergency_text)]

    async def _answer(self, sender: str, text: str, emergency: EmergencyMatch | None,
                      metadata: dict[str, Any], message_id: str | None = None,
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
                [BotMessage(text=self.emergency_text if emergency else self.apology)])
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
