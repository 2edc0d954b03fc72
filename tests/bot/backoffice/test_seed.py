from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Prescription, Slot
from bot.backoffice.seed import seed_if_stale
from bot.clock import clinic_today, clinic_tz


def test_seed_follows_the_design(seeded: Session) -> None:
    tz = clinic_tz()
    today = clinic_today()
    patients = {p.last_name: p for p in seeded.scalars(select(Patient))}
    assert set(patients) == {"Lopez", "Carter", "Khan"}
    assert patients["Khan"].sms_consent is False
    maria_appt = seeded.scalars(
        select(Appointment).where(Appointment.patient_id == patients["Lopez"].id)
    ).one()
    local = maria_appt.starts_at.astimezone(tz)
    assert (local.date(), local.hour, local.minute) == (today + timedelta(days=3), 10, 30)
    missed = seeded.scalars(
        select(Appointment).where(Appointment.patient_id == patients["Khan"].id)
    ).one()
    assert missed.status is AppointmentStatus.no_show
    assert missed.starts_at.astimezone(tz).date() == today - timedelta(days=1)
    refills = {p.medication: p.refills_left for p in seeded.scalars(select(Prescription))}
    assert refills == {"Lisinopril": 2, "Atorvastatin": 0, "Metformin": 5}
    open_slots = seeded.scalars(select(Slot.starts_at)).all()
    days = {s.astimezone(tz).date() for s in open_slots}
    assert all(d.weekday() < 5 for d in days if d != today + timedelta(days=3))
    assert max(days) <= today + timedelta(days=14)


def test_seed_runs_once_a_day(db: Session) -> None:
    today = clinic_today()
    assert seed_if_stale(db, today, clinic_tz()) is True
    assert seed_if_stale(db, today, clinic_tz()) is False
    count = db.scalar(select(func.count()).select_from(Patient))
    assert count == 3
    assert seed_if_stale(db, today + timedelta(days=1), clinic_tz()) is True
    assert db.scalar(select(func.count()).select_from(Patient)) == 3
    newest = db.scalars(select(Appointment.starts_at)).all()
    assert any(s.astimezone(clinic_tz()).date() == today + timedelta(days=4) for s in newest)
    assert isinstance(newest[0], datetime)
