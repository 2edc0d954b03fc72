import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import errors, scheduling
from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Provider, Slot
from bot.clock import clinic_today, clinic_tz
from bot.demo.seed import SLOT_TIMES


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clinic_tz())


def maria_appointment(session: Session, patient_id: int) -> Appointment:
    return session.scalars(select(Appointment).where(Appointment.patient_id == patient_id)).one()


def shah_open_times(exclude: set[datetime]) -> list[datetime]:
    """What the seed offers for Dr. Shah: weekdays of the next 14 days at SLOT_TIMES."""
    today = clinic_today()
    times = []
    for offset in range(1, 15):
        day = today + timedelta(days=offset)
        if day.weekday() < 5:
            times += [datetime.combine(day, t, tzinfo=clinic_tz()) for t in SLOT_TIMES]
    return [t for t in times if t not in exclude]


def next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def test_upcoming_appointments(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    today = clinic_today()
    [maria] = scheduling.upcoming_appointments(seeded, ids["Lopez"], now).appointments
    assert (maria.provider_name, maria.specialty, maria.location, maria.duration_minutes,
            maria.status) == ("Dr. Priya Shah", "primary care",
                              "Riverside Primary Care, 100 Main St, Suite 2", 30,
                              AppointmentStatus.booked)
    assert maria.starts_at == at(today + timedelta(days=3), 10, 30)
    assert maria.starts_at.utcoffset() == at(today + timedelta(days=3), 10, 30).utcoffset()
    [james] = scheduling.upcoming_appointments(seeded, ids["Carter"], now).appointments
    assert (james.provider_name, james.specialty, james.starts_at) == (
        "Dr. Alan Kim", "cardiology", at(today + timedelta(days=7), 14))
    assert scheduling.upcoming_appointments(seeded, ids["Khan"], now).appointments == []
    with pytest.raises(errors.PatientNotFound):
        scheduling.upcoming_appointments(seeded, 999_999, now)


def test_open_slots_earliest_first_without_her_own(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    result = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now)
    mine = at(clinic_today() + timedelta(days=3), 10, 30)
    assert [s.starts_at for s in result.slots] == shah_open_times({mine})[:3]
    assert {s.provider_name for s in result.slots} == {"Dr. Priya Shah"}
    assert result.widened is False and result.part_of_day is None
    assert result.window_end - result.window_start == timedelta(days=14)


def test_open_slots_in_a_part_of_the_day(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    tuesday = next_weekday(clinic_today(), 1)
    result = scheduling.find_open_slots(
        seeded, ids["Lopez"], appt.id, now, start=at(tuesday, 0),
        end=at(tuesday + timedelta(days=1), 0), part_of_day="afternoon")
    assert [s.starts_at for s in result.slots] == [
        at(tuesday, 13, 30), at(tuesday, 14), at(tuesday, 15)]
    assert result.widened is False and result.part_of_day == "afternoon"
    mornings = scheduling.find_open_slots(
        seeded, ids["Lopez"], appt.id, now, start=at(tuesday, 0),
        end=at(tuesday + timedelta(days=1), 0), part_of_day="morning", limit=10)
    assert [s.starts_at.hour for s in mornings.slots] == [9, 9, 10, 11]


def test_no_match_widens_and_says_so(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    mine = at(clinic_today() + timedelta(days=3), 10, 30)
    # No evening hours at all: widened to any time in the next 14 days.
    evening = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now,
                                         part_of_day="evening")
    assert evening.widened is True and evening.part_of_day is None
    assert [s.starts_at for s in evening.slots] == shah_open_times({mine})[:3]
    # A Saturday afternoon: other afternoons first.
    saturday = next_weekday(clinic_today(), 5)
    weekend = scheduling.find_open_slots(
        seeded, ids["Lopez"], appt.id, now, start=at(saturday, 0),
        end=at(saturday + timedelta(days=1), 0), part_of_day="afternoon")
    assert weekend.widened is True and weekend.part_of_day == "afternoon"
    assert [s.starts_at for s in weekend.slots] == [
        t for t in shah_open_times({mine}) if 12 <= t.hour < 17][:3]


def test_open_slots_skip_held_and_past_slots(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    first = seeded.scalars(select(Slot).where(Slot.provider_id == appt.provider_id,
                                              Slot.starts_at > now).order_by(Slot.starts_at)
                           ).first()
    assert first is not None
    seeded.add(Appointment(patient_id=ids["Carter"], provider_id=appt.provider_id,
                           slot_id=first.id, starts_at=first.starts_at))
    seeded.commit()
    result = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now,
                                        start=now - timedelta(days=3), limit=10)
    assert first.id not in [s.id for s in result.slots]
    assert all(s.starts_at > now for s in result.slots)
    assert result.window_start == now  # never before now


@pytest.mark.parametrize("start,end", [
    (None, datetime(1, 1, 1, tzinfo=UTC)),
    (datetime(9999, 12, 31, 23, 59, tzinfo=UTC), None),
    (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)),
])
def test_open_slots_window_is_kept_between_now_and_the_horizon(
    seeded: Session, ids: dict[str, int], now: datetime, start: datetime | None,
    end: datetime | None,
) -> None:
    """Found by the API fuzzer: a window at the ends of the calendar overflowed the clinic's
    time zone. It is clamped to [now, now + horizon]; an empty window widens as usual."""
    appt = maria_appointment(seeded, ids["Lopez"])
    result = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now, start=start,
                                        end=end)
    assert now <= result.window_start <= result.window_end <= now + scheduling.SEARCH_HORIZON
    assert len(result.slots) == 3


def test_open_slots_for_someone_elses_appointment(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    james = maria_appointment(seeded, ids["Carter"])
    with pytest.raises(errors.AppointmentNotFound):
        scheduling.find_open_slots(seeded, ids["Lopez"], james.id, now)
    missed = maria_appointment(seeded, ids["Khan"])
    with pytest.raises(errors.AppointmentNotChangeable):
        scheduling.find_open_slots(seeded, ids["Khan"], missed.id, now)


def test_reschedule_takes_the_new_slot_and_frees_the_old(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    old_slot = appt.slot_id
    target = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now).slots[1]
    moved = scheduling.reschedule_appointment(seeded, ids["Lopez"], appt.id, target.id, now)
    assert (moved.id, moved.starts_at, moved.status) == (
        appt.id, target.starts_at, AppointmentStatus.booked)
    seeded.expire_all()
    booked = seeded.scalars(select(Appointment.slot_id).where(
        Appointment.status == AppointmentStatus.booked)).all()
    assert target.id in booked and old_slot not in booked
    # Every open slot of the two weeks: how many come before the old one depends on the
    # weekday the test runs on.
    again = scheduling.find_open_slots(seeded, ids["Lopez"], appt.id, now, limit=1000)
    assert old_slot in [s.id for s in again.slots]
    # The same slot again is a no-op, not a conflict.
    same = scheduling.reschedule_appointment(seeded, ids["Lopez"], appt.id, target.id, now)
    assert same.starts_at == target.starts_at


def test_reschedule_refusals(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    maria = maria_appointment(seeded, ids["Lopez"])
    james = maria_appointment(seeded, ids["Carter"])
    missed = maria_appointment(seeded, ids["Khan"])
    free = scheduling.find_open_slots(seeded, ids["Lopez"], maria.id, now).slots[0]
    kim_slot = seeded.scalars(select(Slot).where(Slot.provider_id == james.provider_id)).first()
    assert kim_slot is not None
    # Another patient's appointment does not exist for Maria.
    with pytest.raises(errors.AppointmentNotFound):
        scheduling.reschedule_appointment(seeded, ids["Lopez"], james.id, kim_slot.id, now)
    with pytest.raises(errors.SlotNotFound):
        scheduling.reschedule_appointment(seeded, ids["Lopez"], maria.id, kim_slot.id, now)
    with pytest.raises(errors.SlotNotFound):
        scheduling.reschedule_appointment(seeded, ids["Lopez"], maria.id, 999_999, now)
    with pytest.raises(errors.AppointmentNotChangeable):
        scheduling.reschedule_appointment(seeded, ids["Khan"], missed.id, free.id, now)
    # The no-show's slot was yesterday: past slots cannot be taken.
    assert missed.slot_id is not None
    with pytest.raises(errors.SlotTaken):
        scheduling.reschedule_appointment(seeded, ids["Lopez"], maria.id, missed.slot_id, now)
    # A slot someone else holds.
    seeded.add(Appointment(patient_id=ids["Carter"], provider_id=maria.provider_id,
                           slot_id=free.id, starts_at=free.starts_at))
    seeded.commit()
    with pytest.raises(errors.SlotTaken):
        scheduling.reschedule_appointment(seeded, ids["Lopez"], maria.id, free.id, now)
    seeded.expire_all()
    assert maria_appointment(seeded, ids["Lopez"]).starts_at == at(
        clinic_today() + timedelta(days=3), 10, 30)


def test_cancel_frees_the_slot(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    appt = maria_appointment(seeded, ids["Lopez"])
    james = maria_appointment(seeded, ids["Carter"])
    with pytest.raises(errors.AppointmentNotFound):
        scheduling.cancel_appointment(seeded, ids["Lopez"], james.id, now)
    cancelled = scheduling.cancel_appointment(seeded, ids["Lopez"], appt.id, now)
    assert (cancelled.id, cancelled.status) == (appt.id, AppointmentStatus.cancelled)
    assert scheduling.upcoming_appointments(seeded, ids["Lopez"], now).appointments == []
    held = seeded.scalars(select(Appointment).where(
        Appointment.slot_id == appt.slot_id, Appointment.status == AppointmentStatus.booked)).all()
    assert held == []
    with pytest.raises(errors.AppointmentNotChangeable):
        scheduling.cancel_appointment(seeded, ids["Lopez"], appt.id, now)
    missed = maria_appointment(seeded, ids["Khan"])
    with pytest.raises(errors.AppointmentNotChangeable):
        scheduling.cancel_appointment(seeded, ids["Khan"], missed.id, now)
    # James keeps his.
    assert len(scheduling.upcoming_appointments(seeded, ids["Carter"], now).appointments) == 1


def test_only_one_of_many_racing_patients_gets_the_slot(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    """8 patients, 8 threads and sessions, one slot, all at once: exactly one wins."""
    from bot.db import get_sessionmaker

    racers = 8
    shah = seeded.scalars(select(Provider).where(Provider.name == "Dr. Priya Shah")).one()
    free = seeded.scalars(
        select(Slot).where(Slot.provider_id == shah.id, Slot.starts_at > now,
                           ~select(Appointment.id).where(Appointment.slot_id == Slot.id).exists())
        .order_by(Slot.starts_at)
    ).all()
    target, own_slots = free[0], free[1:racers + 1]
    appointments: list[tuple[int, int]] = []
    for number, slot in enumerate(own_slots):
        patient = Patient(mrn=f"MRN9{number:05d}", first_name="Racer", last_name=f"Test{number}",
                          date_of_birth=date(1990, 1, 1), phone=f"+1555555099{number}",
                          zip_code="02139")
        seeded.add(patient)
        seeded.flush()
        appt = Appointment(patient_id=patient.id, provider_id=shah.id, slot_id=slot.id,
                           starts_at=slot.starts_at)
        seeded.add(appt)
        seeded.flush()
        appointments.append((patient.id, appt.id))
    seeded.commit()

    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(patient_id: int, appointment_id: int) -> None:
        with get_sessionmaker()() as session:
            barrier.wait()
            try:
                scheduling.reschedule_appointment(session, patient_id, appointment_id,
                                                  target.id, now)
                outcome = "won"
            except errors.SlotTaken:
                outcome = "taken"
            except Exception as exc:  # anything else is a failure of the test
                outcome = f"error: {exc!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race, args=pair) for pair in appointments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["taken"] * (racers - 1) + ["won"]
    seeded.expire_all()
    holders = seeded.scalars(select(Appointment).where(
        Appointment.slot_id == target.id, Appointment.status == AppointmentStatus.booked)).all()
    assert len(holders) == 1
    own_slot = {appt_id: slot.id for (_, appt_id), slot in zip(appointments, own_slots,
                                                                strict=True)}
    for appt_id, slot_id in own_slot.items():
        if appt_id != holders[0].id:  # the losers keep the time they had
            assert seeded.get(Appointment, appt_id).slot_id == slot_id  # type: ignore[union-attr]


# --- where open times are looked for (every adapter) ---------------------------------------

NOW = datetime(2030, 1, 7, 15, 0, tzinfo=UTC)
TWO_WEEKS = NOW + scheduling.DEFAULT_WINDOW


def test_the_window_asked_for_then_the_part_of_day_then_any_time_each_once() -> None:
    asked = (NOW + timedelta(days=1), NOW + timedelta(days=2))
    assert scheduling.search_windows(NOW, start=asked[0], end=asked[1],
                                     part_of_day="afternoon") == [
        (False, *asked, "afternoon"),
        (True, NOW, TWO_WEEKS, "afternoon"),
        (True, NOW, TWO_WEEKS, None)]
    # Nothing asked: the first window is already "any time", so it is searched once.
    assert scheduling.search_windows(NOW, start=None, end=None, part_of_day=None) == [
        (False, NOW, TWO_WEEKS, None)]


def test_a_window_asked_for_is_kept_between_now_and_the_horizon() -> None:
    horizon = NOW + scheduling.SEARCH_HORIZON
    past, far = NOW - timedelta(days=3), NOW + timedelta(days=900)
    assert scheduling.search_windows(NOW, start=past, end=far, part_of_day=None)[0] == (
        False, NOW, horizon, None)
    assert scheduling.search_windows(NOW, start=far, end=None, part_of_day=None)[0] == (
        False, horizon, horizon, None)
