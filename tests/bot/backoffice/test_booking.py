"""Booking a new visit on the reference adapter (SQLite and PostgreSQL): the rules a
scheduler enforces, and the booking itself."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import booking, errors, scheduling
from bot.backoffice.enums import AppointmentStatus
from bot.backoffice.models import Appointment, Provider, Slot
from bot.clock import clinic_today, clinic_tz
from bot.demo.seed import SLOT_TIMES


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_tz())


def weekdays_ahead() -> list[date]:
    today = clinic_today()
    return [today + timedelta(days=n) for n in range(1, 15)
            if (today + timedelta(days=n)).weekday() < 5]


def provider(session: Session, name: str) -> Provider:
    return session.scalars(select(Provider).where(Provider.name == name)).one()


def test_services_list_specialties_providers_visit_types_and_rules(seeded: Session) -> None:
    services = {s.specialty: s for s in booking.services(seeded).services}
    assert set(services) == {"primary care", "cardiology", "dermatology", "orthopedics",
                             "pediatrics"}
    assert [s for s, info in services.items() if info.referral_required] == ["cardiology"]
    assert [p.name for p in services["dermatology"].providers] == ["Dr. Elena Ruiz"]
    primary = services["primary care"]
    assert [p.name for p in primary.providers] == ["Dr. Priya Shah"]
    assert [t.code for t in primary.visit_types] == [
        "office_visit", "annual_physical", "sick_visit", "well_woman"]  # the default first
    office = primary.visit_types[0]
    assert (office.new_patient_minutes, office.established_minutes) == (60, 30)
    well_woman = primary.visit_types[3]
    assert (well_woman.sex, well_woman.min_age) == ("female", 21)


def test_a_new_patient_gets_the_longer_visit_in_the_hour_long_slots(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    # Aisha's only visit with Dr. Shah was a no-show: she is new to her.
    shah = provider(seeded, "Dr. Priya Shah")
    found = booking.find_slots_for_new_visit(seeded, ids["Khan"], now, provider_id=shah.id)
    assert found.visit_type.code == "office_visit" and found.new_to_providers == [shah.id]
    assert [(s.starts_at, s.duration_minutes, s.provider_name) for s in found.result.slots] == [
        (at(day, 11, 30), 60, "Dr. Priya Shah") for day in weekdays_ahead()[:3]]


def test_an_established_patient_gets_the_shorter_visit_never_over_her_own(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    shah = provider(seeded, "Dr. Priya Shah")
    found = booking.find_slots_for_new_visit(seeded, ids["Lopez"], now,
                                             specialty="primary care", limit=30)
    assert found.new_to_providers == []
    assert {s.duration_minutes for s in found.result.slots} == {30}
    expected = [at(d, t.hour, t.minute) for d in weekdays_ahead() for t in SLOT_TIMES]
    mine = at(clinic_today() + timedelta(days=3), 10, 30)
    assert [s.starts_at for s in found.result.slots] == [t for t in expected if t != mine][:30]
    assert all(s.provider_id == shah.id for s in found.result.slots)


def test_no_time_over_a_visit_the_patient_already_has(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    # Maria sees Dr. Shah in 3 days at 10:30; Dr. Ruiz's 10:30 that day is not offered her,
    # and booking it directly is refused.
    day = clinic_today() + timedelta(days=3)
    ruiz = provider(seeded, "Dr. Elena Ruiz")
    found = booking.find_slots_for_new_visit(
        seeded, ids["Lopez"], now, specialty="dermatology", visit_type="dermatology_visit",
        start=at(day, 0), end=at(day + timedelta(days=1), 0), limit=10)
    assert day.weekday() >= 5 or [s.starts_at for s in found.result.slots] == [at(day, 11, 30)]
    clash = seeded.scalars(select(Slot).where(Slot.provider_id == ruiz.id,
                                              Slot.starts_at == at(day, 10, 30))).one_or_none()
    if clash is None:  # the visit falls on a weekend day when the test runs: make one
        clash = Slot(provider_id=ruiz.id, starts_at=at(day, 10, 30), duration_minutes=60)
        seeded.add(clash)
        seeded.commit()
    else:
        clash.duration_minutes = 60  # an hour-long slot, as her first dermatology visit needs
        seeded.commit()
    with pytest.raises(errors.DoubleBooked):
        booking.book_appointment(seeded, ids["Lopez"], clash.id, "dermatology_visit", now)


def test_referrals_age_and_sex_limits(seeded: Session, ids: dict[str, int],
                                      now: datetime) -> None:
    with pytest.raises(errors.ReferralRequired):  # Maria: no referral to cardiology
        booking.find_slots_for_new_visit(seeded, ids["Lopez"], now, specialty="cardiology")
    # Aisha's referral is on file; James is established with Dr. Kim.
    aisha = booking.find_slots_for_new_visit(seeded, ids["Khan"], now, specialty="cardiology")
    james = booking.find_slots_for_new_visit(seeded, ids["Carter"], now, specialty="cardiology")
    assert {s.duration_minutes for s in aisha.result.slots} == {60}
    assert {s.duration_minutes for s in james.result.slots} == {30} and not james.new_to_providers
    with pytest.raises(errors.NotEligible):  # pediatrics: 17 and under
        booking.find_slots_for_new_visit(seeded, ids["Lopez"], now, specialty="pediatrics")
    with pytest.raises(errors.NotEligible):  # well-woman: female patients
        booking.find_slots_for_new_visit(seeded, ids["Carter"], now, specialty="primary care",
                                         visit_type="well_woman")
    assert booking.find_slots_for_new_visit(seeded, ids["Lopez"], now, specialty="primary care",
                                            visit_type="well_woman").result.slots
    with pytest.raises(errors.ServiceNotFound):
        booking.find_slots_for_new_visit(seeded, ids["Lopez"], now, specialty="astrology")
    with pytest.raises(errors.ServiceNotFound):  # a visit type of another specialty
        booking.find_slots_for_new_visit(seeded, ids["Lopez"], now, specialty="dermatology",
                                         visit_type="well_woman")


def test_book_a_new_visit_then_it_is_upcoming_and_seen_by_outreach(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    found = booking.find_slots_for_new_visit(seeded, ids["Khan"], now, specialty="dermatology")
    slot = found.result.slots[0]
    booked = booking.book_appointment(seeded, ids["Khan"], slot.id, "dermatology_visit", now)
    assert booked.new_patient and booked.visit_type.code == "dermatology_visit"
    appt = booked.appointment
    assert (appt.provider_name, appt.specialty, appt.starts_at, appt.duration_minutes,
            appt.status) == ("Dr. Elena Ruiz", "dermatology", slot.starts_at, 60,
                             AppointmentStatus.booked)
    assert scheduling.upcoming_appointments(seeded, ids["Khan"], now).appointments == [appt]
    [visit] = [v for v in scheduling.visits_between(seeded, now, now + timedelta(days=20),
                                                    AppointmentStatus.booked)
               if v.appointment.id == appt.id]
    assert visit.patient_id == ids["Khan"] and visit.booked_at == now
    # A retry answers the same booking; someone else gets SlotTaken; the time is gone.
    again = booking.book_appointment(seeded, ids["Khan"], slot.id, "dermatology_visit", now)
    assert again.appointment == appt
    with pytest.raises(errors.SlotTaken):
        booking.book_appointment(seeded, ids["Carter"], slot.id, "dermatology_visit", now)
    later = booking.find_slots_for_new_visit(seeded, ids["Carter"], now,
                                             specialty="dermatology")
    assert slot.id not in [s.id for s in later.result.slots]
    # Now established with Dr. Ruiz: a second visit is the shorter one.
    second = booking.find_slots_for_new_visit(seeded, ids["Khan"], now,
                                              specialty="dermatology")
    assert second.new_to_providers == [] and {
        s.duration_minutes for s in second.result.slots} == {30}


def test_a_slot_of_the_wrong_length_or_in_the_past_is_not_booked(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    ruiz = provider(seeded, "Dr. Elena Ruiz")
    short = seeded.scalars(select(Slot).where(Slot.provider_id == ruiz.id,
                                              Slot.duration_minutes == 30)
                           .order_by(Slot.starts_at)).first()
    assert short is not None
    with pytest.raises(errors.SlotNotFound):  # Aisha is new to Dr. Ruiz: an hour is needed
        booking.book_appointment(seeded, ids["Khan"], short.id, "dermatology_visit", now)
    long = seeded.scalars(select(Slot).where(Slot.provider_id == ruiz.id,
                                             Slot.duration_minutes == 60)
                          .order_by(Slot.starts_at)).first()
    assert long is not None
    with pytest.raises(errors.SlotTaken):  # that time has passed
        booking.book_appointment(seeded, ids["Khan"], long.id, "dermatology_visit",
                                 long.starts_at + timedelta(minutes=1))
    with pytest.raises(errors.SlotNotFound):
        booking.book_appointment(seeded, ids["Khan"], 999_999, "dermatology_visit", now)


def test_two_patients_racing_for_one_slot_only_one_wins(
        seeded: Session, ids: dict[str, int], now: datetime) -> None:
    from bot.db import get_sessionmaker

    found = booking.find_slots_for_new_visit(seeded, ids["Khan"], now, specialty="orthopedics")
    slot_id = found.result.slots[0].id
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(patient_id: int) -> None:
        with get_sessionmaker()() as session:
            barrier.wait()
            try:
                booking.book_appointment(session, patient_id, slot_id, "orthopedic_visit", now)
                outcomes.append("booked")
            except errors.SlotTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=attempt, args=(ids[name],))
               for name in ("Khan", "Carter")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "taken"]
    held = seeded.scalars(select(Appointment).where(
        Appointment.slot_id == slot_id, Appointment.status == AppointmentStatus.booked)).all()
    assert len(held) == 1
