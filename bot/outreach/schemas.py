"""What the outreach API answers: the action server (replies) and the desk (the view)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bot.backoffice.schemas import SlotInfo
from bot.outreach.enums import OutreachKind, OutreachStatus, SuppressReason


class ConfirmRequest(BaseModel):
    # The number the reply came from (SMS), and the patient this session verified, if any.
    phone: str | None = Field(default=None, max_length=20)
    patient_id: int | None = Field(default=None, ge=1)


class ConfirmResult(BaseModel):
    # confirmed: done; verify: the reply is not from the number the reminder went to (or it is
    # not on file any more), so the patient must verify; gone: the appointment moved on.
    status: Literal["confirmed", "verify", "gone"]
    appointment_id: int | None = None
    starts_at: datetime | None = None


class ReplyRequest(BaseModel):
    choice: str = Field(max_length=40)


class OutreachContext(BaseModel):
    """What an outreach message was about, for the patient it went to (verified)."""

    id: int
    kind: OutreachKind
    subject_type: str
    subject_id: int


class OpenSlots(BaseModel):
    provider_name: str
    slots: list[SlotInfo]


class Recorded(BaseModel):
    ok: bool = True


class BookRequest(BaseModel):
    patient_id: int = Field(ge=1)
    slot_id: int = Field(ge=1)


class OutreachRow(BaseModel):
    id: int
    kind: OutreachKind
    purpose: str
    patient_id: int
    patient: str
    offset: str
    due_at: datetime
    not_before: datetime
    status: OutreachStatus
    delivery: str | None
    reason: SuppressReason | None
    waiting_for: str | None
    sent_at: datetime | None
    replied_at: datetime | None
    reply: str | None
    body: str | None


class OutreachView(BaseModel):
    rows: list[OutreachRow]
    counts: dict[str, int]
    # Times are shown in the clinic's zone, named, whatever the desk's computer is set to.
    clinic_timezone: str = "America/New_York"
