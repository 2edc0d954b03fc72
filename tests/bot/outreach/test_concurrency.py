"""Exactly once: two workers on one due batch, and a worker killed after claiming (before and
after its SMS went out). Every message is sent once and none is lost, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice.models import Appointment, Patient, Provider, Slot
from bot.outreach.enums import OutreachStatus
from bot.outreach.planning import plan
from bot.outreach.sending import SendResult, claim, prepare, sms_key
from bot.settings import Settings
from channels.models import SmsMessage
from channels.sms_sender import OutboxSender
from tests.bot.outreach.conftest import NY, TODAY, at
from tests.bot.outreach.helpers import rows, run

NOW = at(TODAY, 10, 45)
PATIENTS = 40


def many_reminders(session: Session) -> None:
    """PATIENTS synthetic patients, each with an appointment whose 72 h reminder is due."""
    provider = Provider(name="Dr. Test Many", specialty="primary care", location="Test Clinic")
    session.add(provider)
    session.flush()
    for n in range(PATIENTS):
        patient = Patient(mrn=f"MRNC{n:05d}", first_name="Test", last_name=f"Many{n}",
                          date_of_birth=date(1980, 1, 1), phone=f"+1555560{n:04d}",
                          zip_code="02139", sms_consent=True)
        session.add(patient)
        starts = NOW + timedelta(hours=72, minutes=-(n + 1))
        slot = Slot(provider_id=provider.id, starts_at=starts)
        session.add(slot)
        session.flush()
        session.add(Appointment(patient_id=patient.id, provider_id=provider.id, slot_id=slot.id,
                                starts_at=starts))
    session.commit()


def sms_per_key(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(SmsMessage.idempotency_key, func.count())
                                    .group_by(SmsMessage.idempotency_key)).all())


def test_two_workers_on_the_same_batch_send_each_message_once(
        db: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    many_reminders(db)
    plan(db, NOW, settings)
    small = settings.model_copy(update={"outreach_batch_size": 7})
    results: dict[str, object] = {}

    def worker(name: str) -> None:
        results[name] = run(sessions, NOW, small, worker=name)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    due = [r for r in rows(sessions) if r.offset_label == "72h"]
    assert len(due) == PATIENTS
    assert all(r.status is OutreachStatus.sent for r in due)
    counts = sms_per_key(sessions)
    assert sorted(counts) == sorted(sms_key(r.id) for r in due)
    assert set(counts.values()) == {1}
    sent = [results[f"w{i}"].sent.sent for i in range(2)]  # type: ignore[attr-defined]
    assert sum(sent) == PATIENTS


def test_a_worker_killed_after_claiming_loses_nothing(
        db: Session, settings: Settings, sessions: sessionmaker[Session]) -> None:
    many_reminders(db)
    plan(db, NOW, settings)
    with sessions() as session:
        token, ids = claim(session, NOW, "doomed", settings, limit=10)
    assert len(ids) == 10
    # The doomed worker got as far as sending two of them before it died.
    sender = OutboxSender(sessions, "+15555550100")
    for message_id in ids[:2]:
        with sessions() as session:
            out = prepare(session, message_id, token, NOW, settings, SendResult())
        assert out is not None
        asyncio.run(sender.send(out.phone, out.body, sms_key(message_id)))
    # Another worker at once: the other 30 go; the claimed ten wait for the lease.
    first = run(sessions, NOW, settings, worker="survivor")
    assert first.sent.sent == PATIENTS - 10
    # After the lease ran out, the survivor takes them over: eight sent now, two found sent.
    later = NOW + timedelta(seconds=settings.outreach_lease_seconds + 1)
    second = run(sessions, later, settings, worker="survivor")
    assert second.sent.claimed == 10
    due = [r for r in rows(sessions) if r.offset_label == "72h"]
    assert all(r.status is OutreachStatus.sent for r in due)
    counts = sms_per_key(sessions)
    assert len(counts) == PATIENTS and set(counts.values()) == {1}


def test_no_time_zone_on_file_means_the_clinics(db: Session, settings: Settings) -> None:
    assert settings.clinic_timezone == str(NY)
