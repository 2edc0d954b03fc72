"""Booking a new visit on the FHIR adapter, against the real server: the same rules as the
reference adapter, with the slots and the appointment in the EHR."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice import errors
from bot.backoffice.enums import AppointmentStatus
from bot.backoffice.fhir.adapter import FhirBackOffice
from bot.backoffice.fhir.client import client_from_settings
from bot.backoffice.models import FhirLink, Patient
from tests.bot.backoffice.conftest import load_demo


@pytest.fixture
def fhir(seeded: Session, fhir_universe: dict[str, str], monkeypatch: pytest.MonkeyPatch
         ) -> FhirBackOffice:
    from bot.settings import get_settings

    for domain in ("IDENTITY", "SCHEDULING", "PHARMACY", "INSURANCE", "CONSENT"):
        monkeypatch.setenv(f"BACKOFFICE_{domain}", "fhir")
    get_settings.cache_clear()
    load_demo(seeded, fhir_universe)
    return FhirBackOffice(client_from_settings(get_settings()), get_settings())


def patient_id(session: Session, first_name: str) -> int:
    found = session.scalar(select(Patient.id).where(Patient.first_name == first_name))
    assert found is not None
    return found


def fhir_id(session: Session, link_id: int) -> str:
    link = session.get(FhirLink, link_id)
    assert link is not None
    return link.fhir_id


def practitioner_link(fhir: FhirBackOffice, session: Session, universe: dict[str, str],
                      name: str) -> int:
    """Our number for this test's practitioner (the server holds other tests' too)."""
    from bot.backoffice.models import Provider

    provider = session.scalar(select(Provider.id).where(Provider.name == name))
    return fhir._link(session, "Practitioner", f"{universe['FHIR_TEST_PREFIX']}-prac-{provider}")


def test_services_come_from_the_ehrs_schedules_with_our_rules(
        fhir: FhirBackOffice, seeded: Session) -> None:
    services = {s.specialty: s for s in fhir.bookable_services(seeded).services}
    assert set(services) == {"primary care", "cardiology", "dermatology", "orthopedics",
                             "pediatrics"}
    assert services["cardiology"].referral_required
    # (The server is shared with other tests, each with its own copy of the practitioners.)
    assert {p.name for p in services["dermatology"].providers} == {"Dr. Elena Ruiz"}
    assert all(p.location.startswith("Riverside Dermatology")
               for p in services["dermatology"].providers)


def test_the_rules_new_patient_length_referral_and_limits(
        fhir: FhirBackOffice, seeded: Session, now: datetime,
        fhir_universe: dict[str, str]) -> None:
    aisha, maria, james = (patient_id(seeded, n) for n in ("Aisha", "Maria", "James"))
    shah = practitioner_link(fhir, seeded, fhir_universe, "Dr. Priya Shah")
    new = fhir.find_slots_for_new_visit(seeded, aisha, now, specialty="primary care")
    assert shah in new.new_to_providers
    assert [(s.starts_at.hour, s.starts_at.minute, s.duration_minutes)
            for s in new.result.slots] == [(11, 30, 60)] * 3
    known = fhir.find_slots_for_new_visit(seeded, maria, now, specialty="primary care")
    assert shah not in known.new_to_providers
    assert [(s.provider_id, s.duration_minutes) for s in known.result.slots] == [(shah, 30)] * 3
    with pytest.raises(errors.ReferralRequired):
        fhir.find_slots_for_new_visit(seeded, maria, now, specialty="cardiology")
    assert fhir.find_slots_for_new_visit(seeded, james, now,
                                         specialty="cardiology").result.slots
    with pytest.raises(errors.NotEligible):
        fhir.find_slots_for_new_visit(seeded, maria, now, specialty="pediatrics")
    with pytest.raises(errors.NotEligible):
        fhir.find_slots_for_new_visit(seeded, james, now, specialty="primary care",
                                      visit_type="well_woman")


def test_book_holds_the_slot_creates_the_appointment_once_and_outreach_sees_it(
        fhir: FhirBackOffice, seeded: Session, now: datetime) -> None:
    aisha, james = patient_id(seeded, "Aisha"), patient_id(seeded, "James")
    slot = fhir.find_slots_for_new_visit(seeded, aisha, now,
                                         specialty="dermatology").result.slots[0]
    booked = fhir.book_appointment(seeded, aisha, slot.id, "dermatology_visit", now)
    appt = booked.appointment
    assert booked.new_patient and (appt.provider_name, appt.specialty, appt.starts_at,
                                   appt.duration_minutes, appt.status) == (
        "Dr. Elena Ruiz", "dermatology", slot.starts_at, 60, AppointmentStatus.booked)
    assert fhir.client.read("Slot", fhir_id(seeded, slot.id))["status"] == "busy"
    assert [a.id for a in fhir.upcoming_appointments(seeded, aisha, now).appointments] == [
        appt.id]
    # A retry answers the same booking (our identifier), and makes no second one.
    again = fhir.book_appointment(seeded, aisha, slot.id, "dermatology_visit", now)
    assert again.appointment.id == appt.id
    assert len(fhir.upcoming_appointments(seeded, aisha, now).appointments) == 1
    with pytest.raises(errors.SlotTaken):
        fhir.book_appointment(seeded, james, slot.id, "dermatology_visit", now)
    visits = fhir.visits_between(seeded, now, now + timedelta(days=20),
                                 AppointmentStatus.booked)
    assert [v.patient_id for v in visits if v.appointment.id == appt.id] == [aisha]


def test_no_double_booking_over_a_visit_in_the_ehr(
        fhir: FhirBackOffice, seeded: Session, now: datetime) -> None:
    maria = patient_id(seeded, "Maria")
    [mine] = fhir.upcoming_appointments(seeded, maria, now).appointments
    day = mine.starts_at.date()
    found = fhir.find_slots_for_new_visit(
        seeded, maria, now, specialty="orthopedics",
        start=mine.starts_at - timedelta(hours=mine.starts_at.hour),
        end=mine.starts_at + timedelta(days=1), limit=10)
    assert all(not (s.starts_at <= mine.starts_at < s.starts_at + timedelta(minutes=60))
               for s in found.result.slots if s.starts_at.date() == day)
