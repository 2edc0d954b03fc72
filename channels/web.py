"""Web chat: sessions with bearer tokens, messages over REST or a WebSocket, the /chat page.

A message is taken the same way whichever transport brings it (`take_message`): the same
limits, the same validation, once per client id, the turn, the chat's state after it.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from fastapi import (
    APIRouter,
    Depends,
    Header,
    HTTPException,
    Query,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sse_starlette.sse import EventSourceResponse
from starlette.background import BackgroundTask
from starlette.requests import HTTPConnection

from bot import i18n, live, ratelimit
from bot.bodies import MAX_BODY_BYTES, BodyRefused, check_json
from bot.conversations import engine, transcript
from bot.conversations.deps import conversations, get_conversations
from bot.conversations.schemas import BotMessage, Button, TranscriptItem
from bot.conversations.service import (
    CHOICES_TTL_SECONDS,
    SWITCHED,
    ConversationService,
    DatabaseSlow,
    choose_language,
    nothing_left,
    without_choices,
)
from bot.db import in_session
from bot.handoff import service as handoffs
from bot.leases import Lease, keeper
from bot.redis import async_redis, get_async_redis
from bot.security import content_security_policy
from bot.settings import get_settings
from bot.text import CleanText
from bot.widget import origins

log = logging.getLogger(__name__)
router = APIRouter(tags=["web chat"])
PAGE = Path(__file__).parent / "static" / "chat.html"
SCRIPT = Path(__file__).parent / "static" / "chat.js"

RedisDep = Annotated[aioredis.Redis, Depends(async_redis)]

ConversationsDep = Annotated[ConversationService, Depends(conversations)]


class WebSession(BaseModel):
    session_id: str
    token: str


class WebMessageIn(BaseModel):
    text: CleanText = Field(min_length=1, max_length=2000)
    # Made by the page for each message the patient sends, and sent again with it when the
    # page re-sends it (the socket timed out, so it tries REST): the same id is the same
    # message. Optional, for pages loaded before it existed.
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


class WebReply(BaseModel):
    messages: list[BotMessage]
    state: str = "bot"
    agent: str | None = None


class HistoryItem(BaseModel):
    role: str
    text: str
    at: float


class History(BaseModel):
    messages: list[HistoryItem]
    state: str
    # The choices the last reply offered, still open: the page shows them as buttons again.
    buttons: list[Button] = []
    agent: str | None = None


def _token_key(token: str) -> str:
    return "web:token:" + hashlib.sha256(token.encode()).hexdigest()


async def session_for_token(redis: aioredis.Redis, token: str) -> str | None:
    """The session a token belongs to; each use keeps it alive for another idle period."""
    if not token:
        return None
    # One round trip: read and renewed together (GETEX, Redis 6.2+).
    raw = await redis.getex(_token_key(token), ex=get_settings().web_session_idle_seconds)
    if not raw:
        return None
    return raw.decode() if isinstance(raw, bytes) else str(raw)


# Redis or the database did not answer (within REDIS_TIMEOUT_SECONDS): 503, and the page
# shows these words and sends the same message again (its client id makes that safe).
UNAVAILABLE = ("Sorry, I'm having a brief technical problem. I'll keep trying to send your "
               "message.")
UNAVAILABLE_RETRY_SECONDS = 3
# A hanging database would hold the patient's message (and a worker thread) for as long as
# it hangs: the turn's first query is bounded (INBOUND_DB_TIMEOUT_SECONDS), so the page gets
# its 503 within seconds (DatabaseSlow) and sends the message again.
STORES_DOWN = (RedisError, SQLAlchemyError, DatabaseSlow)


def unavailable() -> HTTPException:
    return HTTPException(503, UNAVAILABLE,
                         headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)})


ENDED = "Your chat session has ended. Please start a new chat."


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


async def current_session(
    redis: RedisDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    try:
        session_id = await session_for_token(redis, _bearer(authorization))
    except RedisError:
        raise unavailable() from None
    if session_id is None:
        raise HTTPException(401, ENDED)
    return session_id


SessionIdDep = Annotated[str, Depends(current_session)]


# The greeting's starting choices: what most patients come for, one tap from the first
# screen, each straight into its flow. The page shows them under its greeting (chat_page
# writes them into it); a new session offers them as its open choices, so a tap (the
# payload) is recorded by its title, and "2" or "citas" typed picks one too.
GREETING_CHOICES = (("button.bills", "/billing_balance"),
                    ("button.appointments", "/appointment_check"),
                    ("button.refills", "/refill_request"),
                    ("button.agent", "/human_handoff"))
# An attribute, not an inline script: the page's policy runs no inline script.
_CHOICES_IN_PAGE = 'data-greeting="{}"'
_LINKS_IN_PAGE = 'data-link-origins="[]"'


def greeting_choices(language: str) -> list[Button]:
    return [Button(title=i18n.words(key, language), payload=payload)
            for key, payload in GREETING_CHOICES]


def link_origins(public_base_url: str) -> list[str]:
    """Where the web addresses in our messages may point and still be links: our own public
    address (the payment page). Anything else, an agent's typing included, stays text."""
    parts = urlsplit(public_base_url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def page_html(public_base_url: str = "") -> str:
    """chat.html with the greeting's choices in each language and the origins our links may
    point to (JSON in attributes)."""
    text = PAGE.read_text(encoding="utf-8")
    if _CHOICES_IN_PAGE not in text or _LINKS_IN_PAGE not in text:
        raise RuntimeError("chat.html lost its greeting-choices or link-origins placeholder")
    choices = json.dumps({language: [b.model_dump() for b in greeting_choices(language)]
                          for language in i18n.LANGUAGES}, ensure_ascii=False)
    text = text.replace(_CHOICES_IN_PAGE, f'data-greeting="{html.escape(choices)}"', 1)
    allowed = json.dumps(link_origins(public_base_url))
    return text.replace(_LINKS_IN_PAGE, f'data-link-origins="{html.escape(allowed)}"', 1)


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
def chat_page(embed: bool = False) -> HTMLResponse:
    """The chat on its own page, never framed; with embed=1, the chat in a site's widget,
    framed only by the sites in WIDGET_ALLOWED_ORIGINS (and our own pages)."""
    headers = {}
    if embed:
        headers["Content-Security-Policy"] = content_security_policy(
            frame_ancestors=("'self'", *origins.configured()))
    return HTMLResponse(page_html(get_settings().public_base_url), headers=headers)


@router.get("/chat.js", include_in_schema=False)
def chat_script() -> FileResponse:
    # Revalidated on each load (ETag): a fixed page is never kept from patients.
    return FileResponse(SCRIPT, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


SLOW_DOWN = "You're sending messages faster than I can answer. Please wait a minute."
STILL_ANSWERING = ("I'm still working on that message. If no answer shows up in a minute, "
                   "please send it again.")
INVALID = "Please type a message."
# A client id is remembered this long, with the reply it got: long enough for the page's
# REST re-send after a 60-second socket timeout, short because the reply is PHI.
MESSAGE_ID_TTL_SECONDS = 5 * 60
# How long a re-sent message waits for the first one's reply before answering 409.
DUPLICATE_WAIT_SECONDS = 45.0
DUPLICATE_POLL_SECONDS = 0.2
# The turn running for a client id holds a lease on it, renewed every third of this while it
# runs: a re-send waits while it is renewed, and takes the message over once it is not (the
# worker running it died). The engine is then asked first whether it took the message.
MESSAGE_LEASE_SECONDS = 15.0
_PENDING = "pending:"  # + the time (epoch seconds) the lease ends
# Takes a client id: {1} a new one, {2} (_TAKEN_OVER) one whose earlier turn failed or whose
# worker died (its lease ended), else {0, value}: the reply kept, or a running turn's lease.
_CLAIM = """
local v = redis.call('get', KEYS[1])
if v and (string.sub(v, 1, 8) ~= 'pending:'
          or tonumber(string.sub(v, 9)) > tonumber(ARGV[1])) then
  return {0, v}
end
redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3])
if v then return {2, ''} end
return {1, ''}
"""
_TAKEN_OVER = 2


def _pending() -> str:
    """A running turn's lease on its client id: until when it holds."""
    return f"{_PENDING}{time.time() + MESSAGE_LEASE_SECONDS:.3f}"


class MessageRefused(Exception):
    """A web message not taken now: the HTTP status REST answers, and the words both show."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def client_ip(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


class SessionEnded(Exception):
    """A message whose token names no live session (it expired, or never existed)."""


def message_limits(token: str, ip: str) -> ratelimit.Limits:
    """A message's rate limits: per session (a token belongs to one session, and a session
    has one token, so the token's hash names it) and per IP address."""
    settings = get_settings()
    return [(f"web-session:{_token_key(token).rpartition(':')[2]}",
             settings.web_messages_per_session_per_minute),
            (f"web-ip:{ip}", settings.web_messages_per_ip_per_minute)]


async def admit(redis: aioredis.Redis, token: str, ip: str) -> str:
    """The session a patient's message belongs to (kept alive for another idle period), the
    message counted against the per-session and per-IP limits: one round trip, paid by every
    message. Raises SessionEnded, or MessageRefused (429) once a limit is spent."""
    if not token:
        raise SessionEnded()
    limits = message_limits(token, ip)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.getex(_token_key(token), ex=get_settings().web_session_idle_seconds)
        ratelimit.queue_hits(pipe, limits, 60)
        raw, *counts = await pipe.execute()
    if not raw:
        raise SessionEnded()
    if not ratelimit.within(counts, limits):
        raise MessageRefused(429, SLOW_DOWN)
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def admitted_session(
    redis: RedisDep, request: Request, authorization: Annotated[str | None, Header()] = None
) -> str:
    """current_session for a patient's message: the limits counted in the same round trip."""
    try:
        return await admit(redis, _bearer(authorization), client_ip(request))
    except RedisError:
        raise unavailable() from None
    except SessionEnded:
        raise HTTPException(401, ENDED) from None
    except MessageRefused as exc:
        raise HTTPException(exc.status, exc.detail, headers={"Retry-After": "60"}) from None


AdmittedDep = Annotated[str, Depends(admitted_session)]


async def limit(redis: aioredis.Redis, key: str, per_minute: int) -> None:
    if not await ratelimit.allow(redis, key, per_minute, 60):
        raise HTTPException(429, SLOW_DOWN, headers={"Retry-After": "60"})


Finish = Callable[[], Awaitable[None]]


async def take_message(
    message: WebMessageIn, session_id: str, ip: str, redis: aioredis.Redis,
    conversations: ConversationService,
    admitted: Callable[[], Awaitable[None]] | None = None,
) -> tuple[WebReply, Finish]:
    """A patient's web message, admitted (`admit`: its session and limits), arrives by REST
    or over the socket: the turn (once per client id), then the chat's state after it.
    `admitted` runs once it is found not empty (the socket shows "typing").

    Returns the reply and the rest of the turn (AnsweredTurn.finish), which the caller runs
    once the reply is sent: the patient reads the answer without waiting for it to be
    recorded."""
    settings = get_settings()
    if not message.text:  # only spaces: the length check counts them before cleaning
        raise MessageRefused(422, INVALID)
    if admitted is not None:
        await admitted()
    sender = f"web:{session_id}"

    client_id = message.client_id

    async def answer(taken_over: bool = False) -> tuple[WebReply, Finish]:
        # A tapped button arrives as its payload; the service records it by its title.
        # The address goes with the message so verification counts failures per source.
        answered = await conversations.answer_first(
            sender, message.text, {"channel": "web", "ip": ip},
            db_timeout=settings.inbound_db_timeout_seconds,
            message_id=engine_message_id(session_id, client_id) if client_id else None,
            maybe_taken=taken_over)
        assert answered.state is not None
        state, agent = answered.state
        return WebReply(messages=answered.replies, state=state, agent=agent), answered.finish

    if client_id is None:
        return await answer()
    return await once(redis, f"web:message:{session_id}:{client_id}", answer)


async def finish_turn(finish: Finish) -> None:
    """The rest of a turn whose reply is sent: a failure is logged, as the reply has gone."""
    try:
        await finish()
    except STORES_DOWN as exc:
        log.error("a web turn was answered but not recorded, %s unavailable",
                  type(exc).__name__)
    except Exception:
        log.exception("a web turn was answered but recording it failed")


def engine_message_id(session_id: str, client_id: str) -> str:
    """The id a client's message has in the engine's tracker, the same on every attempt, so
    a message taken over after a failure is found there if the engine took it before."""
    return engine.engine_message_id("web", session_id, client_id)


async def once(redis: aioredis.Redis, key: str,
               answer: Callable[[bool], Awaitable[tuple[WebReply, Finish]]]
               ) -> tuple[WebReply, Finish]:
    """The first arrival of a message id runs the turn and keeps its reply; a repeat gets that
    reply (waiting for it while the turn runs), so the engine sees the message once and the
    patient reads one answer. A repeat still waiting after DUPLICATE_WAIT_SECONDS is refused
    with 409.

    A turn that failed, or whose worker died (its lease, MESSAGE_LEASE_SECONDS, was not
    renewed), may have reached the engine: the re-send takes it over and runs it with
    `answer(True)`, which asks the engine first whether it took the message."""
    deadline = time.monotonic() + DUPLICATE_WAIT_SECONDS
    while True:
        pending = _pending()
        taken, stored = await redis.eval(_CLAIM, 1, key, f"{time.time():.3f}", pending,
                                         MESSAGE_ID_TTL_SECONDS)
        if taken:
            break
        if not stored.startswith(_PENDING):
            return WebReply.model_validate_json(stored), nothing_left
        if time.monotonic() >= deadline:
            raise MessageRefused(409, STILL_ANSWERING)
        await asyncio.sleep(DUPLICATE_POLL_SECONDS)
    lease = Lease("web message's lease", pending, MESSAGE_LEASE_SECONDS,
                  MESSAGE_ID_TTL_SECONDS * 1000, MESSAGE_ID_TTL_SECONDS, _pending)
    keeper(redis).hold(key, lease)
    try:
        reply, finish = await answer(taken == _TAKEN_OVER)
    except BaseException:
        # Its lease ends now: a re-send takes the message over at once.
        await redis.set(key, f"{_PENDING}0", ex=MESSAGE_ID_TTL_SECONDS)
        raise
    finally:
        keeper(redis).release(key, lease)

    async def kept_then_finished() -> None:
        # After the reply is sent, like the rest of the turn: a re-send arriving meanwhile
        # waits for it (DUPLICATE_POLL_SECONDS).
        try:
            await redis.set(key, reply.model_dump_json(), ex=MESSAGE_ID_TTL_SECONDS)
        finally:
            await finish()

    return reply, kept_then_finished


# The chat in a site's widget runs in a frame on that site's pages, where the browser may
# keep no storage for it (third-party storage blocked, as in a private window). Its token is
# then also kept in a cookie partitioned to that site (CHIPS), which only our own pages can
# trade back for the token (resume_session): the site's scripts never see either. The
# cookie is named for the browser tab (a random key the widget keeps in the site's
# sessionStorage), so, as on /chat, a new tab or a closed one starts afresh: on a shared
# computer the next person on the site does not get the last one's verified chat.
EMBED_COOKIE = "__Host-pa-chat-"
TabKey = Annotated[str, Query(pattern=r"^[A-Za-z0-9]{16,64}$")]
LangChoice = Annotated[str, Query(pattern=r"^[a-z]{2}$")]


@router.post("/channels/web/sessions", response_model=WebSession)
async def start_session(redis: RedisDep, request: Request, response: Response,
                        conversations: ConversationsDep,
                        tab: TabKey | None = None, lang: LangChoice | None = None
                        ) -> WebSession:
    """A new chat. `lang`: the page's language (its picker, or the site's widget): the
    conversation is in it from the first message, as if the patient had asked for it."""
    if not origins.connection_allowed(request):
        # Another site's page: the chat runs on its own page or in an allowed site's widget.
        raise HTTPException(403, origins.refusal(request.headers.get("origin")))
    try:
        await limit(redis, f"web-ip-sessions:{client_ip(request)}",
                    get_settings().web_sessions_per_ip_per_minute)
        session_id = secrets.token_hex(16)
        token = secrets.token_urlsafe(32)
        await redis.set(_token_key(token), session_id,
                        ex=get_settings().web_session_idle_seconds)
        if lang is not None and lang in SWITCHED and lang != "en":
            await choose_language(redis, f"web:{session_id}", lang)
        # The page's greeting showed these: the first message may be one of them.
        await conversations.offer_choices(
            f"web:{session_id}", greeting_choices(i18n.language_or_default(lang)),
            CHOICES_TTL_SECONDS)
    except RedisError:
        raise unavailable() from None
    if tab:  # no Max-Age: gone with the browser session, and the token idles out anyway
        # Written out: Starlette's set_cookie takes `partitioned` on Python 3.14 only.
        response.headers.append("Set-Cookie", f"{EMBED_COOKIE}{tab}={token}; Path=/; Secure; "
                                "HttpOnly; SameSite=None; Partitioned")
    return WebSession(session_id=session_id, token=token)


@router.post("/channels/web/resume", response_model=WebSession,
             responses={204: {"description": "No session to resume"}})
async def resume_session(redis: RedisDep, request: Request, tab: TabKey) -> Response:
    """The embedded chat's session again, on the site's next page: from its partitioned
    cookie, for our own pages only (a site's page, even an allowed one, gets 403). No
    session (none yet, or it ended): 204, and the chat starts afresh."""
    if not origins.same_origin(request):
        raise HTTPException(403, "Only the chat's own page can resume its session.")
    token = request.cookies.get(EMBED_COOKIE + tab, "")
    try:
        session_id = await session_for_token(redis, token)
    except RedisError:
        raise unavailable() from None
    if session_id is None:
        return Response(status_code=204)
    return Response(WebSession(session_id=session_id, token=token).model_dump_json(),
                    media_type="application/json")


@router.post("/channels/web/end", status_code=204)
async def end_session(redis: RedisDep, conversations: ConversationsDep,
                      tab: TabKey | None = None,
                      authorization: Annotated[str | None, Header()] = None) -> Response:
    """The patient ends the chat ("End chat", a shared computer): its token stops working at
    once, so nothing of the conversation can be read or continued from this browser again
    (its verification ends with it); the embedded chat's cookie goes too. Ending a chat
    already ended is no error."""
    token = _bearer(authorization)
    try:
        raw = await redis.getdel(_token_key(token)) if token else None
        if raw:
            session_id = raw.decode() if isinstance(raw, bytes) else str(raw)
            await conversations.drop_choices(f"web:{session_id}")
    except RedisError:
        raise unavailable() from None
    response = Response(status_code=204)
    if tab:
        response.headers.append("Set-Cookie", f"{EMBED_COOKIE}{tab}=; Path=/; Max-Age=0; "
                                "Secure; HttpOnly; SameSite=None; Partitioned")
    return response


@router.post("/channels/web/messages", response_model=WebReply)
async def post_message(
    body: WebMessageIn, session_id: AdmittedDep, conversations: ConversationsDep,
    redis: RedisDep, request: Request,
) -> Response:
    try:
        reply, finish = await take_message(body, session_id, client_ip(request), redis,
                                           conversations)
    except MessageRefused as exc:
        retry = {"Retry-After": "60"} if exc.status == 429 else None
        raise HTTPException(exc.status, exc.detail, headers=retry) from None
    except STORES_DOWN as exc:  # not taken: the page sends it again
        log.warning("web message not taken, %s unavailable: 503", type(exc).__name__)
        raise unavailable() from None
    # Serialized once here: FastAPI would validate the model again against response_model
    # (kept for the API's schema) before serializing it, on every patient turn. The turn is
    # recorded once the response is sent (a background task runs even if the client left).
    return Response(reply.model_dump_json(), media_type="application/json",
                    background=BackgroundTask(finish_turn, finish))


def _history(session: Session, sender: str) -> tuple[list[TranscriptItem], tuple[str, str | None]]:
    return transcript.read(session, sender), handoffs.chat_state(session, sender)


@router.get("/channels/web/history", response_model=History)
async def history(session_id: SessionIdDep, conversations: ConversationsDep) -> History:
    """The conversation so far, as the page showed it: bot messages without the "Choices:"
    line the transcript keeps for agents, and the choices still open as buttons."""
    sender = f"web:{session_id}"
    items, (state, agent) = await in_session(_history, sender)
    try:
        buttons = await conversations.offered_choices(sender)
    except RedisError:  # the history still loads; the choices can be typed
        buttons = []
    return History(
        messages=[HistoryItem(role=i.role, text=without_choices(i.text) if i.role == "bot"
                              else i.text, at=i.at.timestamp()) for i in items],
        state=state, agent=agent, buttons=buttons,
    )


@router.get("/channels/web/events")
async def events(redis: RedisDep, token: Annotated[str, Query()] = "") -> EventSourceResponse:
    """Pushes what does not answer the patient's own message: an agent's words, state changes.
    (EventSource cannot send headers, so the token comes in the query.)"""
    try:
        session_id = await session_for_token(redis, token)
    except RedisError:  # EventSource tries again on its own
        raise unavailable() from None
    if session_id is None:
        raise HTTPException(401, ENDED)

    async def stream() -> AsyncIterator[dict[str, str]]:
        yield {"event": "ready", "data": "{}"}
        async for event in live.listen(redis, live.web_channel(session_id)):
            if event is None:
                if await session_for_token(redis, token) is None:
                    return
                yield {"event": "ping", "data": "{}"}
                continue
            yield {"event": str(event.get("type", "message")), "data": json.dumps(event)}

    return EventSourceResponse(stream(), ping=None)


async def _receive_text(websocket: WebSocket) -> str | None:
    """The next frame's text; None for a binary frame, which is bad input like any other."""
    frame = await websocket.receive()
    if frame["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(frame.get("code", 1000))
    text = frame.get("text")
    return text if isinstance(text, str) else None


def _frame(raw: str | None) -> object:
    """A frame's JSON under the same limits as a request body; None when it breaks them."""
    if raw is None or len(raw) > MAX_BODY_BYTES:
        return None
    try:
        return check_json(raw)
    except BodyRefused as refused:
        log.warning("refused a web chat socket frame: %s", refused.reason)
        return None


def _token_in(raw: str | None) -> str:
    first = _frame(raw)
    return str(first.get("token", "")) if isinstance(first, dict) else ""


def _parse(raw: str | None) -> WebMessageIn | None:
    frame = _frame(raw)
    try:
        return WebMessageIn.model_validate(frame) if frame is not None else None
    except ValidationError:
        return None


@router.websocket("/channels/web/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """Token in the `token` query parameter or in a first frame {"token": ...}. Frames in:
    {"text", "client_id"?}; out: ready, typing, messages and error frames (the last two carry
    the message's client_id back when it had one). Bad input gets an error frame and the
    socket stays open."""
    if not origins.connection_allowed(websocket):
        # Refused before the handshake completes: the browser's socket fails (HTTP 403).
        log.info("web socket refused: origin not allowed")
        await websocket.close(code=4403)
        return
    redis = get_async_redis()
    conversations = get_conversations()
    await websocket.accept()
    try:
        token = websocket.query_params.get("token", "") or _token_in(
            await _receive_text(websocket))
        try:
            session_id = await session_for_token(redis, token)
        except RedisError:  # 1013: try again later (the page sends by REST meanwhile)
            await websocket.send_json({"type": "error", "detail": UNAVAILABLE, "retry": True})
            await websocket.close(code=1013)
            return
        if session_id is None:
            await websocket.send_json({"type": "error", "detail": "session expired"})
            await websocket.close(code=4401)
            return
        await websocket.send_json({"type": "ready"})
        while True:
            message = _parse(await _receive_text(websocket))
            if message is None:
                await websocket.send_json({"type": "error", "detail": INVALID})
                continue
            echo = {"client_id": message.client_id} if message.client_id else {}
            try:
                session_id = await admit(redis, token, client_ip(websocket))
                reply, finish = await take_message(
                    message, session_id, client_ip(websocket), redis, conversations,
                    admitted=lambda: websocket.send_json({"type": "typing"}))
            except SessionEnded:
                await websocket.send_json({"type": "error", "detail": "session expired"})
                await websocket.close(code=4401)
                return
            except MessageRefused as exc:
                await websocket.send_json({"type": "error", "detail": exc.detail, **echo})
                continue
            except STORES_DOWN as exc:  # not taken: the page sends it again
                log.warning("web message not taken, %s unavailable", type(exc).__name__)
                await websocket.send_json({"type": "error", "detail": UNAVAILABLE,
                                           "retry": True, **echo})
                continue
            try:
                await websocket.send_json({"type": "messages", **reply.model_dump(), **echo})
            finally:
                await finish_turn(finish)
    except WebSocketDisconnect:
        return
