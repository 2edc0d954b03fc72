"""One contract for the back-office port, run against every adapter: the reference tables
(on SQLite and PostgreSQL) and the FHIR R4 adapter against a real FHIR server (sekmet-fhir)
holding the same demo patients. Same verbs, same answers; only our ids may differ."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import errors
from bot.backoffice.enums import AppointmentStatus, RefillStatus
from bot.backoffice.factory import build_backoffice
from bot.backoffice.models import Patient
from bot.backoffice.port import BackOffice, Domain, Source
from bot.backoffice.schemas import VerificationRequest
from tests.bot.backoffice.conftest import load_demo

DOMAINS = ("IDENTITY", "SCHEDULING", "PHARMACY", "INSURANCE", "CONSENT")


@pytest.fixture(params=["reference", "fhir", "fhir-oracle"])
def office(request: pytest.FixtureRequest, seeded: Session,
           monkeypatch: pytest.MonkeyPatch) -> BackOffice:
    """fhir-oracle: the Oracle Health profile (a move is a new booking POSTed with one slot,
    then the old one PATCHed to cancelled with If-Match) on the same server."""
    from bot.settings import get_settings

    if request.param.startswith("fhir"):
        universe = request.getfixturevalue("fhir_universe")
        for domain in DOMAINS:
            monkeypatch.setenv(f"BACKOFFICE_{domain}", "fhir")
        monkeypatch.setenv("FHIR_PROFILE", request.param.removeprefix("fhir").lstrip("-")
                           or "generic")
        get_settings.cache_clear()
        load_demo(seeded, universe)
    office = build_backoffice(get_settings())
    expected = Source.fhir if request.param.startswith("fhir") else Source.reference
    assert office.sources[Domain.scheduling] is expected
    assert office.sources[Domain.billing] is Source.reference
    return office


def patient(session: Session, first_name: str) -> Patient:
    found = session.scalar(select(Patient).where(Patient.first_name == first_name))
    assert found is not None
    return found


def without_ids(model: Any) -> Any:
    """An answer with our own ids taken out: the only thing allowed to differ."""
    drop = {"id", "provider_id", "prescription_id", "reference"}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in drop}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(model.model_dump(mode="json"))


def test_identity_matches_one_patient_by_phone_or_name_and_zip(
        office: BackOffice, seeded: Session) -> None:
    maria = patient(seeded, "Maria")
    by_phone = office.identity.find_candidate(seeded, VerificationRequest(
        conversation_id="c1", channel="sms", date_of_birth="1984-03-12",
        phone="(555) 555-0101"))
    by_name = office.identity.find_candidate(seeded, VerificationRequest(
        conversation_id="c1", channel="web", date_of_birth="1984-03-12",
        full_name="  maria LOPEZ ", zip_code="02139-1234"))
    assert by_phone is not None and by_name is not None
    assert (by_phone.id, by_name.id, by_phone.date_of_birth.isoformat()) == (
        maria.id, maria.id, "1984-03-12")
    for wrong in (dict(channel="sms", phone="+15555550199"),
                  dict(channel="web", full_name="Maria Lopez", zip_code="10001"),
                  dict(channel="web", full_name="Maria Carter", zip_code="02139")):
        assert office.identity.find_candidate(seeded, VerificationRequest(
            conversation_id="c1", date_of_birth="1984-03-12", **wrong)) is None


def test_upcoming_appointments_are_the_same(office: BackOffice, seeded: Session,
                                            now: datetime) -> None:
    maria, aisha = patient(seeded, "Maria"), patient(seeded, "Aisha")
    answer = office.scheduling.upcoming_appointments(seeded, maria.id, now)
    assert without_ids(answer) == {"appointments": [{
        "provider_name": "Dr. Priya Shah", "specialty": "primary care",
        "location": "Riverside Primary Care, 100 Main St, Suite 2",
        "starts_at": answer.appointments[0].starts_at.isoformat(),
        "duration_minutes": 30, "status": "booked"}]}
    assert (answer.appointments[0].starts_at.hour, answer.appointments[0].starts_at.minute) == (
        10, 30)
    # Aisha's only appointment was yesterday (a no-show): nothing ahead.
    assert office.scheduling.upcoming_appointments(seeded, aisha.id, now).appointments == []


def test_reschedule_then_cancel(office: BackOffice, seeded: Session, now: datetime) -> None:
    maria, james = patient(seeded, "Maria"), patient(seeded, "James")
    appt = office.scheduling.upcoming_appointments(seeded, maria.id, now).appointments[0]
    found = office.scheduling.find_open_slots(seeded, maria.id, appt.id, now,
                                              part_of_day="afternoon", limit=3)
    assert len(found.slots) == 3 and not found.widened
    assert all(s.starts_at.hour >= 12 and s.provider_name == "Dr. Priya Shah"
               for s in found.slots)
    assert appt.starts_at not in [s.starts_at for s in found.slots]
    # Someone else's appointment is not found; another provider's slot is not offered.
    james_appt = office.scheduling.upcoming_appointments(seeded, james.id, now).appointments[0]
    with pytest.raises(errors.AppointmentNotFound):
        office.scheduling.find_open_slots(seeded, maria.id, james_appt.id, now)
    james_slot = office.scheduling.find_open_slots(seeded, james.id, james_appt.id,
                                                   now).slots[0]
    with pytest.raises(errors.SlotNotFound):
        office.scheduling.reschedule_appointment(seeded, maria.id, appt.id, james_slot.id, now)

    target = found.slots[0]
    moved = office.scheduling.reschedule_appointment(seeded, maria.id, appt.id, target.id, now)
    assert (moved.id, moved.starts_at, moved.status) == (appt.id, target.starts_at,
                                                         AppointmentStatus.booked)
    again = office.scheduling.reschedule_appointment(seeded, maria.id, appt.id, target.id, now)
    assert again.starts_at == target.starts_at  # a retry changes nothing
    after = office.scheduling.upcoming_appointments(seeded, maria.id, now).appointments
    assert [a.starts_at for a in after] == [target.starts_at]
    open_now = office.scheduling.find_open_slots(seeded, maria.id, appt.id, now,
                                                 part_of_day="afternoon", limit=10)
    assert target.starts_at not in [s.starts_at for s in open_now.slots]
    # The old time is free again.
    mornings = office.scheduling.find_open_slots(
        seeded, maria.id, appt.id, now, start=appt.starts_at,
        end=appt.starts_at.replace(hour=11), limit=10)
    assert appt.starts_at in [s.starts_at for s in mornings.slots]

    cancelled = office.scheduling.cancel_appointment(seeded, maria.id, appt.id, now)
    assert (cancelled.status, cancelled.starts_at) == (AppointmentStatus.cancelled,
                                                       target.starts_at)
    assert office.scheduling.upcoming_appointments(seeded, maria.id, now).appointments == []
    with pytest.raises(errors.AppointmentNotChangeable):
        office.scheduling.cancel_appointment(seeded, maria.id, appt.id, now)


def test_prescriptions_and_refill_requests(office: BackOffice, seeded: Session,
                                           now: datetime) -> None:
    maria = patient(seeded, "Maria")
    listed = office.pharmacy.active_prescriptions(seeded, maria.id, now)
    assert without_ids(listed) == {"prescriptions": [
        {"medication": "Atorvastatin", "strength": "20 mg", "purpose": "cholesterol",
         "refills_left": 0, "pharmacy_name": "Main Street Pharmacy",
         "pharmacy_address": "12 Main St, Cambridge, MA", "pharmacy_phone": "(555) 555-0140",
         "open_request": None},
        {"medication": "Lisinopril", "strength": "10 mg", "purpose": "blood pressure",
         "refills_left": 2, "pharmacy_name": "Main Street Pharmacy",
         "pharmacy_address": "12 Main St, Cambridge, MA", "pharmacy_phone": "(555) 555-0140",
         "open_request": None}]}
    atorvastatin, lisinopril = listed.prescriptions

    refill = office.pharmacy.request_refill(seeded, maria.id, lisinopril.id, now)
    assert (refill.status, refill.refills_left, refill.already_open, refill.medication) == (
        RefillStatus.submitted, 1, False, "Lisinopril")
    assert refill.reference.startswith("RX-")
    repeat = office.pharmacy.request_refill(seeded, maria.id, lisinopril.id, now)
    assert (repeat.reference, repeat.already_open, repeat.refills_left) == (
        refill.reference, True, 1)
    renewal = office.pharmacy.request_refill(seeded, maria.id, atorvastatin.id, now)
    assert (renewal.status, renewal.refills_left) == (RefillStatus.renewal_requested, 0)

    after = office.pharmacy.active_prescriptions(seeded, maria.id, now).prescriptions
    assert [(p.medication, p.refills_left, p.open_request and p.open_request.reference)
            for p in after] == [("Atorvastatin", 0, renewal.reference),
                                ("Lisinopril", 1, refill.reference)]
    status = office.pharmacy.refill_status(seeded, maria.id, now)
    assert sorted((r.medication, r.status) for r in status.requests) == [
        ("Atorvastatin", RefillStatus.renewal_requested), ("Lisinopril", RefillStatus.submitted)]
    james = patient(seeded, "James")
    with pytest.raises(errors.PrescriptionNotFound):
        office.pharmacy.request_refill(seeded, james.id, lisinopril.id, now)


def test_insurance_and_preferences(office: BackOffice, seeded: Session) -> None:
    maria, aisha = patient(seeded, "Maria"), patient(seeded, "Aisha")
    assert [p.model_dump() for p in office.insurance.policies(seeded, maria.id)] == [{
        "payer": "Blue Harbor Health", "member_id_masked": "********3375",
        "group_number": "GRP-20417", "plan_name": "Blue Harbor PPO Silver",
        "is_primary": True}]
    assert office.consent.preferences(seeded, maria.id).model_dump() == {
        "patient_id": maria.id, "language": "en", "sms_care": True, "sms_billing": False}
    assert office.consent.preferences(seeded, aisha.id).model_dump() == {
        "patient_id": aisha.id, "language": "en", "sms_care": False, "sms_billing": False}
    rosa = patient(seeded, "Rosa")  # the record says Spanish (FHIR: Patient.communication)
    assert office.consent.preferences(seeded, rosa.id).model_dump() == {
        "patient_id": rosa.id, "language": "es", "sms_care": True, "sms_billing": False}
