"""Outreach verbs: run what is due as of a time; answer the replies; list for the desk.

`run_due` plans from the record and sends under the rules (bot.outreach.sending). After a
send, the message goes into the transcript, its numbered choices are remembered for the
conversation, and the engine gets an `EXTERNAL_outreach` event with the message's id, so the
reply continues in the dialogue with the context set.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice.common import local, require_patient
from bot.backoffice.enums import DEFAULT_LANGUAGE, LanguageSource
from bot.backoffice.errors import (
    AppointmentNotChangeable,
    AppointmentNotFound,
    NotFound,
    RecordChanged,
    SlotNotFound,
    SlotTaken,
)
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider, Slot
from bot.backoffice.port import BackOffice
from bot.backoffice.schemas import AppointmentInfo, SlotInfo
from bot.clock import clinic_tz
from bot.conversations import transcript
from bot.conversations.engine import EngineUnavailable
from bot.conversations.service import ConversationService, choose_language
from bot.conversations.turnlock import conversation_turn
from bot.db import in_session
from bot.handoff import service as handoffs
from bot.outreach.enums import TEAM, OutreachKind, OutreachStatus
from bot.outreach.models import OutreachMessage
from bot.outreach.planning import PlanResult, holdout_groups, plan
from bot.outreach.schemas import (
    ConfirmResult,
    OpenSlots,
    OutreachContext,
    OutreachRow,
    OutreachView,
)
from bot.outreach.sending import Outgoing, SendResult, send_due
from bot.settings import Settings, get_settings
from channels.models import SmsMessage
from channels.sms_sender import SmsSender

log = logging.getLogger(__name__)

EXTERNAL_INTENT = "EXTERNAL_outreach"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_held_out(session: Session, patient_id: int, settings: Settings,
                now: datetime | None = None) -> bool:
    """For measuring outreach: True when the patient is in the hold-out group and
    gets no outreach. The group is recorded in `outreach_patients` the first time asked."""
    from datetime import UTC

    return holdout_groups(session, {patient_id}, now or datetime.now(UTC), settings)[patient_id]


@dataclass
class RunResult:
    planned: PlanResult
    sent: SendResult


class AfterSend:
    """What follows a sent message: the transcript, the choices, the engine's context."""

    def __init__(self, sessions: sessionmaker[Session], conversations: ConversationService | None,
                 settings: Settings) -> None:
        self.sessions = sessions
        self.conversations = conversations
        self.settings = settings

    async def __call__(self, out: Outgoing, now: datetime) -> None:
        sender = f"sms:{out.phone}"
        # On the real clock: the transcript is what happened when (`now` may be simulated).
        await in_session(transcript.record_entry, sender, "bot", out.body,
                         sessions=self.sessions)
        if self.conversations is None:
            return
        if out.buttons:
            await self.conversations.offer_choices(sender, out.buttons,
                                                   self.settings.outreach_reply_hours * 3600,
                                                   outreach=True)
        if out.language != DEFAULT_LANGUAGE:  # the reply continues in the message's language
            await choose_language(self.conversations.redis, sender, out.language,
                                  LanguageSource.record)
        if await in_session(handoffs.open_handoff, sender, sessions=self.sessions) is not None:
            return  # a person has the conversation: the desk sees the transcript
        try:
            async with conversation_turn(self.conversations.redis, sender):
                await self.conversations.engine.trigger_intent(
                    sender, EXTERNAL_INTENT, {"outreach_id": str(out.message_id),
                                              "language": out.language})
        except EngineUnavailable as exc:
            log.warning("outreach context not set in the engine: %s", exc)


async def run_due(sessions: sessionmaker[Session], sender: SmsSender, now: datetime,
                  settings: Settings, conversations: ConversationService | None = None,
                  worker: str | None = None) -> RunResult:
    """Plans from the record and sends everything due as of `now`. Safe to run on several
    workers at once, and again for the same time: nothing is planned or sent twice."""

    def _plan() -> PlanResult:
        with sessions() as session:
            return plan(session, now, settings)

    import anyio

    planned = await anyio.to_thread.run_sync(_plan)
    sent = await send_due(sessions, sender, now, settings, worker or worker_name(),
                          AfterSend(sessions, conversations, settings))
    return RunResult(planned, sent)


# --- replies (the action server, over HTTP) -------------------------------------------------

def _message(session: Session, message_id: int) -> OutreachMessage:
    row = session.get(OutreachMessage, message_id)
    if row is None or row.status not in (OutreachStatus.sent, OutreachStatus.delivered):
        raise AppointmentNotFound("no such outreach message")
    return row


def record_reply(session: Session, message_id: int, choice: str, now: datetime) -> None:
    row = session.get(OutreachMessage, message_id)
    if row is not None:
        row.replied_at, row.reply = now, choice[:40]
        session.commit()


def confirm(session: Session, message_id: int, phone: str | None, now: datetime,
            patient_id: int | None = None, office: BackOffice | None = None) -> ConfirmResult:
    """"1" to a reminder: confirms the appointment with no date of birth, but only when the
    reply comes from the number the reminder went to and that number is still the patient's
    on file (it reveals nothing the reminder did not say), or from the patient this
    conversation verified."""
    row = _message(session, message_id)
    if row.kind is not OutreachKind.appointment_reminder:
        return ConfirmResult(status="gone")
    patient = session.get(Patient, row.patient_id)
    from_number = bool(phone) and phone == row.phone and patient is not None and (
        phone == patient.phone)
    if patient is None or not (from_number or patient_id == patient.id):
        return ConfirmResult(status="verify")
    scheduling = (office or get_backoffice(get_settings())).scheduling
    try:
        appt = scheduling.get_appointment(session, patient.id, row.subject_id)
        if (appt.status != AppointmentStatus.booked or appt.starts_at <= now
                or appt.starts_at != row.subject_at):
            return ConfirmResult(status="gone")
        appt = scheduling.confirm_appointment(session, patient.id, row.subject_id, now)
    except (NotFound, AppointmentNotChangeable, RecordChanged):
        return ConfirmResult(status="gone")
    row.replied_at, row.reply = now, "confirm"
    session.commit()
    return ConfirmResult(status="confirmed", appointment_id=appt.id, starts_at=appt.starts_at)


def context(session: Session, message_id: int, patient_id: int) -> OutreachContext:
    """What the message was about, only for the verified patient it went to."""
    row = _message(session, message_id)
    if row.patient_id != patient_id:
        raise AppointmentNotFound("no such outreach message for this patient")
    return OutreachContext(id=row.id, kind=row.kind, subject_type=row.subject_type,
                           subject_id=row.subject_id)


def rebook_slots(session: Session, message_id: int, patient_id: int, now: datetime,
                 limit: int = 3) -> OpenSlots:
    """Open times with the provider of the missed (or cancelled) appointment."""
    ctx = context(session, message_id, patient_id)
    appt = session.get(Appointment, ctx.subject_id)
    if appt is None or ctx.subject_type != "appointment":
        raise AppointmentNotFound()
    provider = session.get(Provider, appt.provider_id)
    assert provider is not None  # foreign key
    held = (select(Appointment.id)
            .where(Appointment.slot_id == Slot.id, Appointment.status == AppointmentStatus.booked)
            .exists())
    rows = session.execute(
        select(Slot, Provider).join(Provider, Provider.id == Slot.provider_id)
        .where(Slot.provider_id == appt.provider_id, Slot.starts_at > now,
               Slot.starts_at < now + timedelta(days=14), ~held)
        .order_by(Slot.starts_at).limit(limit)).all()
    return OpenSlots(provider_name=provider.name, slots=[
        SlotInfo(id=s.id, provider_id=p.id, provider_name=p.name, starts_at=local(s.starts_at),
                 duration_minutes=s.duration_minutes) for s, p in rows])


def book(session: Session, message_id: int, patient_id: int, slot_id: int, now: datetime
         ) -> AppointmentInfo:
    """A new appointment with the same provider in an open slot (the unique index on booked
    slots settles a race: the loser gets SlotTaken)."""
    ctx = context(session, message_id, patient_id)
    missed = session.get(Appointment, ctx.subject_id)
    require_patient(session, patient_id)
    slot = session.get(Slot, slot_id)
    if missed is None or slot is None or slot.provider_id != missed.provider_id:
        raise SlotNotFound()
    if slot.starts_at <= now:
        raise SlotTaken("that time has already passed")
    appt = Appointment(patient_id=patient_id, provider_id=slot.provider_id, slot_id=slot.id,
                       starts_at=slot.starts_at, status=AppointmentStatus.booked, booked_at=now,
                       reason=f"rebooked from outreach message {message_id}")
    session.add(appt)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SlotTaken() from None
    provider = session.get(Provider, slot.provider_id)
    assert provider is not None
    return AppointmentInfo(id=appt.id, provider_id=provider.id, provider_name=provider.name,
                           specialty=provider.specialty, location=provider.location,
                           starts_at=local(appt.starts_at), duration_minutes=slot.duration_minutes,
                           status=appt.status)


# --- the desk's view ------------------------------------------------------------------------

def view(session: Session, *, kind: OutreachKind | None = None, day: date | None = None,
         status: str | None = None, limit: int = 200, teams: set[str] | None = None
         ) -> OutreachView:
    """Upcoming, sent, replied and suppressed messages (with reasons), newest due first; only
    the kinds of `teams` when given (None: every kind)."""
    query = (select(OutreachMessage, Patient)
             .join(Patient, Patient.id == OutreachMessage.patient_id))
    if teams is not None:
        query = query.where(OutreachMessage.kind.in_(
            [k for k, team in TEAM.items() if team in teams]))
    if kind is not None:
        query = query.where(OutreachMessage.kind == kind)
    if day is not None:
        start = datetime.combine(day, datetime.min.time(), tzinfo=clinic_tz())
        query = query.where(OutreachMessage.due_at >= start,
                            OutreachMessage.due_at < start + timedelta(days=1))
    if status == "replied":
        query = query.where(OutreachMessage.replied_at.is_not(None))
    elif status == "upcoming":
        query = query.where(OutreachMessage.status.in_((OutreachStatus.planned,
                                                        OutreachStatus.sending)))
    elif status:
        query = query.where(OutreachMessage.status == status)
    rows = session.execute(query.order_by(OutreachMessage.due_at.desc(), OutreachMessage.id)
                           .limit(limit)).all()
    keys = [m.sms_key for m, _ in rows if m.sms_key]
    delivery: dict[str, str] = {}
    if keys:
        delivery = dict(session.execute(select(SmsMessage.idempotency_key, SmsMessage.status)
                                        .where(SmsMessage.idempotency_key.in_(keys))).all())
    out = [OutreachRow(
        id=m.id, kind=m.kind, purpose=m.purpose.value, patient_id=p.id, patient=p.full_name,
        offset=m.offset_label, due_at=m.due_at, not_before=m.not_before, status=(
            OutreachStatus.delivered if m.status is OutreachStatus.sent
            and delivery.get(m.sms_key or "") == "delivered" else m.status),
        delivery=delivery.get(m.sms_key or ""), reason=m.reason, waiting_for=m.waiting_for,
        sent_at=m.sent_at if m.status in (OutreachStatus.sent, OutreachStatus.delivered)
        else None, replied_at=m.replied_at, reply=m.reply, body=m.body) for m, p in rows]
    counts: dict[str, int] = {}
    for row in out:
        counts[row.status.value] = counts.get(row.status.value, 0) + 1
        if row.replied_at is not None:
            counts["replied"] = counts.get("replied", 0) + 1
    return OutreachView(rows=out, counts=counts, clinic_timezone=str(clinic_tz()))
