"""Twilio SMS: signed webhooks in, replies out through the outbound sender.

A text is stored in the database (`sms_inbound`) before Twilio is answered, since Twilio
never sends a messaging webhook again: the database is the queue. It is handled at once when
Redis and the engine answer, else by the retry loop once they are back; its MessageSid is
unique there, so no text is handled twice. If the database itself cannot keep it quickly, the
webhook answers 503 so Twilio's fallback URL can act.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request, Response
from redis.exceptions import RedisError
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot import live, ratelimit
from bot.backoffice import consent as records
from bot.clock import now
from bot.conversations import transcript
from bot.conversations.choices import chosen, match_choice
from bot.conversations.deps import get_conversations
from bot.conversations.engine import engine_message_id
from bot.conversations.service import ConversationService
from bot.db import get_sessionmaker, in_session
from bot.deps import SessionDep, SettingsDep
from bot.handoff import service as handoffs
from bot.redis import async_redis, get_async_redis
from bot.settings import Settings, get_settings
from channels import consent
from channels.formatting import (
    is_gsm7,
    segments,
    sms_body,
    split_sms,
)
from channels.models import InboundSms, SmsMessage
from channels.sms_sender import SmsSender, make_sender, record_delivery_status, reply_key

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SMS_WINDOW_SECONDS = 5 * 60
# A worker's claim on a text is a lease it renews every third of this while it handles the
# text: a text whose worker died is taken again (by the retry loop of any worker) this long
# after its last renewal, and the engine is then asked first whether it took it.
CLAIM_LEASE_SECONDS = 15.0
# A claim given back (release_inbound): lapsed at once, yet showing that an attempt was made.
_LAPSED = datetime(2000, 1, 1, tzinfo=UTC)
CLEANUP_EVERY_SECONDS = 10 * 60
# The longest text Twilio delivers (ten concatenated segments); the web chat takes 2,000.
SMS_MAX_CHARS = 1600

router = APIRouter(tags=["sms"])
dev_router = APIRouter(tags=["dev"])

RedisDep = Annotated[aioredis.Redis, Depends(async_redis)]


@lru_cache
def get_sms_sender() -> SmsSender:
    return make_sender(get_settings(), get_sessionmaker())


def twiml() -> Response:
    return Response(content=EMPTY_TWIML, media_type="application/xml")


def signature_is_valid(settings: Settings, request: Request, params: dict[str, str]) -> bool:
    """Twilio signs PUBLIC_BASE_URL + path (+ query) and the form fields with our auth token."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.twilio_auth_token:
        return False
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return bool(RequestValidator(settings.twilio_auth_token).validate(url, params, signature))


async def signed_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The form fields of a request Twilio signed; anything else stops here with 403."""
    form = await request.form()
    params = {key: str(value) for key, value in form.multi_items()}
    if not signature_is_valid(settings, request, params):
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    return params


SignedForm = Annotated[dict[str, str], Depends(signed_form)]


def too_long_text(settings: Settings) -> str:
    return (f"Sorry, that message is too long for me to read. Please send it again in shorter "
            f"texts, or call us at {settings.clinic_phone}.")


def help_text(settings: Settings) -> str:
    return (f"{settings.clinic_name}: I can help with bills, appointments and prescription "
            f"refills. Call us at {settings.clinic_phone}. In an emergency call 911. "
            "Reply STOP to stop messages. Msg & data rates may apply.")


async def handle_keywords(phone: str, text: str, message_sid: str, sender: SmsSender,
                          settings: Settings) -> bool:
    """Carrier keywords come before anything else. True when the message was one (or the
    number is opted out), so the conversation must not see it."""
    word = consent.keyword(text)
    key = reply_key(f"sms:{phone}", message_sid, 0)
    if word in consent.STOP_WORDS:
        await in_session(records.opt_out, phone)
        await sender.send(phone, f"You're unsubscribed from {settings.clinic_name} messages "
                          "and won't get any more. Reply START to resubscribe.", key,
                          even_if_opted_out=True)
        return True
    if await in_session(records.is_opted_out, phone):
        if word in consent.START_WORDS:
            await in_session(records.opt_in, phone)
            await sender.send(phone, f"You're subscribed to {settings.clinic_name} messages "
                              "again. How can I help? Reply STOP to stop.", key)
        return True
    if word in consent.HELP_WORDS:
        await sender.send(phone, help_text(settings), key)
        return True
    return False


def sms_message_id(message_sid: str) -> str:
    """A text's id in the engine's tracker, from its MessageSid: the same on every attempt."""
    return engine_message_id("sms", message_sid)


def store_inbound(session: Session, phone: str, text: str, message_sid: str,
                  num_media: int, deadline: float | None = None) -> bool:
    """Keeps a text as the webhook arrives (the row's id is this number's arrival order).
    False when this MessageSid was kept before: Twilio retried the webhook. Past `deadline`
    (time.monotonic) it keeps nothing: the webhook has answered 503 by then, and Twilio's
    fallback URL has the text."""
    if session.scalar(select(InboundSms.id).where(InboundSms.message_sid == message_sid)):
        return False
    session.add(InboundSms(message_sid=message_sid, from_number=phone, body=text,
                           num_media=num_media, received_at=now()))
    try:
        session.flush()  # where a locked or hanging database makes us wait
        if deadline is not None and time.monotonic() > deadline:
            session.rollback()
            raise TimeoutError("the database took too long to keep an inbound SMS")
        session.commit()
    except IntegrityError:  # the same retry, a moment earlier, on another worker
        session.rollback()
        return False
    return True


async def enqueue_inbound_sms(phone: str, text: str, message_sid: str, num_media: int,
                              timeout: float) -> bool:
    """Stores the text within `timeout` seconds (a hanging database counts as down)."""
    deadline = time.monotonic() + timeout
    return await asyncio.wait_for(
        in_session(store_inbound, phone, text, message_sid, num_media, deadline), timeout)


@dataclass
class Claim:
    """A text this worker took: `held` the claim's value now (renewed while it holds),
    `taken_over` when an earlier attempt at it may have reached the engine."""

    id: int
    body: str
    message_sid: str
    num_media: int
    held: datetime
    taken_over: bool


def claim_next_inbound(session: Session, phone: str) -> Claim | None:
    """Takes this number's oldest unhandled text, unless another worker's claim on it is
    live (renewed within CLAIM_LEASE_SECONDS)."""
    stale = now() - timedelta(seconds=CLAIM_LEASE_SECONDS)
    row = session.scalars(
        select(InboundSms).where(InboundSms.from_number == phone,
                                 InboundSms.handled_at.is_(None))
        .order_by(InboundSms.id).limit(1)).first()
    if row is None or (row.claimed_at is not None and row.claimed_at > stale):
        return None
    claim = Claim(row.id, row.body, row.message_sid, row.num_media, now(),
                  taken_over=row.claimed_at is not None)
    taken = session.execute(
        update(InboundSms)
        .where(InboundSms.id == row.id, InboundSms.handled_at.is_(None),
               or_(InboundSms.claimed_at.is_(None), InboundSms.claimed_at <= stale))
        .values(claimed_at=claim.held))
    session.commit()
    return claim if taken.rowcount == 1 else None  # type: ignore[attr-defined]


def renew_claim(session: Session, inbound_id: int, held: datetime, renewal: datetime) -> bool:
    """Renews a claim while it is still ours (not lapsed and taken by another worker)."""
    renewed = session.execute(
        update(InboundSms)
        .where(InboundSms.id == inbound_id, InboundSms.claimed_at == held,
               InboundSms.handled_at.is_(None))
        .values(claimed_at=renewal))
    session.commit()
    return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


async def _keep_claim(claim: Claim) -> None:
    """Renews the claim every third of its lease, for as long as its text is handled."""
    while True:
        await asyncio.sleep(CLAIM_LEASE_SECONDS / 3)
        renewal = now()
        try:
            if not await in_session(renew_claim, claim.id, claim.held, renewal):
                log.warning("a claim on an inbound SMS lapsed while held")
                return
        except SQLAlchemyError as exc:  # the next round may get through
            log.warning("could not renew a claim on an inbound SMS (%s)", type(exc).__name__)
            continue
        claim.held = renewal


@asynccontextmanager
async def held_claim(claim: Claim) -> AsyncIterator[None]:
    task = asyncio.create_task(_keep_claim(claim))
    try:
        yield
    finally:
        task.cancel()


def release_inbound(session: Session, inbound_id: int) -> None:
    """Gives a text back to the queue: it could not be handled now (Redis is away). Its
    claim lapses at once, marked as tried: it may have reached the engine."""
    session.execute(update(InboundSms).where(InboundSms.id == inbound_id)
                    .values(claimed_at=_LAPSED))
    session.commit()


def finish_inbound(session: Session, inbound_id: int) -> None:
    """Handled: never again. The body goes (the transcript keeps what is needed); the row
    stays as the MessageSid's record against Twilio's retries."""
    session.execute(update(InboundSms).where(InboundSms.id == inbound_id)
                    .values(handled_at=now(), body=""))
    session.commit()


def forget_handled_inbound(session: Session, older_than_seconds: float) -> int:
    """Handled texts are kept only as long as Twilio may retry their webhook (the MessageSid
    dedupe, SMS_DEDUPE_SECONDS): the number they came from goes with them."""
    cutoff = now() - timedelta(seconds=older_than_seconds)
    gone = session.execute(delete(InboundSms).where(InboundSms.handled_at.is_not(None),
                                                    InboundSms.handled_at < cutoff))
    session.commit()
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def waiting_numbers(session: Session, older_than_seconds: float) -> list[str]:
    """Numbers with a text waiting longer than a moment (fresh ones are being handled by the
    webhook's own task), and not taken by a worker now."""
    at = now()
    stale = at - timedelta(seconds=CLAIM_LEASE_SECONDS)
    rows = session.scalars(
        select(InboundSms.from_number).where(
            InboundSms.handled_at.is_(None),
            InboundSms.received_at <= at - timedelta(seconds=older_than_seconds),
            or_(InboundSms.claimed_at.is_(None), InboundSms.claimed_at <= stale))
        .distinct())
    return list(rows)


async def drain_inbound_sms(
    phone: str,
    conversations: ConversationService,
    redis: aioredis.Redis,
    sender: SmsSender,
    settings: Settings | None = None,
) -> None:
    """Handles this number's stored texts one by one, in arrival order.

    Webhooks for one number can arrive close together and run concurrently; only the oldest
    unhandled text of a number can be claimed (in the database), so one drainer at a time
    takes them, in order, with no Redis lock to outlive a Redis pause. Without Redis the
    texts stay stored, and the retry loop comes back for them.
    """
    settings = settings or get_settings()
    while (item := await in_session(claim_next_inbound, phone)) is not None:
        try:
            async with held_claim(item):
                await _handle_one(phone, item.body, item.message_sid, item.num_media,
                                  conversations, redis, sender, settings,
                                  taken_over=item.taken_over)
        except RedisError as exc:
            await in_session(release_inbound, item.id)
            log.warning("Redis unavailable (%s): an inbound SMS waits in the database",
                        type(exc).__name__)
            return
        except Exception:  # one bad message must not block the ones queued behind it
            log.exception("an inbound SMS could not be handled")
        await in_session(finish_inbound, item.id)


async def retry_waiting_inbound(settings: Settings | None = None) -> int:
    """One pass of the retry loop: drains every number with a text still waiting. Returns
    how many numbers it tried."""
    settings = settings or get_settings()
    phones = await in_session(waiting_numbers, settings.inbound_retry_seconds)
    if phones:
        conversations, redis, sender = get_conversations(), get_async_redis(), get_sms_sender()
        await asyncio.gather(*(drain_inbound_sms(phone, conversations, redis, sender, settings)
                               for phone in phones))
    return len(phones)


async def retry_inbound_forever() -> None:
    """Runs in every bot-service worker: texts kept while Redis (or this worker) was away
    are handled soon after it is back. Workers share the work safely (row claims)."""
    settings = get_settings()
    last_cleanup = 0.0
    while True:
        await asyncio.sleep(settings.inbound_retry_seconds)
        try:
            await retry_waiting_inbound(settings)
            if time.monotonic() - last_cleanup > CLEANUP_EVERY_SECONDS:
                await in_session(forget_handled_inbound, settings.sms_dedupe_seconds)
                last_cleanup = time.monotonic()
        except Exception as exc:  # the database is away too: try again next time
            log.warning("inbound SMS retry failed: %s", type(exc).__name__)


async def _handle_one(
    phone: str, text: str, message_sid: str, num_media: int,
    conversations: ConversationService, redis: aioredis.Redis, sender: SmsSender,
    settings: Settings, *, taken_over: bool = False,
) -> None:
    """One text. `taken_over`: an earlier attempt at it may have reached the engine (its
    worker died, or it failed), so the engine is asked first whether it took it; every
    reply is sent under a key made from the MessageSid, so none goes twice."""
    conversation = f"sms:{phone}"
    if await handle_keywords(phone, text, message_sid, sender, settings):
        return
    if not await ratelimit.allow(redis, f"sms:{phone}", settings.sms_messages_per_window,
                                 SMS_WINDOW_SECONDS):
        if await ratelimit.first_refusal(redis, f"sms:{phone}", SMS_WINDOW_SECONDS):
            await sender.send(phone, "You're sending messages faster than I can answer. "
                              "Please wait a few minutes and try again.",
                              reply_key(conversation, message_sid, 0))
        return
    if len(text) > SMS_MAX_CHARS:
        # Longer than any text Twilio delivers: never passed on (engine, transcript, desk)
        # cut short, where half a sentence could be taken for the whole.
        log.warning("inbound SMS of %d characters, over %d: asked for a shorter one",
                    len(text), SMS_MAX_CHARS)
        await sender.send(phone, too_long_text(settings), reply_key(conversation, message_sid, 0))
        return
    if not text.strip() and num_media:
        body = ("Sorry, I can't open pictures or files sent here. Please type your question, "
                "or bring the document to your next visit.")
        await sender.send(phone, body, reply_key(conversation, message_sid, 0))
        return
    # "2" or the choice's words answer the numbered choices the last reply offered.
    shown = None
    picked = match_choice(text, await conversations.offered_choices(conversation))
    if picked is not None:
        text, shown = picked.payload, chosen(text, picked)
    replies = await conversations.turn(conversation, text, {"channel": "sms", "phone": phone},
                                       shown=shown, message_id=sms_message_id(message_sid),
                                       maybe_taken=taken_over)
    body, _ = sms_body(replies)
    parts = split_sms(body)
    log.info("SMS reply: %d part(s), %d segment(s), %s", len(parts),
             sum(segments(p) for p in parts), "GSM-7" if is_gsm7(body) else "UCS-2")
    for index, part in enumerate(parts):
        await sender.send(phone, part, reply_key(conversation, message_sid, index))


@router.post("/channels/sms/inbound")
async def inbound(
    params: SignedForm,
    background: BackgroundTasks,
    settings: SettingsDep,
) -> Response:
    message_sid = params.get("MessageSid", "")
    phone = params.get("From", "")
    if not message_sid or not phone:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    our_numbers = {n.strip() for n in settings.twilio_phone_number.split(",") if n.strip()}
    # A missing To is refused like another number: Twilio always sends it.
    if params.get("To", "") not in our_numbers:
        log.warning("inbound SMS without To or to a number that is not ours; ignored")
        return twiml()
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        num_media = 0
    try:
        fresh = await enqueue_inbound_sms(phone, params.get("Body", ""), message_sid,
                                          num_media, settings.inbound_db_timeout_seconds)
    except (TimeoutError, SQLAlchemyError) as exc:
        # Not kept: a fast 5xx, so Twilio's fallback URL answers the patient instead.
        log.error("inbound SMS not stored, database unavailable (%s): 503 to Twilio",
                  type(exc).__name__)
        raise HTTPException(503, "temporarily unavailable") from None
    if fresh:  # a retried webhook was kept (and is handled) already
        background.add_task(drain_inbound_sms, phone, get_conversations(), get_async_redis(),
                            get_sms_sender(), settings)
    return twiml()


@router.post("/channels/sms/status")
async def status_callback(params: SignedForm, redis: RedisDep) -> Response:
    sid = params.get("MessageSid") or params.get("SmsSid")
    status = params.get("MessageStatus") or params.get("SmsStatus")
    if not (sid and status):
        return twiml()
    notice = (f"An SMS to the patient was {status} by the carrier "
              f"(error {params.get('ErrorCode') or 'unknown'}).")
    handoff_id = await in_session(note_delivery_status, sid, status, notice)
    if handoff_id is not None:
        await live.publish(redis, live.DESK_CHANNEL, {
            "type": "message", "handoff_id": handoff_id, "role": "system", "text": notice,
            "at": datetime.now(UTC).isoformat()})
    return twiml()


def note_delivery_status(session: Session, sid: str, status: str, notice: str) -> int | None:
    """Records the carrier's status. A failed SMS goes into the transcript, since a person may
    be waiting on it; returns the open handoff whose desk should see it at once."""
    failed_to = record_delivery_status(session, sid, status)
    if not failed_to:
        return None
    conversation = f"sms:{failed_to}"
    handoff = handoffs.open_handoff(session, conversation)
    transcript.record_entry(session, conversation, "system", notice,
                            handoff_id=handoff.id if handoff else None)
    return handoff.id if handoff else None


@dev_router.get("/dev/outbox")
def outbox(session: SessionDep, to: Annotated[str, Query(pattern=r"^\+?[0-9]{4,15}$")]
           ) -> list[dict[str, str]]:
    rows = session.scalars(
        select(SmsMessage).where(SmsMessage.to_number == to).order_by(SmsMessage.id)
    )
    return [{"to": r.to_number, "body": r.body, "sent_at": r.created_at.isoformat(),
             "status": r.status} for r in rows]
