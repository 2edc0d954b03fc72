"""Outbound SMS: through the Twilio REST API, or into the dev outbox in dev/test."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import anyio
from requests import RequestException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.backoffice.consent import is_opted_out
from bot.settings import Settings
from channels.models import SmsMessage

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF_SECONDS = 0.5
FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Looking up a message a stopped sender may have sent: how far Twilio's clock may be behind
# ours, and how many of the number's latest messages are read (newest first).
TWILIO_CLOCK_SKEW = timedelta(seconds=60)
LOOKUP_LIMIT = 50


class SmsSender(Protocol):
    async def send(self, to: str, body: str, idempotency_key: str,
                   even_if_opted_out: bool = False) -> None: ...


class BaseUrlHttpClient(TwilioHttpClient):
    """The real Twilio HTTP client, pointed at another host (a local stand-in in tests)."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        target = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, target, *args, **kwargs)


def reply_key(conversation: str, turn_id: str, index: int) -> str:
    """A stable key per reply, so a retried turn never sends the same reply twice."""
    raw = f"{conversation}|{turn_id}|{index}"
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


class _Recorder:
    def __init__(self, sessions: sessionmaker[Session], from_number: str) -> None:
        self.sessions = sessions
        self.from_number = from_number

    def _claim(self, to: str, body: str, key: str, status: str,
               even_if_opted_out: bool = False) -> int | None:
        """Writes the record first; a second send with the same key finds it and stops.

        A number that opted out gets nothing, whoever sends (bot, agent, reminder); only the
        STOP confirmation itself goes out.
        """
        with self.sessions() as session:
            if not even_if_opted_out and is_opted_out(session, to):
                log.info("SMS not sent: the number opted out")
                return None
            if session.scalar(select(SmsMessage.id).where(SmsMessage.idempotency_key == key)):
                return None
            row = SmsMessage(to_number=to, from_number=self.from_number, body=body,
                             status=status, idempotency_key=key, created_at=datetime.now(UTC))
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                return None
            return row.id


class OutboxSender(_Recorder):
    """Dev/test without Twilio credentials: messages are kept, readable at /dev/outbox."""

    async def send(self, to: str, body: str, idempotency_key: str,
                   even_if_opted_out: bool = False) -> None:
        await anyio.to_thread.run_sync(self._claim, to, body, idempotency_key, "outbox",
                                       even_if_opted_out)


class TwilioSender(_Recorder):
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        super().__init__(sessions, settings.twilio_phone_number.split(",")[0].strip())
        http_client = (
            BaseUrlHttpClient(settings.twilio_api_base_url)
            if settings.twilio_api_base_url
            else None
        )
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                              http_client=http_client)
        self.status_callback = settings.public_base_url.rstrip("/") + "/channels/sms/status"

    def _send_sync(self, to: str, body: str, key: str, even_if_opted_out: bool) -> None:
        row_id = self._claim(to, body, key, "sending", even_if_opted_out)
        if row_id is None:
            row_id = self._resume(key, even_if_opted_out)
            if row_id is None:
                return
        message = self._create_with_retries(to, body)
        if message is None:
            with self.sessions() as session:
                row = session.get(SmsMessage, row_id)
                if row is not None:
                    row.status = "failed"
                    session.commit()
            return
        with self.sessions() as session:
            row = session.get(SmsMessage, row_id)
            if row is not None:
                row.twilio_sid = message.sid
                row.status = str(message.status or "queued")
                session.commit()

    def _resume(self, key: str, even_if_opted_out: bool) -> int | None:
        """A record of this key left `sending` with no Twilio id (its sender died during the
        call, or before it): Twilio may have taken the message. Looked up there first (its
        Messages API has no idempotency key): found, it is recorded and not sent again;
        else the record's id is returned, to send it now. None when there is nothing to
        send, or when Twilio cannot say: nothing is sent blind, the record stays `sending`
        and the next send under its key looks again."""
        with self.sessions() as session:
            row = session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == key))
            if row is None or row.status != "sending" or row.twilio_sid is not None:
                return None
            if not even_if_opted_out and is_opted_out(session, row.to_number):
                return None
            row_id, to, body, since = row.id, row.to_number, row.body, row.created_at
            known = {sid for sid in session.scalars(select(SmsMessage.twilio_sid).where(
                SmsMessage.to_number == to, SmsMessage.twilio_sid.is_not(None),
                SmsMessage.created_at >= since - TWILIO_CLOCK_SKEW)) if sid}
        try:
            found = self._taken_by_twilio(to, body, since, known)
        except (TwilioException, RequestException) as exc:
            log.error("an SMS left unsent could not be looked up at Twilio (%s): not resent "
                      "now", type(exc).__name__)
            return None
        if found is None:
            log.warning("an SMS left unsent by a stopped sender is sent now")
            return row_id
        log.warning("an SMS left unsent by a stopped sender had reached Twilio: not resent")
        with self.sessions() as session:
            stuck = session.get(SmsMessage, row_id)
            if stuck is not None:
                stuck.twilio_sid = found.sid
                stuck.status = str(found.status or "queued")[:20]
                session.commit()
        return None

    def _taken_by_twilio(self, to: str, body: str, since: datetime, known: set[str]) -> Any:
        """The message Twilio holds from us to `to` with this body, created after `since`
        (less the clock skew) and not already another record's; None if it has none. Not
        filtered by DateSent: a message still queued at Twilio has none yet."""
        for message in self.client.messages.list(to=to, from_=self.from_number,
                                                 limit=LOOKUP_LIMIT):
            created = message.date_created
            if (message.body == body and message.sid not in known
                    and (created is None or created >= since - TWILIO_CLOCK_SKEW)):
                return message
        return None

    def _create_with_retries(self, to: str, body: str) -> Any:
        """Twilio's 429 and 5xx are worth retrying with backoff; a 4xx (bad number) is not."""
        for attempt in range(RETRIES + 1):
            try:
                return self.client.messages.create(
                    to=to, from_=self.from_number, body=body,
                    status_callback=self.status_callback)
            except TwilioRestException as exc:
                retryable = exc.status == 429 or exc.status >= 500
                if not retryable or attempt == RETRIES:
                    log.error("Twilio refused an SMS: HTTP %s, code %s", exc.status, exc.code)
                    return None
            except TwilioException as exc:  # connection problems
                if attempt == RETRIES:
                    log.error("Twilio unreachable: %s", type(exc).__name__)
                    return None
            time.sleep(BACKOFF_SECONDS * (2 ** attempt))
        return None

    async def send(self, to: str, body: str, idempotency_key: str,
                   even_if_opted_out: bool = False) -> None:
        await anyio.to_thread.run_sync(self._send_sync, to, body, idempotency_key,
                                       even_if_opted_out)


def make_sender(settings: Settings, sessions: sessionmaker[Session]) -> SmsSender:
    if settings.twilio_configured:
        return TwilioSender(sessions, settings)
    if settings.is_dev:
        return OutboxSender(sessions, settings.twilio_phone_number.split(",")[0].strip())
    raise RuntimeError(
        "No way to send SMS: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, "
        "or run with APP_ENV=dev to keep messages in the dev outbox."
    )


def record_delivery_status(session: Session, twilio_sid: str, status: str) -> str | None:
    """Twilio's status callback: queued, sent, delivered, failed, undelivered.

    Returns the number when the message could not be delivered, so the desk can be told.
    """
    row = session.scalar(select(SmsMessage).where(SmsMessage.twilio_sid == twilio_sid))
    if row is None:
        return None
    row.status = status[:20]
    session.commit()
    return row.to_number if status in FAILED_STATUSES else None
