"""Twilio SMS: signed webhooks in, replies out through the outbound sender."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, cast

import redis.asyncio as aioredis
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from bot import live, ratelimit
from bot.conversations import transcript
from bot.conversations.deps import get_conversations
from bot.conversations.service import ConversationService, conversation_turn
from bot.db import get_sessionmaker, in_session
from bot.deps import SessionDep, SettingsDep
from bot.handoff import service as handoffs
from bot.redis import async_redis
from bot.settings import Settings, get_settings
from channels import consent
from channels.formatting import (
    chosen,
    is_gsm7,
    match_choice,
    segments,
    sms_body,
    split_sms,
)
from channels.models import SmsMessage
from channels.sms_sender import SmsSender, make_sender, record_delivery_status, reply_key

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SMS_WINDOW_SECONDS = 5 * 60

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


async def first_delivery(redis: aioredis.Redis, message_sid: str, ttl: int) -> bool:
    """Twilio retries webhooks; a MessageSid is handled once."""
    return bool(await redis.set(f"sms:sid:{message_sid}", "1", nx=True, ex=ttl))


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
        await in_session(consent.opt_out, phone)
        await sender.send(phone, f"You're unsubscribed from {settings.clinic_name} messages "
                          "and won't get any more. Reply START to resubscribe.", key,
                          even_if_opted_out=True)
        return True
    if await in_session(consent.is_opted_out, phone):
        if word in consent.START_WORDS:
            await in_session(consent.opt_in, phone)
            await sender.send(phone, f"You're subscribed to {settings.clinic_name} messages "
                              "again. How can I help? Reply STOP to stop.", key)
        return True
    if word in consent.HELP_WORDS:
        await sender.send(phone, help_text(settings), key)
        return True
    return False


async def enqueue_inbound_sms(redis: aioredis.Redis, phone: str, text: str, message_sid: str,
                              num_media: int) -> None:
    """Called as the webhook arrives: the Redis list keeps this number's arrival order."""
    await redis.rpush(f"sms:inbox:{phone}",
                      json.dumps({"text": text, "sid": message_sid, "media": num_media}))


async def drain_inbound_sms(
    phone: str,
    conversations: ConversationService,
    redis: aioredis.Redis,
    sender: SmsSender,
    settings: Settings | None = None,
) -> None:
    """Handles this number's queued messages one by one, in arrival order.

    Webhooks for one number can arrive close together and run concurrently; the lock makes
    one drainer at a time take them from the list.
    """
    inbox = f"sms:inbox:{phone}"
    settings = settings or get_settings()
    async with conversation_turn(redis, f"sms-inbox:{phone}"):
        while raw := await redis.lpop(inbox):
            item = json.loads(cast(str, raw))
            try:
                await _handle_one(phone, str(item["text"]), str(item["sid"]),
                                  int(item["media"]), conversations, redis, sender, settings)
            except Exception:  # one bad message must not block the ones queued behind it
                log.exception("an inbound SMS could not be handled")


async def _handle_one(
    phone: str, text: str, message_sid: str, num_media: int,
    conversations: ConversationService, redis: aioredis.Redis, sender: SmsSender,
    settings: Settings,
) -> None:
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
                                       shown=shown)
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
    redis: RedisDep,
) -> Response:
    message_sid = params.get("MessageSid", "")
    phone = params.get("From", "")
    if not message_sid or not phone:
        raise HTTPException(status_code=400, detail="MessageSid and From are required")
    our_numbers = {n.strip() for n in settings.twilio_phone_number.split(",") if n.strip()}
    # A missing To is refused like another number: Twilio always sends it (issue H).
    if params.get("To", "") not in our_numbers:
        log.warning("inbound SMS without To or to a number that is not ours; ignored")
        return twiml()
    if not await first_delivery(redis, message_sid, settings.sms_dedupe_seconds):
        return twiml()
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        num_media = 0
    await enqueue_inbound_sms(redis, phone, params.get("Body", ""), message_sid, num_media)
    background.add_task(drain_inbound_sms, phone, get_conversations(), redis, get_sms_sender(),
                        settings)
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
