"""Verification counted per conversation, per source and per patient: no oracle,
no lockout a stranger can trigger, the real time left. On SQLite and PostgreSQL (`seeded`)."""

from datetime import date

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import service
from bot.backoffice.models import Patient
from bot.backoffice.schemas import VerificationRequest, VerificationResult, VerificationStatus

JAMES_DOB = date(1975, 11, 2)
WRONG = date(1990, 1, 1)


def store(client: redis.Redis) -> service.LockoutStore:
    return service.LockoutStore(client, max_attempts=3, lock_seconds=900,
                                source_max_attempts=5, patient_max_attempts=10)


def web(name: str, zip_code: str, dob: date = WRONG, conv: str = "web:a",
        ip: str | None = "203.0.113.7") -> VerificationRequest:
    return VerificationRequest(conversation_id=conv, channel="web", date_of_birth=dob,
                               full_name=name, zip_code=zip_code, source=ip)


def james_by_sms(dob: date = JAMES_DOB) -> VerificationRequest:
    return VerificationRequest(conversation_id="sms:+15555550102", channel="sms",
                               date_of_birth=dob, phone="+15555550102")


def answers(results: list[VerificationResult]) -> list[tuple[str, int, int]]:
    return [(r.status.value, r.attempts_left, r.retry_after_seconds) for r in results]


def test_a_known_name_and_an_unknown_one_get_the_same_answers(seeded: Session,
                                                              redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    known = [service.verify_patient(seeded, lockouts, web("James Carter", "10001", ip="a"))
             for _ in range(4)]
    unknown = [service.verify_patient(seeded, lockouts, web("Nobody Known", "99999",
                                                             conv="web:b", ip="b"))
               for _ in range(4)]
    assert answers(known) == answers(unknown)
    assert answers(known)[:3] == [("failed", 2, 0), ("failed", 1, 0), ("locked", 0, 900)]
    assert known[3].status is VerificationStatus.locked and 0 < known[3].retry_after_seconds <= 900


def test_strangers_web_tries_never_lock_the_patients_own_number(
        seeded: Session, redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    # The reported case: three wrong web tries under James's name...
    for _ in range(3):
        service.verify_patient(seeded, lockouts, web("James Carter", "10001"))
    # ...and then many more from everywhere.
    for n in range(20):
        service.verify_patient(seeded, lockouts, web("James Carter", "10001", conv=f"web:{n}",
                                                     ip=f"192.0.2.{n}"))
    result = service.verify_patient(seeded, lockouts, james_by_sms())
    assert result.status is VerificationStatus.verified
    assert result.patient_id == seeded.scalars(
        select(Patient.id).where(Patient.last_name == "Carter")).one()


def test_the_record_count_pauses_web_checks_for_the_right_details_too(
        seeded: Session, redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    paused: list[Patient] = []
    for name in ("James Carter", "Nobody Known"):
        for n in range(10):
            service.verify_patient(seeded, lockouts, web(name, "10001", conv=f"web:{name}{n}",
                                                         ip=f"192.0.2.{n}"),
                                   on_record_paused=paused.append)
    james_id = seeded.scalars(select(Patient.id).where(Patient.last_name == "Carter")).one()
    assert redis_client.ttl(f"verify:lock:patient:{james_id}") > 0
    # Only the patient's record alerts the desk, once.
    assert [p.id for p in paused] == [james_id]
    right = service.verify_patient(seeded, lockouts, web("James Carter", "10001", JAMES_DOB,
                                                         conv="web:late", ip="198.51.100.1"))
    wrong = service.verify_patient(seeded, lockouts, web("James Carter", "10001",
                                                         conv="web:late2", ip="198.51.100.2"))
    nobody = service.verify_patient(seeded, lockouts, web("Nobody Known", "10001", JAMES_DOB,
                                                          conv="web:late3", ip="198.51.100.3"))
    for result in (right, wrong, nobody):
        assert result.status is VerificationStatus.record_paused
        assert result.patient_id is None and 890 < result.retry_after_seconds <= 900
    # Nobody's own tries were spent on a paused record.
    assert not redis_client.keys("verify:fails:conv:web:late*")
    assert not redis_client.keys("verify:fails:ip:198.51.100.*")
    # The patient's own number is never paused by it.
    assert service.verify_patient(seeded, lockouts, james_by_sms()).status \
        is VerificationStatus.verified


def test_one_address_is_counted_across_conversations(seeded: Session,
                                                     redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    results = [service.verify_patient(seeded, lockouts,
                                      web("Nobody Known", "99999", conv=f"web:{n}"))
               for n in range(6)]
    assert [r.status.value for r in results] == ["failed"] * 4 + ["locked"] * 2
    # The right details from that address now wait too, and from another address do not.
    paused = service.verify_patient(seeded, lockouts, web("James Carter", "10001", JAMES_DOB,
                                                          conv="web:x"))
    assert paused.status is VerificationStatus.locked and paused.patient_id is None
    elsewhere = service.verify_patient(seeded, lockouts, web("James Carter", "10001", JAMES_DOB,
                                                             conv="web:y", ip="198.51.100.9"))
    assert elsewhere.status is VerificationStatus.verified


def test_a_paused_conversation_is_told_the_real_time_left(seeded: Session,
                                                         redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    for _ in range(3):
        service.verify_patient(seeded, lockouts, web("James Carter", "10001"))
    redis_client.expire("verify:lock:conv:web:a", 240)
    again = service.verify_patient(seeded, lockouts, web("James Carter", "10001", JAMES_DOB,
                                                         ip="198.51.100.3"))
    assert again.status is VerificationStatus.locked
    assert 235 <= again.retry_after_seconds <= 240


def test_a_count_never_outlives_its_window(seeded: Session, redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    service.verify_patient(seeded, lockouts, web("James Carter", "10001"))
    keys = redis_client.keys("verify:*")
    assert sorted(str(k).split(":")[2] for k in keys) == ["conv", "ip", "patient"]
    assert all(0 < redis_client.ttl(k) <= 900 for k in keys)


def test_a_verified_patient_comes_with_the_language_on_file(seeded: Session,
                                                           redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    rosa = service.verify_patient(seeded, lockouts, VerificationRequest(
        conversation_id="sms:+15555550104", channel="sms", date_of_birth=date(1968, 9, 30),
        phone="+15555550104"))
    assert (rosa.status, rosa.first_name, rosa.preferred_language,
            rosa.preferred_language_source) == (VerificationStatus.verified, "Rosa", "es",
                                                "record")
    james = service.verify_patient(seeded, lockouts, james_by_sms())
    assert (james.preferred_language, james.preferred_language_source) == ("en", "record")
    failed = service.verify_patient(seeded, lockouts, web("Rosa Martinez", "33125"))
    assert failed.status is VerificationStatus.failed and failed.preferred_language is None


def test_a_language_chosen_in_the_conversation_becomes_the_patients_own(
        seeded: Session, redis_client: redis.Redis) -> None:
    lockouts = store(redis_client)
    chosen = james_by_sms().model_copy(update={"language_choice": "es"})
    result = service.verify_patient(seeded, lockouts, chosen)
    assert (result.preferred_language, result.preferred_language_source) == ("es", "patient")
    seeded.expire_all()
    james = seeded.scalars(select(Patient).where(Patient.last_name == "Carter")).one()
    assert (james.preferred_language, james.preferred_language_source) == ("es", "patient")
    # A wrong date of birth records nothing, whatever was chosen.
    wrong = web("Maria Lopez", "02139").model_copy(update={"language_choice": "es"})
    assert service.verify_patient(seeded, lockouts, wrong).status is VerificationStatus.failed
    maria = seeded.scalars(select(Patient).where(Patient.last_name == "Lopez")).one()
    assert (maria.preferred_language, maria.preferred_language_source) == ("en", "record")
