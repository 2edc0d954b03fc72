"""Sending: claim what is due with a lease, check every rule again, send once.

Exactly once: a worker claims rows by a conditional update (on PostgreSQL after
`SELECT ... FOR UPDATE SKIP LOCKED`), so two workers never hold one row; the lease lets
another worker take over a row whose worker died; and the SMS goes through the idempotent
sender with a key per row, so a row sent just before a crash is found, not sent again.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice import consent
from bot.backoffice.enums import AppointmentStatus, Purpose
from bot.backoffice.errors import BackOfficeError, BackOfficeUnavailable, NotFound
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import (
    Invoice,
    Patient,
    Prescription,
    Provider,
    RefillRequest,
)
from bot.backoffice.pharmacy import OPEN_REQUEST_WINDOW, OPEN_STATUSES
from bot.backoffice.port import BackOffice, Domain, Source
from bot.conversations.schemas import BotMessage, Button
from bot.i18n import DEFAULT_LANGUAGE, language_or_default, say_date, say_moment, words
from bot.outreach.enums import PRIORITY, OutreachKind, OutreachStatus, SuppressReason
from bot.outreach.models import OutreachMessage, OutreachPatient
from bot.outreach.rules import cap_wait, local_at, next_allowed, zone
from bot.settings import Settings
from channels.formatting import sms_body
from channels.models import SmsMessage
from channels.sms_sender import SmsSender

log = logging.getLogger(__name__)

COUNTED = (OutreachStatus.sent, OutreachStatus.delivered, OutreachStatus.sending)
# The system holding the subject (the EHR's scheduling) did not answer: try again after this.
BACKOFFICE_RETRY = timedelta(minutes=5)


@dataclass
class Outgoing:
    """A message ready to go: what the patient reads and the choices it offers."""

    message_id: int
    patient_id: int
    phone: str
    kind: OutreachKind
    text: str
    buttons: list[Button]
    language: str = DEFAULT_LANGUAGE

    @property
    def body(self) -> str:
        return sms_body([BotMessage(text=self.text, buttons=self.buttons)], self.language)[0]


# Called after a message went out: the transcript, the offered choices, the engine's context.
AfterSend = Callable[[Outgoing, datetime], Awaitable[None]]


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    waiting: int = 0
    lost_lease: int = 0


def sms_key(message_id: int) -> str:
    return hashlib.sha256(f"outreach|{message_id}".encode()).hexdigest()[:40]


def _claimable(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(OutreachMessage.status == OutreachStatus.planned,
             OutreachMessage.not_before <= now),
        # A worker died holding it: the lease ran out.
        and_(OutreachMessage.status == OutreachStatus.sending,
             OutreachMessage.lease_until < now),
    )


def claim(session: Session, now: datetime, worker: str, settings: Settings,
          limit: int | None = None) -> tuple[str, list[int]]:
    """Claims up to `limit` due rows for this worker; returns (lease token, row ids)."""
    token = f"{worker}:{uuid.uuid4().hex[:12]}"
    query = (select(OutreachMessage.id).where(_claimable(now))
             .order_by(OutreachMessage.priority, OutreachMessage.not_before,
                       OutreachMessage.id)
             .limit(limit or settings.outreach_batch_size))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if not ids:
        session.rollback()
        return token, []
    # Conditional: on SQLite a second worker that read the same ids takes none of them.
    session.execute(
        update(OutreachMessage)
        .where(OutreachMessage.id.in_(ids), _claimable(now))
        .values(status=OutreachStatus.sending, lease_owner=token,
                lease_until=now + timedelta(seconds=settings.outreach_lease_seconds),
                attempts=OutreachMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    session.commit()
    mine = list(session.scalars(select(OutreachMessage.id)
                                .where(OutreachMessage.lease_owner == token,
                                       OutreachMessage.status == OutreachStatus.sending)
                                .order_by(OutreachMessage.priority, OutreachMessage.not_before,
                                          OutreachMessage.id)))
    return token, mine


def _finish(row: OutreachMessage, status: OutreachStatus, now: datetime,
            reason: SuppressReason | None = None) -> None:
    row.status, row.reason, row.finished_at = status, reason, now
    row.lease_owner, row.lease_until = None, None


def _wait(row: OutreachMessage, until: datetime, why: str) -> None:
    row.status, row.not_before, row.waiting_for = OutreachStatus.planned, until, why
    row.lease_owner, row.lease_until = None, None


def _choice(title: str, intent: str, message_id: int) -> Button:
    return Button(title=title, payload=f'/{intent}{{"outreach_id":"{message_id}"}}')


def subject_changed(session: Session, row: OutreachMessage, now: datetime,
                    office: BackOffice) -> bool:
    """The record moved on since planning: the appointment was cancelled or moved, the
    refill was already asked for, the balance was paid."""
    if row.subject_type == "appointment":
        try:
            appt = office.scheduling.get_appointment(session, row.patient_id, row.subject_id)
        except NotFound:
            return True
        if appt.starts_at != row.subject_at:
            return True
        if row.kind is OutreachKind.appointment_reminder:
            return appt.status != AppointmentStatus.booked or appt.starts_at <= now
        return appt.status != AppointmentStatus.no_show
    if row.subject_type == "prescription":
        rx = session.get(Prescription, row.subject_id)
        if rx is None or not rx.active:
            return True
        requested = session.scalar(
            select(RefillRequest.id)
            .where(RefillRequest.prescription_id == rx.id,
                   RefillRequest.status.in_(OPEN_STATUSES),
                   RefillRequest.created_at > now - OPEN_REQUEST_WINDOW).limit(1))
        return requested is not None
    if row.subject_type == "invoice":
        return session.get(Invoice, row.subject_id) is None
    return True


def compose(session: Session, row: OutreachMessage, patient: Patient, settings: Settings,
            office: BackOffice, language: str = DEFAULT_LANGUAGE) -> tuple[str, list[Button]]:
    """The message as the patient reads it, in their language, from the record as it is now.
    Choices are numbers and plain words: never a carrier opt-out word like CANCEL or STOP."""
    clinic = settings.clinic_name
    tz_name = patient.timezone or settings.clinic_timezone
    tz = zone(tz_name, settings.clinic_timezone)
    if row.subject_type == "appointment":
        appt = office.scheduling.get_appointment(session, row.patient_id, row.subject_id)
        when = say_moment(appt.starts_at.astimezone(tz), language)
        if row.kind is OutreachKind.appointment_reminder:
            text = words("outreach.reminder", language, clinic=clinic, when=when,
                         provider=appt.provider_name, location=appt.location)
            return text, [_choice(words("button.confirm", language), "outreach_confirm", row.id),
                          _choice(words("button.reschedule", language), "outreach_reschedule",
                                  row.id),
                          _choice(words("button.cancel_visit", language), "outreach_cancel",
                                  row.id)]
        text = words("outreach.no_show", language, clinic=clinic, when=when,
                     provider=appt.provider_name)
        return text, [_choice(words("button.book_new_time", language), "outreach_rebook",
                              row.id)]
    if row.subject_type == "prescription":
        rx = session.get(Prescription, row.subject_id)
        assert rx is not None
        prescriber = session.get(Provider, rx.prescriber_id)
        ends = rx.supply_ends_on
        today = row.due_at.astimezone(tz).date()
        runs = (words("outreach.runs.out", language) if ends is not None and ends <= today
                else words("outreach.runs.on", language, day=say_date(ends, today, language))
                if ends else words("outreach.runs.low", language))
        medicine = f"{rx.medication} {rx.strength}"
        if rx.refills_left > 0:
            return (words("outreach.refill", language, clinic=clinic, medicine=medicine,
                          runs=runs),
                    [_choice(words("button.refill_it", language), "outreach_refill", row.id)])
        doctor = prescriber.name if prescriber else words("outreach.your_doctor", language)
        return (words("outreach.renewal", language, clinic=clinic, medicine=medicine, runs=runs),
                [_choice(words("button.ask_renewal", language, doctor=doctor),
                         "outreach_refill", row.id)])
    # A balance reminder names no amount: that waits for verification in the conversation.
    return (words("outreach.balance", language, clinic=clinic),
            [Button(title=words("button.see_balance", language), payload="/billing_balance")])


def language_of(session: Session, patient: Patient, office: BackOffice) -> str:
    """The patient's preferred language on file, from the consent records' system."""
    try:
        return language_or_default(office.consent.preferences(session, patient.id).language)
    except BackOfficeError:
        return DEFAULT_LANGUAGE


def _consent_on_file(session: Session, patient: Patient, office: BackOffice
                     ) -> Callable[[Purpose], bool] | None:
    """The consent records' own system, when it is not ours."""
    if office.sources[Domain.consent] is Source.reference:
        return None

    def on_file(purpose: Purpose) -> bool:
        preferences = office.consent.preferences(session, patient.id)
        return preferences.sms_care if purpose is Purpose.care else preferences.sms_billing

    return on_file


def check(session: Session, row: OutreachMessage, patient: Patient, now: datetime,
          settings: Settings, office: BackOffice) -> SuppressReason | datetime | None:
    """A reason to suppress, a time to wait for, or None: send now."""
    group = session.get(OutreachPatient, patient.id)
    if group is not None and group.held_out:
        return SuppressReason.hold_out
    if subject_changed(session, row, now, office):
        return SuppressReason.subject_changed
    refused = consent.refusal(session, patient, row.purpose, _consent_on_file(
        session, patient, office))
    if refused is not None:
        return refused
    if not patient.phone:
        return SuppressReason.no_phone
    tz = zone(patient.timezone, settings.clinic_timezone)
    allowed = next_allowed(now, tz, settings.outreach_quiet_end_hour,
                           settings.outreach_quiet_start_hour)
    if allowed > now:
        row.waiting_for = "quiet_hours"
        return allowed
    sent_times = list(session.scalars(
        select(OutreachMessage.sent_at)
        .where(OutreachMessage.patient_id == patient.id, OutreachMessage.id != row.id,
               OutreachMessage.status.in_(COUNTED), OutreachMessage.sent_at.is_not(None),
               OutreachMessage.sent_at > now - timedelta(days=7))))
    wait = cap_wait(now, tz, [t for t in sent_times if t is not None],
                    settings.outreach_max_per_day, settings.outreach_max_per_week,
                    settings.outreach_quiet_end_hour)
    if wait is None and row.priority > PRIORITY[OutreachKind.appointment_reminder]:
        # A nudge does not take the day's only place from a reminder due later today.
        end_of_day = local_at(now, 0, tz, days=1)
        ahead = session.scalar(
            select(OutreachMessage.id)
            .where(OutreachMessage.patient_id == patient.id, OutreachMessage.id != row.id,
                   OutreachMessage.status == OutreachStatus.planned,
                   OutreachMessage.priority < row.priority,
                   OutreachMessage.not_before < end_of_day).limit(1))
        if ahead is not None:
            wait = cap_wait(now, tz, [t for t in sent_times if t is not None] + [now],
                            settings.outreach_max_per_day, settings.outreach_max_per_week,
                            settings.outreach_quiet_end_hour)
    if wait is not None:
        row.waiting_for = "cap"
        return wait
    return None


def prepare(session: Session, message_id: int, token: str, now: datetime,
            settings: Settings, result: SendResult) -> Outgoing | None:
    """Under the lease: settle the row (suppress or wait) or make it ready to send."""
    row = session.get(OutreachMessage, message_id)
    if row is None or row.lease_owner != token or row.status != OutreachStatus.sending:
        result.lost_lease += 1
        return None
    patient = session.get(Patient, row.patient_id)
    assert patient is not None  # foreign key
    try:
        return _prepare(session, row, patient, now, settings, result,
                        get_backoffice(settings))
    except BackOfficeUnavailable as exc:
        log.warning("outreach message %d waits: the back office did not answer (%s)",
                    row.id, exc.code)
        session.rollback()
        row = session.get(OutreachMessage, message_id)
        assert row is not None
        if now + BACKOFFICE_RETRY >= row.expires_at:
            _finish(row, OutreachStatus.failed, now, None)
            result.failed += 1
        else:
            _wait(row, now + BACKOFFICE_RETRY, "backoffice")
            result.waiting += 1
        session.commit()
        return None


def _prepare(session: Session, row: OutreachMessage, patient: Patient, now: datetime,
             settings: Settings, result: SendResult, office: BackOffice) -> Outgoing | None:
    if row.body is not None and row.sms_key is not None and row.phone:
        # A worker died after composing: send what it composed; the sender's key finds the SMS
        # if it went out, so it never goes twice.
        language = language_of(session, patient, office)
        text, buttons = compose(session, row, patient, settings, office, language)
        return Outgoing(row.id, patient.id, row.phone, row.kind, text, buttons, language)
    outcome = check(session, row, patient, now, settings, office)
    if isinstance(outcome, SuppressReason):
        _finish(row, OutreachStatus.suppressed, now, outcome)
        result.suppressed[outcome.value] = result.suppressed.get(outcome.value, 0) + 1
        session.commit()
        return None
    if isinstance(outcome, datetime):
        if outcome >= row.expires_at:
            reason = (SuppressReason.cap if row.waiting_for == "cap"
                      else SuppressReason.quiet_hours_expired)
            _finish(row, OutreachStatus.suppressed, now, reason)
            result.suppressed[reason.value] = result.suppressed.get(reason.value, 0) + 1
        else:
            _wait(row, outcome, row.waiting_for or "quiet_hours")
            result.waiting += 1
        session.commit()
        return None
    if now >= row.expires_at:
        reason = (SuppressReason.cap if row.waiting_for == "cap"
                  else SuppressReason.quiet_hours_expired)
        _finish(row, OutreachStatus.suppressed, now, reason)
        result.suppressed[reason.value] = result.suppressed.get(reason.value, 0) + 1
        session.commit()
        return None
    language = language_of(session, patient, office)
    text, buttons = compose(session, row, patient, settings, office, language)
    out = Outgoing(row.id, patient.id, patient.phone, row.kind, text, buttons, language)
    row.phone, row.body, row.sms_key = patient.phone, out.body, sms_key(row.id)
    # Counted against the cap from here on, so a second row of the same patient in this
    # batch waits.
    row.sent_at = now
    session.commit()
    return out


def settle(session: Session, message_id: int, token: str, now: datetime,
           result: SendResult) -> OutreachStatus | None:
    """After the sender returned: what happened to the SMS with this row's key."""
    row = session.get(OutreachMessage, message_id)
    if row is None or row.lease_owner != token:
        result.lost_lease += 1
        return None
    sms = session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == row.sms_key))
    if sms is None:  # the sender refused: the number opted out since the check
        _finish(row, OutreachStatus.suppressed, now, SuppressReason.opted_out)
        result.suppressed["opted_out"] = result.suppressed.get("opted_out", 0) + 1
    elif sms.status in ("failed", "undelivered"):
        _finish(row, OutreachStatus.failed, now)
        row.sent_at = None
        result.failed += 1
    else:
        _finish(row, OutreachStatus.sent, now)
        result.sent += 1
    session.commit()
    return row.status


async def send_due(sessions: sessionmaker[Session], sender: SmsSender, now: datetime,
                   settings: Settings, worker: str, after_send: AfterSend | None = None,
                   max_batches: int = 1000) -> SendResult:
    """Claims and sends batches until nothing due is left (or `max_batches`)."""
    import anyio

    result = SendResult()
    for _ in range(max_batches):
        with sessions() as session:
            token, ids = await anyio.to_thread.run_sync(claim, session, now, worker, settings)
        if not ids:
            break
        result.claimed += len(ids)
        for message_id in ids:
            await send_one(sessions, sender, message_id, token, now, settings, result,
                           after_send)
    return result


async def send_one(sessions: sessionmaker[Session], sender: SmsSender, message_id: int,
                   token: str, now: datetime, settings: Settings, result: SendResult,
                   after_send: AfterSend | None = None) -> None:
    import anyio

    def _prepare() -> Outgoing | None:
        with sessions() as session:
            return prepare(session, message_id, token, now, settings, result)

    out = await anyio.to_thread.run_sync(_prepare)
    if out is None:
        return
    await sender.send(out.phone, out.body, sms_key(message_id))

    def _settle() -> OutreachStatus | None:
        with sessions() as session:
            return settle(session, message_id, token, now, result)

    status = await anyio.to_thread.run_sync(_settle)
    if status is OutreachStatus.sent and after_send is not None:
        try:
            await after_send(out, now)
        except Exception:  # the SMS is out; the transcript and context are best effort
            log.exception("after an outreach send: the conversation context was not set")
