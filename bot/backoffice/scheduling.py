"""Scheduling verbs: upcoming appointments, open slots, reschedule, cancel.

A slot is held by at most one booked appointment; the partial unique index
`uq_appointments_booked_slot` enforces it, so two patients racing for one slot cannot both
win whatever the timing. The loser's IntegrityError becomes `SlotTaken`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice.common import local, require_patient
from bot.backoffice.errors import (
    AppointmentNotChangeable,
    AppointmentNotFound,
    SlotNotFound,
    SlotTaken,
)
from bot.backoffice.models import Appointment, AppointmentStatus, Provider, Slot
from bot.backoffice.schemas import (
    PART_OF_DAY_HOURS,
    AppointmentInfo,
    AppointmentList,
    PartOfDay,
    SlotInfo,
    SlotSearchResult,
    Visit,
)

DEFAULT_WINDOW = timedelta(days=14)
# How far ahead a patient may look for a slot; the schedule is never published further out,
# and a window outside it would only make the dialogue promise nothing.
SEARCH_HORIZON = timedelta(days=366)
DEFAULT_DURATION_MINUTES = 30


def _info(appt: Appointment, provider: Provider, slot: Slot | None) -> AppointmentInfo:
    return AppointmentInfo(
        id=appt.id,
        provider_id=provider.id,
        provider_name=provider.name,
        specialty=provider.specialty,
        location=provider.location,
        starts_at=local(appt.starts_at),
        duration_minutes=slot.duration_minutes if slot else DEFAULT_DURATION_MINUTES,
        status=appt.status,
    )


def _appointment_info(session: Session, appt: Appointment) -> AppointmentInfo:
    provider = session.get(Provider, appt.provider_id)
    assert provider is not None  # foreign key
    slot = session.get(Slot, appt.slot_id) if appt.slot_id is not None else None
    return _info(appt, provider, slot)


def upcoming_appointments(session: Session, patient_id: int, now: datetime) -> AppointmentList:
    """Booked appointments still ahead, soonest first."""
    require_patient(session, patient_id)
    rows = session.execute(
        select(Appointment, Provider, Slot)
        .join(Provider, Provider.id == Appointment.provider_id)
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.status == AppointmentStatus.booked,
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return AppointmentList(appointments=[_info(a, p, s) for a, p, s in rows])


def visits_between(session: Session, start: datetime, end: datetime,
                   status: AppointmentStatus) -> list[Visit]:
    """Every patient's appointments in (start, end] with that status, soonest first."""
    rows = session.execute(
        select(Appointment, Provider, Slot)
        .join(Provider, Provider.id == Appointment.provider_id)
        .outerjoin(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.status == status, Appointment.starts_at > start,
               Appointment.starts_at <= end)
        .order_by(Appointment.starts_at, Appointment.id)
    ).all()
    return [Visit(patient_id=a.patient_id, appointment=_info(a, p, s), booked_at=a.booked_at)
            for a, p, s in rows]


def get_appointment(session: Session, patient_id: int, appointment_id: int) -> AppointmentInfo:
    """The patient's appointment as it stands, whatever its status."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.patient_id != patient_id:
        raise AppointmentNotFound()
    return _appointment_info(session, appt)


def confirm_appointment(session: Session, patient_id: int, appointment_id: int,
                        now: datetime) -> AppointmentInfo:
    """The patient said they will come."""
    appt = _changeable(session, patient_id, appointment_id, now)
    appt.confirmed_at = now
    session.commit()
    return _appointment_info(session, appt)


def _changeable(session: Session, patient_id: int, appointment_id: int,
                now: datetime) -> Appointment:
    """The patient's own booked, future appointment; another patient's is simply not found."""
    require_patient(session, patient_id)
    appt = session.get(Appointment, appointment_id)
    if appt is None or appt.patient_id != patient_id:
        raise AppointmentNotFound()
    if appt.status != AppointmentStatus.booked or appt.starts_at <= now:
        raise AppointmentNotChangeable()
    return appt


def _in_part_of_day(moment: datetime, part: PartOfDay | None) -> bool:
    if part is None:
        return True
    first, last = PART_OF_DAY_HOURS[part]
    return first <= local(moment).hour < last


def _open_slots(session: Session, provider_id: int, start: datetime, end: datetime,
                part: PartOfDay | None, limit: int) -> list[SlotInfo]:
    held = (
        select(Appointment.id)
        .where(Appointment.slot_id == Slot.id, Appointment.status == AppointmentStatus.booked)
        .exists()
    )
    rows = session.execute(
        select(Slot, Provider)
        .join(Provider, Provider.id == Slot.provider_id)
        .where(Slot.provider_id == provider_id, Slot.starts_at >= start, Slot.starts_at < end,
               ~held)
        .order_by(Slot.starts_at)
    ).all()
    found = []
    for slot, provider in rows:
        if _in_part_of_day(slot.starts_at, part):
            found.append(SlotInfo(id=slot.id, provider_id=provider.id,
                                  provider_name=provider.name, starts_at=local(slot.starts_at),
                                  duration_minutes=slot.duration_minutes))
            if len(found) == limit:
                break
    return found


def search_windows(
    now: datetime,
    *,
    start: datetime | None,
    end: datetime | None,
    part_of_day: PartOfDay | None,
    widen_window: timedelta = DEFAULT_WINDOW,
) -> list[tuple[bool, datetime, datetime, PartOfDay | None]]:
    """Where to look for open times, in order, each window once: the one asked for (kept
    within the search horizon), then the same part of day over `widen_window`, then any
    time. The first value says whether a window is wider than what was asked (the dialogue
    tells the patient). Every adapter searches the same way."""
    horizon = now + SEARCH_HORIZON
    window_start = min(max(start or now, now), horizon)
    window_end = min(max(end or now + widen_window, window_start), horizon)
    tries: list[tuple[datetime, datetime, PartOfDay | None]] = [
        (window_start, window_end, part_of_day)
    ]
    if part_of_day is not None:
        tries.append((now, now + widen_window, part_of_day))
    tries.append((now, now + widen_window, None))
    windows: list[tuple[bool, datetime, datetime, PartOfDay | None]] = []
    for number, window in enumerate(tries):
        if window not in tries[:number]:
            windows.append((number > 0, *window))
    return windows


def first_found(
    now: datetime,
    find: Callable[[datetime, datetime, PartOfDay | None], list[SlotInfo]],
    *,
    start: datetime | None,
    end: datetime | None,
    part_of_day: PartOfDay | None,
    widen_window: timedelta = DEFAULT_WINDOW,
) -> SlotSearchResult:
    """The first of `search_windows` where `find` has open times, or the last one, empty."""
    result: SlotSearchResult | None = None
    for widened, lo, hi, part in search_windows(now, start=start, end=end,
                                                part_of_day=part_of_day,
                                                widen_window=widen_window):
        slots = find(lo, hi, part) if hi > lo else []
        result = SlotSearchResult(slots=slots, widened=widened, window_start=local(lo),
                                  window_end=local(hi), part_of_day=part)
        if slots:
            break
    assert result is not None
    return result


def find_open_slots(
    session: Session,
    patient_id: int,
    appointment_id: int,
    now: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    part_of_day: PartOfDay | None = None,
    limit: int = 3,
    widen_window: timedelta = DEFAULT_WINDOW,
) -> SlotSearchResult:
    """Free future slots with the same provider, earliest first, at most `limit`.

    When nothing matches, the search widens (same part of day over the next two weeks, then
    any time over the next two weeks) and says so, so the dialogue can tell the patient.
    """
    appt = _changeable(session, patient_id, appointment_id, now)
    return first_found(
        now, lambda lo, hi, part: _open_slots(session, appt.provider_id, lo, hi, part, limit),
        start=start, end=end, part_of_day=part_of_day, widen_window=widen_window)


def reschedule_appointment(
    session: Session, patient_id: int, appointment_id: int, slot_id: int, now: datetime
) -> AppointmentInfo:
    """Moves the appointment to the slot in one transaction: the new slot is held and the old
    one freed at the same commit. If someone else got the slot first: `SlotTaken`."""
    appt = _changeable(session, patient_id, appointment_id, now)
    slot = session.get(Slot, slot_id)
    if slot is None or slot.provider_id != appt.provider_id:
        raise SlotNotFound()
    if slot.id == appt.slot_id:
        return _appointment_info(session, appt)
    if slot.starts_at <= now:
        raise SlotTaken("that time has already passed")
    holder = session.scalar(
        select(Appointment.id).where(
            Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.booked
        )
    )
    if holder is not None:
        raise SlotTaken()
    appt.slot_id = slot.id
    appt.starts_at = slot.starts_at
    # Booked for this time now: reminders whose offset is already past are skipped.
    appt.booked_at = now
    try:
        session.commit()
    except IntegrityError:  # lost the race: uq_appointments_booked_slot
        session.rollback()
        raise SlotTaken() from None
    return _appointment_info(session, appt)


def cancel_appointment(
    session: Session, patient_id: int, appointment_id: int, now: datetime
) -> AppointmentInfo:
    """Cancels the patient's own future booking; the slot is open again for anyone."""
    appt = _changeable(session, patient_id, appointment_id, now)
    appt.status = AppointmentStatus.cancelled
    session.commit()
    return _appointment_info(session, appt)
