"""Texts by SMS: what we send (the delivery record, and the dev outbox in dev/test), and
what patients send, kept before Twilio is answered."""

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class SmsMessage(Base):
    __tablename__ = "sms_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_number: Mapped[str] = mapped_column(String(20), index=True)
    from_number: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    # "outbox" when kept locally (dev/test without Twilio credentials), else Twilio's status.
    status: Mapped[str] = mapped_column(String(20))
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundSms(Base):
    """A patient's text, stored before the webhook answers Twilio (which never sends it
    again): the database is the queue, so a text survives Redis or the engine being away and
    is handled once they are back. `message_sid` is unique: Twilio's retries and the retry
    loop never handle one text twice. Once handled, the body is blanked (the transcript keeps
    what the conversation needs) and the row stays as the MessageSid's dedupe record."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Taken by a worker now (a stale claim is taken again); handled: done, never again.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
