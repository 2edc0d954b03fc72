"""The outreach schedule, consent per purpose, and the hold-out, in the database.

Every planned message has one row, unique per (kind, subject, offset, subject time), and ends
in exactly one final state: sent (then delivered or failed by the carrier), cancelled, or
suppressed with a reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime
from bot.outreach.enums import OutreachKind, OutreachStatus, Purpose, SuppressReason


class OutreachMessage(Base):
    __tablename__ = "outreach_messages"
    __table_args__ = (Index("ix_outreach_messages_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<kind>:<subject type>:<subject id>:<offset>:<subject time>": a moved appointment is a
    # new subject time, so it gets the reminders of its new time; the same one never twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[OutreachKind] = mapped_column(Enum(OutreachKind, native_enum=False, length=30))
    purpose: Mapped[Purpose] = mapped_column(Enum(Purpose, native_enum=False, length=20))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    offset_label: Mapped[str] = mapped_column(String(20))
    # What the subject looked like when planned (the appointment's time), re-checked at send.
    subject_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The next time a worker may try (quiet hours and caps move it); after `expires_at` a
    # message still waiting is suppressed with the reason it was waiting for.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OutreachStatus] = mapped_column(
        Enum(OutreachStatus, native_enum=False, length=20), default=OutreachStatus.planned)
    reason: Mapped[SuppressReason | None] = mapped_column(
        Enum(SuppressReason, native_enum=False, length=30))
    waiting_for: Mapped[str | None] = mapped_column(String(20))
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str | None] = mapped_column(String(20))
    body: Mapped[str | None] = mapped_column(Text)
    sms_key: Mapped[str | None] = mapped_column(String(100))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(String(40))


class OutreachPatient(Base):
    """The hold-out, recorded per patient the first time outreach sees them: a stable hash of
    the patient id decides, and the record keeps the group even if the percentage changes."""

    __tablename__ = "outreach_patients"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer)
    held_out: Mapped[bool] = mapped_column(Boolean)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
