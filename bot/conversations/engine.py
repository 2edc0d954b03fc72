"""The engine client: Rasa's REST channel and tracker API, over one HTTP client per process.

A turn is sent to one engine of several, and to the next only when the one asked could not
have processed it; a retried message (the same engine message id) is looked up in the
tracker first, so a patient's message is never processed twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

import httpcore

from bot.backoffice.schemas import LANGUAGE_SET
from bot.clock import now
from bot.conversations.schemas import BotMessage, Button
from bot.handoff.schemas import HANDOFF_OPENED

log = logging.getLogger(__name__)


class EngineUnavailable(RuntimeError):
    """The engine did not answer in time or answered with an error."""


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


def engine_message_id(*parts: str) -> str:
    """The id a patient's message has in the engine's tracker, made from what names it on its
    channel (a chat page's client id, an SMS's MessageSid): the same on every attempt at the
    message, so a retry finds the turn if an engine took it before (`send(maybe_taken=True)`)."""
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:32]


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
        turn makes one. Its failures are the same, and are told apart alike."""
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

    async def _call(self, method: str, url: str, body: Any = None, *,
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

    async def send(self, sender: str, text: str, metadata: dict[str, Any], *,
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
                stored = await self._stored_replies(base, sender, message_id,
                                                    timeout=timeout)
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

    async def _stored_replies(self, base: str, sender: str, message_id: str, *,
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
        at = now().timestamp()
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

    async def session_events(self, sender: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The slots and the events of the conversation's current engine session (none for a
        conversation the engine has not seen)."""
        path = f"/conversations/{conversation_path(sender)}/tracker"
        failure: Exception | None = None
        for base in self._rotation():
            try:
                state = await self._call("GET", base + path, params={
                    "token": self.token, "include_events": "APPLIED"})
                if not isinstance(state, dict):
                    raise ValueError("tracker is not an object")
                events = [e for e in state.get("events") or [] if isinstance(e, dict)]
                return dict(state.get("slots") or {}), events
            except _NOT_SENT as exc:
                failure = exc
            except _FAILED as exc:
                raise EngineUnavailable(f"tracker read failed: {type(exc).__name__}") from exc
        raise EngineUnavailable(f"tracker read failed: {type(failure).__name__}")

    async def execute(self, sender: str, action: str) -> EngineReplies:
        """Runs one action (a response, or a custom action) in the conversation as it stands,
        without a patient message; returns what it said."""
        path = f"/conversations/{conversation_path(sender)}/execute"
        failure: Exception | None = None
        for base in self._rotation():
            try:
                answer = await self._call("POST", base + path, {"name": action},
                                          params={"token": self.token})
                return parse_engine_messages(answer.get("messages") or [])
            except _NOT_SENT as exc:
                failure = exc
            except (*_FAILED, AttributeError) as exc:
                raise EngineUnavailable(f"execute failed: {type(exc).__name__}") from exc
        raise EngineUnavailable(f"execute failed: {type(failure).__name__}")

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


class EngineReplies(list[BotMessage]):
    """The engine's messages for one turn, and whether its actions opened a handoff in it (the
    handoff action's custom payload, HANDOFF_OPENED): then the chat's state has changed; and
    the language its actions set for the conversation (LANGUAGE_SET, or a `language` slot
    event in the tracker), if any."""

    handoff_opened: bool = False
    language: str | None = None
    from_engine: bool = True  # False: the service's apology, the engine never answered


def replies_after(events: list[Any], message_id: str) -> EngineReplies | None:
    """The bot's messages after the user event with this message id, in the REST channel's
    shape; None when no such user event was stored."""
    for index, event in enumerate(events):
        if (isinstance(event, dict) and event.get("event") == "user"
                and (event.get("metadata") or {}).get("message_id") == message_id):
            raw: list[dict[str, Any]] = []
            language: str | None = None
            for later in events[index + 1:]:
                if not isinstance(later, dict):
                    continue
                if later.get("event") == "user":
                    break
                if later.get("event") == "bot":
                    data = later.get("data") or {}
                    raw.append({"text": later.get("text"), "buttons": data.get("buttons"),
                                "custom": data.get("custom")})
                if (later.get("event") == "slot" and later.get("name") == "language"
                        and isinstance(later.get("value"), str)):
                    language = later["value"]
            replies = parse_engine_messages(raw)
            replies.language = language or replies.language
            return replies
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
        if isinstance(custom, dict) and isinstance(custom.get(LANGUAGE_SET), str):
            messages.language = custom[LANGUAGE_SET]
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
