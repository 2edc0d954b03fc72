from datetime import date, timedelta

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice import service
from bot.backoffice.models import Appointment, AppointmentStatus, Patient, Slot
from bot.backoffice.schemas import VerificationRequest, VerificationStatus
from bot.clock import clinic_today

MARIA_DOB = date(1984, 3, 12)


def lockouts(client: redis.Redis) -> service.LockoutStore:
    return service.LockoutStore(client, max_attempts=3, lock_seconds=900)


def sms(dob: date, phone: str = "+15555550101", conv: str = "sms:+15555550101"
        ) -> VerificationRequest:
    return VerificationRequest(conversation_id=conv, channel="sms", date_of_birth=dob, phone=phone)


def maria_id(session: Session) -> int:
    return session.scalars(select(Patient.id).where(Patient.phone == "+15555550101")).one()


def test_sms_verification_with_number_and_date_of_birth(seeded: Session, redis_client) -> None:
    result = service.verify_patient(seeded, lockouts(redis_client), sms(MARIA_DOB))
    assert result.status is VerificationStatus.verified
    assert result.patient_id == maria_id(seeded)
    assert result.first_name == "Maria"


def test_wrong_date_counts_down_then_locks(seeded: Session, redis_client) -> None:
    store = lockouts(redis_client)
    wrong = MARIA_DOB + timedelta(days=1)
    first = service.verify_patient(seeded, store, sms(wrong))
    second = service.verify_patient(seeded, store, sms(wrong))
    third = service.verify_patient(seeded, store, sms(wrong))
    assert (first.status, first.attempts_left) == (VerificationStatus.failed, 2)
    assert (second.status, second.attempts_left) == (VerificationStatus.failed, 1)
    assert third.status is VerificationStatus.locked
    assert third.retry_after_seconds == 900
    # Locked means locked: even the right answer is refused now, and nothing is disclosed.
    again = service.verify_patient(seeded, store, sms(MARIA_DOB))
    assert again.status is VerificationStatus.locked
    assert again.patient_id is None and again.first_name is None
    assert 0 < again.retry_after_seconds <= 900


def test_lock_follows_the_patient_into_another_conversation(seeded: Session, redis_client) -> None:
    store = lockouts(redis_client)
    wrong = MARIA_DOB + timedelta(days=2)
    for _ in range(3):
        service.verify_patient(seeded, store, sms(wrong))
    other = service.verify_patient(seeded, store, sms(MARIA_DOB, conv="sms:other-thread"))
    assert other.status is VerificationStatus.locked


def test_number_not_on_file_is_never_verified(seeded: Session, redis_client) -> None:
    result = service.verify_patient(
        seeded, lockouts(redis_client), sms(MARIA_DOB, phone="+15555559999", conv="sms:x")
    )
    assert result.status is VerificationStatus.failed
    assert result.patient_id is None


def test_success_resets_the_count(seeded: Session, redis_client) -> None:
    store = lockouts(redis_client)
    service.verify_patient(seeded, store, sms(MARIA_DOB - timedelta(days=1)))
    service.verify_patient(seeded, store, sms(MARIA_DOB - timedelta(days=1)))
    ok = service.verify_patient(seeded, store, sms(MARIA_DOB))
    assert ok.status is VerificationStatus.verified
    after = service.verify_patient(seeded, store, sms(MARIA_DOB - timedelta(days=1)))
    assert after.attempts_left == 2


@pytest.mark.parametrize("name", ["Maria Lopez", "  maria   LOPEZ ", "María López", "maria lopez."])
def test_web_verification_matches_names_as_typed(seeded: Session, redis_client, name: str) -> None:
    req = VerificationRequest(conversation_id="web:abc", channel="web", date_of_birth=MARIA_DOB,
                              full_name=name, zip_code="02139")
    assert service.verify_patient(seeded, lockouts(redis_client), req).status is (
        VerificationStatus.verified
    )


@pytest.mark.parametrize("name,zip_code", [("Maria Lopes", "02139"), ("Maria Lopez", "02138")])
def test_web_verification_needs_all_three_to_match(
    seeded: Session, redis_client, name: str, zip_code: str
) -> None:
    req = VerificationRequest(conversation_id="web:abc", channel="web", date_of_birth=MARIA_DOB,
                              full_name=name, zip_code=zip_code)
    assert service.verify_patient(seeded, lockouts(redis_client), req).status is (
        VerificationStatus.failed
    )


def test_balance_with_its_charges(seeded: Session) -> None:
    balance = service.get_balance(seeded, maria_id(seeded), clinic_today())
    assert balance.amount_cents == 12540
    assert [(c.description, c.patient_cents) for c in balance.charges] == [
        ("Office visit copay", 4000), ("Lab work", 8540)
    ]
    assert balance.due_date == clinic_today() + timedelta(days=16)
    assert balance.overdue is False


def test_zero_and_overdue_balances(seeded: Session) -> None:
    james = seeded.scalars(select(Patient.id).where(Patient.last_name == "Carter")).one()
    aisha = seeded.scalars(select(Patient.id).where(Patient.last_name == "Khan")).one()
    zero = service.get_balance(seeded, james, clinic_today())
    assert (zero.amount_cents, zero.charges, zero.due_date) == (0, [], None)
    overdue = service.get_balance(seeded, aisha, clinic_today())
    assert (overdue.amount_cents, overdue.overdue) == (31000, True)


def test_balance_of_unknown_patient(seeded: Session) -> None:
    with pytest.raises(service.PatientNotFound):
        service.get_balance(seeded, 999_999, clinic_today())


def test_a_slot_can_hold_only_one_booked_appointment(seeded: Session) -> None:
    booked = seeded.scalars(
        select(Appointment).where(Appointment.status == AppointmentStatus.booked)
    ).first()
    assert booked is not None
    james = seeded.scalars(select(Patient).where(Patient.last_name == "Carter")).one()
    seeded.add(Appointment(patient_id=james.id, provider_id=booked.provider_id,
                           slot_id=booked.slot_id, starts_at=booked.starts_at,
                           status=AppointmentStatus.booked))
    with pytest.raises(IntegrityError):
        seeded.commit()
    seeded.rollback()
    # A cancelled appointment does not hold the slot.
    slot = seeded.get(Slot, booked.slot_id)
    assert slot is not None
    seeded.add(Appointment(patient_id=james.id, provider_id=booked.provider_id, slot_id=slot.id,
                           starts_at=slot.starts_at, status=AppointmentStatus.cancelled))
    seeded.commit()
