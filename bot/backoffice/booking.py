"""Booking a new visit: which services patients can book, open times for one, and the booking.

The rules a scheduler enforces, the same for every adapter (`check_rules`):
- a visit type has two lengths: longer for a patient new to the provider (no completed or
  booked visit with them), shorter for an established one; a slot fits a visit when it is at
  least that long;
- a service may have age and sex limits (`NotEligible`);
- a specialty may see patients only with a referral on file (`ReferralRequired`), unless
  they are already established with one of its providers;
- a patient is never booked twice at the same time (`DoubleBooked`), and a slot holds one
  booked visit (`SlotTaken`, enforced by `uq_appointments_booked_slot`).

Specialties, visit types and referral rules are the health system's scheduling set-up and
live in our tables whichever adapter serves the slots and appointments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice.common import local, require_patient
from bot.backoffice.errors import (
    DoubleBooked,
    NotEligible,
    ReferralRequired,
    ServiceNotFound,
    SlotNotFound,
    SlotTaken,
)
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    Provider,
    Referral,
    Slot,
    Specialty,
    VisitType,
)
from bot.backoffice.scheduling import (
    DEFAULT_DURATION_MINUTES,
    _appointment_info,
    _in_part_of_day,
    first_found,
)
from bot.backoffice.schemas import (
    BookedVisit,
    NewVisitSearch,
    PartOfDay,
    ProviderInfo,
    ServiceInfo,
    ServiceList,
    SlotInfo,
    VisitTypeInfo,
)

# What counts as having been seen by a provider.
ESTABLISHING = (AppointmentStatus.completed, AppointmentStatus.booked)


# --- the set-up (shared by the adapters) -----------------------------------------------------


def visit_type_info(row: VisitType) -> VisitTypeInfo:
    return VisitTypeInfo(code=row.code, name=row.name, name_es=row.name_es,
                         specialty=row.specialty, new_patient_minutes=row.new_patient_minutes,
                         established_minutes=row.established_minutes, min_age=row.min_age,
                         max_age=row.max_age, sex=row.sex, is_default=row.is_default)


def specialty_rules(session: Session) -> dict[str, tuple[bool, list[VisitTypeInfo]]]:
    """Each bookable specialty: whether it needs a referral, and its visit types (default
    first)."""
    rules: dict[str, tuple[bool, list[VisitTypeInfo]]] = {}
    for spec in session.scalars(select(Specialty).order_by(Specialty.name)):
        types = session.scalars(select(VisitType).where(VisitType.specialty == spec.name)
                                .order_by(VisitType.is_default.desc(), VisitType.code))
        rules[spec.name] = (spec.referral_required, [visit_type_info(t) for t in types])
    return rules


def pick_visit_type(types: list[VisitTypeInfo], code: str | None) -> VisitTypeInfo:
    """The visit type asked for (it must belong to the specialty), else the default."""
    if code:
        found = next((t for t in types if t.code == code), None)
        if found is None:
            raise ServiceNotFound("no such visit type for this specialty")
        return found
    if not types:
        raise ServiceNotFound("this specialty has no visit types to book")
    return types[0]


def has_referral(session: Session, patient_id: int, specialty: str, today: date) -> bool:
    return session.scalar(select(Referral.id).where(
        Referral.patient_id == patient_id, Referral.specialty == specialty,
        Referral.valid_until >= today).limit(1)) is not None


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_rules(visit_type: VisitTypeInfo, *, referral_required: bool, referral_ok: bool,
                age: int | None, sex: str | None) -> None:
    """Raises why this patient cannot book this visit; nothing when they can. An unknown age
    or sex never passes a limit on it (a person checks)."""
    if visit_type.sex is not None and sex != visit_type.sex:
        raise NotEligible(f"{visit_type.name} is for {visit_type.sex} patients")
    if visit_type.min_age is not None and (age is None or age < visit_type.min_age):
        raise NotEligible(f"{visit_type.name} is for patients {visit_type.min_age} and over")
    if visit_type.max_age is not None and (age is None or age > visit_type.max_age):
        raise NotEligible(f"{visit_type.name} is for patients up to {visit_type.max_age}")
    if referral_required and not referral_ok:
        raise ReferralRequired(f"{visit_type.specialty} needs a referral first")


def visit_minutes(visit_type: VisitTypeInfo, new_patient: bool) -> int:
    return visit_type.new_patient_minutes if new_patient else visit_type.established_minutes


def overlaps(start: datetime, minutes: int,
             busy: Iterable[tuple[datetime, int]]) -> bool:
    end = start + timedelta(minutes=minutes)
    return any(b_start < end and start < b_start + timedelta(minutes=b_minutes)
               for b_start, b_minutes in busy)


# --- the reference adapter's verbs -----------------------------------------------------------


def services(session: Session) -> ServiceList:
    providers = session.scalars(select(Provider).order_by(Provider.id)).all()
    return ServiceList(services=[
        ServiceInfo(specialty=name, referral_required=referral,
                    providers=[ProviderInfo(id=p.id, name=p.name, specialty=p.specialty,
                                            location=p.location)
                               for p in providers if p.specialty == name],
                    visit_types=types)
        for name, (referral, types) in specialty_rules(session).items()])


def _seen_by(session: Session, patient_id: int) -> set[int]:
    """The providers this patient is established with."""
    return set(session.scalars(select(Appointment.provider_id).where(
        Appointment.patient_id == patient_id, Appointment.status.in_(ESTABLISHING))))


def _busy(session: Session, patient_id: int, now: datetime) -> list[tuple[datetime, int]]:
    """The patient's booked visits still ahead, as (start, minutes)."""
    rows = session.execute(
        select(Appointment, Slot).outerjoin(Slot, Slot.id == Appointment.slot_id)
        .where(Appointment.patient_id == patient_id,
               Appointment.status == AppointmentStatus.booked,
               Appointment.starts_at > now - timedelta(hours=4))).all()
    return [(a.starts_at, a.duration_minutes or (s.duration_minutes if s is not None
                                                 else DEFAULT_DURATION_MINUTES))
            for a, s in rows]


def _providers(session: Session, specialty: str | None,
               provider_id: int | None) -> tuple[str, list[Provider]]:
    if provider_id is not None:
        provider = session.get(Provider, provider_id)
        if provider is None:
            raise ServiceNotFound("no such provider")
        return provider.specialty, [provider]
    found = session.scalars(select(Provider).where(
        Provider.specialty == (specialty or "")).order_by(Provider.id)).all()
    if not found:
        raise ServiceNotFound("no provider of this specialty")
    return specialty or "", list(found)


def _checked(session: Session, patient_id: int, specialty: str, code: str | None,
             seen: set[int], now: datetime) -> VisitTypeInfo:
    rules = specialty_rules(session)
    if specialty not in rules:
        raise ServiceNotFound("this specialty is not booked here")
    referral_required, types = rules[specialty]
    visit_type = pick_visit_type(types, code)
    patient = require_patient(session, patient_id)
    today = local(now).date()
    established_in_specialty = session.scalar(select(Provider.id).where(
        Provider.id.in_(seen or {0}), Provider.specialty == specialty).limit(1)) is not None
    check_rules(visit_type, referral_required=referral_required,
                referral_ok=established_in_specialty or has_referral(
                    session, patient_id, specialty, today),
                age=age_on(patient.date_of_birth, today), sex=patient.sex)
    return visit_type


def find_slots_for_new_visit(
    session: Session, patient_id: int, now: datetime, *, specialty: str | None = None,
    provider_id: int | None = None, visit_type: str | None = None,
    start: datetime | None = None, end: datetime | None = None,
    part_of_day: PartOfDay | None = None, limit: int = 3,
) -> NewVisitSearch:
    """Open times for a new visit with that provider (or any of the specialty's), long
    enough for this patient's visit, never over a visit they already have; widened like a
    reschedule's search when nothing fits what was asked."""
    specialty, providers = _providers(session, specialty, provider_id)
    seen = _seen_by(session, patient_id)
    chosen = _checked(session, patient_id, specialty, visit_type, seen, now)
    minutes = {p.id: visit_minutes(chosen, p.id not in seen) for p in providers}
    names = {p.id: p.name for p in providers}
    busy = _busy(session, patient_id, now)
    held = (select(Appointment.id)
            .where(Appointment.slot_id == Slot.id, Appointment.status == AppointmentStatus.booked)
            .exists())

    def find(lo: datetime, hi: datetime, part: PartOfDay | None) -> list[SlotInfo]:
        rows = session.scalars(
            select(Slot).where(Slot.provider_id.in_(minutes), Slot.starts_at >= lo,
                               Slot.starts_at < hi, ~held)
            .order_by(Slot.starts_at, Slot.provider_id, Slot.id)).all()
        found: list[SlotInfo] = []
        for slot in rows:
            need = minutes[slot.provider_id]
            if (slot.duration_minutes == need and _in_part_of_day(slot.starts_at, part)
                    and not overlaps(slot.starts_at, need, busy)):
                found.append(SlotInfo(id=slot.id, provider_id=slot.provider_id,
                                      provider_name=names[slot.provider_id],
                                      starts_at=local(slot.starts_at), duration_minutes=need))
                if len(found) == limit:
                    break
        return found

    result = first_found(now, find, start=start, end=end, part_of_day=part_of_day)
    return NewVisitSearch(visit_type=chosen,
                          new_to_providers=[p.id for p in providers if p.id not in seen],
                          result=result)


def book_appointment(session: Session, patient_id: int, slot_id: int, visit_type: str,
                     now: datetime) -> BookedVisit:
    """Books the slot for this visit, after the same rules as the search; a retry of a
    booking already made answers it again (never two)."""
    require_patient(session, patient_id)
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound()
    provider = session.get(Provider, slot.provider_id)
    assert provider is not None  # foreign key
    seen = _seen_by(session, patient_id)
    mine = session.scalar(select(Appointment).where(
        Appointment.slot_id == slot.id, Appointment.patient_id == patient_id,
        Appointment.status == AppointmentStatus.booked))
    chosen = _checked(session, patient_id, provider.specialty, visit_type,
                      seen - {provider.id} if mine is not None else seen, now)
    if mine is not None:
        return BookedVisit(appointment=_appointment_info(session, mine), visit_type=chosen,
                           new_patient=mine.duration_minutes == chosen.new_patient_minutes)
    new_patient = provider.id not in seen
    minutes = visit_minutes(chosen, new_patient)
    if slot.duration_minutes != minutes:
        raise SlotNotFound("that time is not made for this visit's length")
    if slot.starts_at <= now:
        raise SlotTaken("that time has already passed")
    holder = session.scalar(select(Appointment.id).where(
        Appointment.slot_id == slot.id, Appointment.status == AppointmentStatus.booked))
    if holder is not None:
        raise SlotTaken()
    if overlaps(slot.starts_at, minutes, _busy(session, patient_id, now)):
        raise DoubleBooked()
    appt = Appointment(patient_id=patient_id, provider_id=provider.id, slot_id=slot.id,
                       starts_at=slot.starts_at, status=AppointmentStatus.booked,
                       reason=chosen.name, booked_at=now, visit_type=chosen.code,
                       duration_minutes=minutes)
    session.add(appt)
    try:
        session.commit()
    except IntegrityError:  # lost the race: uq_appointments_booked_slot
        session.rollback()
        raise SlotTaken() from None
    return BookedVisit(appointment=_appointment_info(session, appt), visit_type=chosen,
                       new_patient=new_patient)



