"""Planning: what should go out, from the record, as rows of the durable schedule.

Idempotent: every candidate has a dedupe key, so planning again (another worker, a rerun for
the same time) adds nothing. Held-out patients get their rows too, suppressed at once with the
reason `hold_out`, so the effect can be measured against what they would have received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice.enums import AppointmentStatus
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import (
    Charge,
    Invoice,
    Patient,
    Payment,
    Prescription,
    RefillRequest,
)
from bot.backoffice.pharmacy import OPEN_REQUEST_WINDOW, OPEN_STATUSES
from bot.backoffice.port import BackOffice, Domain, Source
from bot.outreach.enums import (
    PRIORITY,
    PURPOSE,
    OutreachKind,
    OutreachStatus,
    SuppressReason,
)
from bot.outreach.models import OutreachMessage, OutreachPatient
from bot.outreach.rules import holdout_bucket, in_holdout, local_at, zone
from bot.settings import Settings

# Nudges go out at this local hour on their day (quiet hours still apply).
NUDGE_HOUR = 10
NO_SHOW_LOOKBACK = timedelta(days=3)
REFILL_AHEAD = timedelta(days=7)
REFILL_LOOKBACK = timedelta(days=14)
BALANCE_STATEMENT_AGE = timedelta(days=60)
BALANCE_DELAY = timedelta(days=7)
CHUNK = 500


@dataclass
class Candidate:
    patient_id: int
    kind: OutreachKind
    subject_type: str
    subject_id: int
    offset_label: str
    subject_at: datetime | None
    due_at: datetime
    expires_at: datetime

    @property
    def dedupe_key(self) -> str:
        when = self.subject_at.isoformat() if self.subject_at else "-"
        return (f"{self.kind}:{self.subject_type}:{self.subject_id}:{self.offset_label}:"
                f"{when}")


@dataclass
class PlanResult:
    planned: int = 0
    held_out: int = 0
    superseded: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def enabled_kinds(settings: Settings) -> set[OutreachKind]:
    names = {n.strip() for n in settings.outreach_kinds.split(",") if n.strip()}
    kinds = {k for k in OutreachKind if k.value in names}
    if OutreachKind.refill_prompt in kinds:  # one setting names both prescription prompts
        kinds.add(OutreachKind.renewal_prompt)
    return kinds


def reminder_offsets(settings: Settings) -> list[int]:
    """Hours before the appointment, largest first."""
    return sorted({int(h) for h in settings.outreach_reminder_offsets_hours.split(",")
                   if h.strip()}, reverse=True)


def _tz_of(tzs: dict[int, str | None], patient_id: int, settings: Settings) -> ZoneInfo:
    return zone(tzs.get(patient_id), settings.clinic_timezone)


def reminder_candidates(session: Session, now: datetime, settings: Settings,
                        tzs: dict[int, str | None], office: BackOffice) -> Iterable[Candidate]:
    offsets = reminder_offsets(settings)
    if not offsets:
        return
    horizon = now + timedelta(hours=offsets[0] + 48)
    for visit in office.scheduling.visits_between(session, now, horizon,
                                                  AppointmentStatus.booked):
        starts, booked = visit.appointment.starts_at, visit.booked_at
        for index, hours in enumerate(offsets):
            due = starts - timedelta(hours=hours)
            # A reminder waits no longer than the next one's time (the last: an hour before).
            expires = (starts - timedelta(hours=offsets[index + 1]) if index + 1 < len(offsets)
                       else starts - timedelta(hours=1))
            if booked is not None and booked > due:
                continue  # booked later than that: this reminder never applied
            if expires <= now:
                continue
            yield Candidate(visit.patient_id, OutreachKind.appointment_reminder, "appointment",
                            visit.appointment.id, f"{hours}h", starts, due, expires)


def no_show_candidates(session: Session, now: datetime, settings: Settings,
                       tzs: dict[int, str | None], office: BackOffice) -> Iterable[Candidate]:
    # The follow-up books a new visit with the same provider, which only the reference
    # scheduling can do yet.
    if office.sources[Domain.scheduling] is not Source.reference:
        return
    for visit in office.scheduling.visits_between(session, now - NO_SHOW_LOOKBACK, now,
                                                  AppointmentStatus.no_show):
        starts = visit.appointment.starts_at
        tz = _tz_of(tzs, visit.patient_id, settings)
        due = local_at(starts, NUDGE_HOUR, tz, days=1)  # the day after
        expires = local_at(starts, settings.outreach_quiet_start_hour, tz, days=3)
        if expires > now:
            yield Candidate(visit.patient_id, OutreachKind.no_show_followup, "appointment",
                            visit.appointment.id, "day_after", starts, due, expires)


def prescription_candidates(session: Session, now: datetime, settings: Settings,
                            tzs: dict[int, str | None], office: BackOffice
                            ) -> Iterable[Candidate]:
    # Supply end dates are our pharmacy's records; an EHR's are not read for planning yet.
    if office.sources[Domain.pharmacy] is not Source.reference:
        return
    today = now.astimezone(zone(None, settings.clinic_timezone)).date()
    open_request = (
        select(RefillRequest.id)
        .where(RefillRequest.prescription_id == Prescription.id,
               RefillRequest.status.in_(OPEN_STATUSES),
               RefillRequest.created_at > now - OPEN_REQUEST_WINDOW)
        .exists())
    rows = session.execute(
        select(Prescription.id, Prescription.patient_id, Prescription.supply_ends_on,
               Prescription.refills_left)
        .where(Prescription.active.is_(True), Prescription.supply_ends_on.is_not(None),
               Prescription.supply_ends_on <= today + REFILL_AHEAD,
               Prescription.supply_ends_on >= today - REFILL_LOOKBACK, ~open_request))
    for rx_id, patient_id, ends_on, refills_left in rows:
        if ends_on is None:
            continue
        tz = _tz_of(tzs, patient_id, settings)
        ends = datetime.combine(ends_on, datetime.min.time(), tzinfo=tz)
        due = local_at(ends - REFILL_AHEAD, NUDGE_HOUR, tz)
        expires = local_at(ends + REFILL_LOOKBACK, settings.outreach_quiet_start_hour, tz)
        kind = OutreachKind.refill_prompt if refills_left > 0 else OutreachKind.renewal_prompt
        if expires > now:
            yield Candidate(patient_id, kind, "prescription", rx_id, "supply", ends, due,
                            expires)


def balance_candidates(session: Session, now: datetime, settings: Settings,
                       tzs: dict[int, str | None], office: BackOffice) -> Iterable[Candidate]:
    if office.sources[Domain.billing] is not Source.reference:  # statements are ours only
        return
    today = now.astimezone(zone(None, settings.clinic_timezone)).date()
    owed = dict(session.execute(
        select(Charge.patient_id, func.sum(Charge.patient_cents))
        .where(Charge.invoice_id.is_not(None)).group_by(Charge.patient_id)).all())
    paid = dict(session.execute(
        select(Payment.patient_id, func.sum(Payment.amount_cents))
        .group_by(Payment.patient_id)).all())
    rows = session.execute(
        select(Invoice.id, Invoice.patient_id, Invoice.statement_date)
        .where(Invoice.statement_date >= today - BALANCE_STATEMENT_AGE,
               Invoice.statement_date <= today))
    for invoice_id, patient_id, statement_date in rows:
        if int(owed.get(patient_id) or 0) - int(paid.get(patient_id) or 0) <= 0:
            continue
        tz = _tz_of(tzs, patient_id, settings)
        stated = datetime.combine(statement_date, datetime.min.time(), tzinfo=tz)
        due = local_at(stated + BALANCE_DELAY, NUDGE_HOUR, tz)
        expires = local_at(stated + BALANCE_STATEMENT_AGE, settings.outreach_quiet_start_hour,
                           tz)
        if expires > now:
            # One per statement, ever: the statement is the subject and there is one offset.
            yield Candidate(patient_id, OutreachKind.balance_reminder, "invoice", invoice_id,
                            "statement", stated, due, expires)


PLANNERS = {
    OutreachKind.appointment_reminder: reminder_candidates,
    OutreachKind.no_show_followup: no_show_candidates,
    OutreachKind.refill_prompt: prescription_candidates,
    OutreachKind.balance_reminder: balance_candidates,
}


def holdout_groups(session: Session, patient_ids: set[int], now: datetime,
                   settings: Settings) -> dict[int, bool]:
    """Each patient's group, recorded the first time outreach sees them."""
    groups: dict[int, bool] = {}
    ids = sorted(patient_ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for pid, held in session.execute(
                select(OutreachPatient.patient_id, OutreachPatient.held_out)
                .where(OutreachPatient.patient_id.in_(chunk))):
            groups[pid] = held
    new = [pid for pid in ids if pid not in groups]
    for pid in new:
        bucket = holdout_bucket(pid, settings.outreach_holdout_salt)
        held = in_holdout(bucket, settings.outreach_holdout_percent)
        session.add(OutreachPatient(patient_id=pid, bucket=bucket, held_out=held,
                                    assigned_at=now))
        groups[pid] = held
    if new:
        try:
            session.commit()
        except IntegrityError:  # another worker recorded them first: read theirs
            session.rollback()
            return holdout_groups(session, patient_ids, now, settings)
    return groups


def supersede(session: Session, candidates: Iterable[Candidate], now: datetime) -> int:
    """Rows still planned for an appointment's old time (it was moved) are settled now, as
    the subject changed, so the schedule shows one set of reminders per visit, not one per
    time it was booked for; the caller commits."""
    current = {(c.kind, c.subject_id): c.subject_at for c in candidates
               if c.subject_type == "appointment"}
    ids = sorted({subject_id for _, subject_id in current})
    settled = 0
    for start in range(0, len(ids), CHUNK):
        for row in session.scalars(select(OutreachMessage).where(
                OutreachMessage.status == OutreachStatus.planned,
                OutreachMessage.subject_type == "appointment",
                OutreachMessage.subject_id.in_(ids[start:start + CHUNK]))):
            at = current.get((row.kind, row.subject_id))
            if at is not None and row.subject_at != at:
                row.status, row.reason = OutreachStatus.suppressed, SuppressReason.subject_changed
                row.finished_at = now
                settled += 1
    return settled


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found |= set(session.scalars(select(OutreachMessage.dedupe_key)
                                     .where(OutreachMessage.dedupe_key.in_(keys[start:start
                                                                                + CHUNK]))))
    return found


def _row(c: Candidate, now: datetime, held_out: bool) -> OutreachMessage:
    row = OutreachMessage(
        dedupe_key=c.dedupe_key, patient_id=c.patient_id, kind=c.kind, purpose=PURPOSE[c.kind],
        subject_type=c.subject_type, subject_id=c.subject_id, offset_label=c.offset_label,
        subject_at=c.subject_at, priority=PRIORITY[c.kind], due_at=c.due_at,
        not_before=c.due_at, expires_at=c.expires_at, status=OutreachStatus.planned,
        attempts=0, planned_at=now)
    if held_out:
        row.status, row.reason, row.finished_at = (OutreachStatus.suppressed,
                                                   SuppressReason.hold_out, now)
    return row


def plan(session: Session, now: datetime, settings: Settings,
         office: BackOffice | None = None) -> PlanResult:
    """Adds every message due by the record as of `now` that is not in the schedule yet,
    reading appointments from whichever system holds them."""
    office = office or get_backoffice(settings)
    kinds = enabled_kinds(settings)
    tzs: dict[int, str | None] = dict(session.execute(select(Patient.id, Patient.timezone))
                                      .all())
    candidates: dict[str, Candidate] = {}
    for kind, planner in PLANNERS.items():
        if kind not in kinds:
            continue
        for c in planner(session, now, settings, tzs, office):
            if c.kind in kinds:
                candidates[c.dedupe_key] = c
    result = PlanResult()
    if not candidates:
        return result
    result.superseded = supersede(session, candidates.values(), now)
    if result.superseded:
        session.commit()
    existing = _existing_keys(session, list(candidates))
    new_keys = [k for k in candidates if k not in existing]
    groups = holdout_groups(session, {candidates[k].patient_id for k in new_keys}, now,
                            settings)
    rows = [_row(candidates[k], now, groups[candidates[k].patient_id]) for k in new_keys]
    session.add_all(rows)
    try:
        session.commit()
    except IntegrityError:
        # Another worker planned some of them at the same moment: add the rest one by one.
        session.rollback()
        rows = []
        for key in new_keys:
            row = _row(candidates[key], now, groups[candidates[key].patient_id])
            session.add(row)
            try:
                session.commit()
                rows.append(row)
            except IntegrityError:
                session.rollback()
    for row in rows:
        if row.reason is SuppressReason.hold_out:
            result.held_out += 1
        else:
            result.planned += 1
            result.by_kind[row.kind.value] = result.by_kind.get(row.kind.value, 0) + 1
    return result
