"""The FHIR adapter against the real server: what only it can meet (someone else changing a
record between our read and our write), and the wiring: the back-office routes the action
server calls and the desk's context card read the EHR when a domain is on fhir."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice import errors
from bot.backoffice.fhir.adapter import FhirBackOffice
from bot.backoffice.fhir.client import VersionConflict, client_from_settings
from bot.backoffice.models import FhirLink, Patient
from bot.clock import clinic_today
from bot.handoff.service import patient_summary
from bot.outreach.enums import OutreachKind, OutreachStatus
from bot.outreach.models import OutreachMessage
from bot.outreach.service import confirm
from bot.settings import get_settings
from tests.bot.backoffice.conftest import AUTH, load_demo
from tests.bot.outreach.helpers import run, texts_to


@pytest.fixture
def fhir(seeded: Session, fhir_universe: dict[str, str], monkeypatch: pytest.MonkeyPatch
         ) -> FhirBackOffice:
    from bot.settings import get_settings

    for domain in ("IDENTITY", "SCHEDULING", "PHARMACY", "INSURANCE", "CONSENT"):
        monkeypatch.setenv(f"BACKOFFICE_{domain}", "fhir")
    get_settings.cache_clear()
    load_demo(seeded, fhir_universe)
    return FhirBackOffice(client_from_settings(get_settings()), get_settings())


def maria(session: Session) -> Patient:
    found = session.scalar(select(Patient).where(Patient.first_name == "Maria"))
    assert found is not None
    return found


def fhir_id(session: Session, link_id: int) -> str:
    link = session.get(FhirLink, link_id)
    assert link is not None
    return link.fhir_id


def test_a_stale_version_is_refused_and_nothing_is_overwritten(
        fhir: FhirBackOffice, seeded: Session, now: datetime) -> None:
    appt = fhir.upcoming_appointments(seeded, maria(seeded).id, now).appointments[0]
    body = fhir.client.read("Appointment", fhir_id(seeded, appt.id))
    version = body["meta"]["versionId"]
    fhir.client.update({**body, "comment": "changed at the front desk"}, version)
    with pytest.raises(VersionConflict):
        fhir.client.update({**body, "status": "cancelled"}, version)
    assert fhir.client.read("Appointment", body["id"])["status"] == "booked"


def test_a_slot_someone_else_took_is_slot_taken_and_the_appointment_stays(
        fhir: FhirBackOffice, seeded: Session, now: datetime) -> None:
    patient_id = maria(seeded).id
    appt = fhir.upcoming_appointments(seeded, patient_id, now).appointments[0]
    slot = fhir.find_open_slots(seeded, patient_id, appt.id, now).slots[0]
    # Another scheduler books that slot in the EHR after we offered it.
    body = fhir.client.read("Slot", fhir_id(seeded, slot.id))
    fhir.client.update({**body, "status": "busy"}, body["meta"]["versionId"])
    with pytest.raises(errors.SlotTaken):
        fhir.reschedule_appointment(seeded, patient_id, appt.id, slot.id, now)
    after = fhir.upcoming_appointments(seeded, patient_id, now).appointments
    assert [a.starts_at for a in after] == [appt.starts_at]


def test_routes_and_desk_context_card_read_the_ehr(
        fhir: FhirBackOffice, seeded: Session, now: datetime, client) -> None:  # type: ignore[no-untyped-def]

    patient_id = maria(seeded).id
    listed = client.get(f"/api/backoffice/patients/{patient_id}/appointments", headers=AUTH)
    assert listed.status_code == 200
    appt_id = listed.json()["appointments"][0]["id"]
    slots = client.get(f"/api/backoffice/patients/{patient_id}/appointments/{appt_id}"
                       "/open-slots", headers=AUTH).json()["slots"]
    moved = client.post(f"/api/backoffice/patients/{patient_id}/appointments/{appt_id}"
                        "/reschedule", json={"slot_id": slots[1]["id"]}, headers=AUTH)
    assert moved.status_code == 200 and moved.json()["starts_at"] == slots[1]["starts_at"]
    # The move is in the EHR only: the reference tables still hold the old time.
    body = fhir.client.read("Appointment", fhir_id(seeded, appt_id))
    assert body["slot"] == [{"reference": f"Slot/{fhir_id(seeded, slots[1]['id'])}"}]

    refill = client.post(f"/api/backoffice/patients/{patient_id}/refill-requests",
                         json={"prescription_id": client.get(
                             f"/api/backoffice/patients/{patient_id}/prescriptions",
                             headers=AUTH).json()["prescriptions"][1]["id"]}, headers=AUTH)
    assert refill.status_code == 201 and refill.json()["medication"] == "Lisinopril"

    seeded.expire_all()
    summary = patient_summary(seeded, patient_id, now, clinic_today())
    assert summary is not None
    assert [a.starts_at.isoformat() for a in summary.upcoming_appointments] == [
        slots[1]["starts_at"]]
    assert [r.reference for r in summary.open_requests] == [refill.json()["reference"]]
    # Billing stays on the reference adapter.
    assert client.get(f"/api/backoffice/patients/{patient_id}/balance",
                      headers=AUTH).json()["amount_cents"] == 12540


def test_billing_on_fhir_hands_over_instead_of_failing(
        fhir: FhirBackOffice, seeded: Session, monkeypatch: pytest.MonkeyPatch,
        client) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import get_settings

    monkeypatch.setenv("BACKOFFICE_BILLING", "fhir")
    get_settings.cache_clear()
    patient_id = maria(seeded).id
    answer = client.get(f"/api/backoffice/patients/{patient_id}/statement", headers=AUTH)
    assert answer.status_code == 503
    assert answer.json()["detail"]["code"] == "not_supported"
    insurance = client.get(f"/api/backoffice/patients/{patient_id}/insurance", headers=AUTH)
    assert insurance.status_code == 200
    assert insurance.json()["policies"][0]["payer"] == "Blue Harbor Health"
    assert insurance.json()["claims"] == []
    # The generic profile reads no balance: said as "cannot", and the desk's card says the
    # balance is not available instead of $0.00.
    balance = client.get(f"/api/backoffice/patients/{patient_id}/balance", headers=AUTH)
    assert (balance.status_code, balance.json()["detail"]["code"]) == (503, "not_supported")
    summary = patient_summary(seeded, patient_id, datetime.now(UTC), clinic_today())
    assert summary is not None
    assert (summary.balance_cents, summary.payment_plan) == (None, None)


def test_reminders_are_planned_sent_and_confirmed_from_the_ehr(
        fhir: FhirBackOffice, seeded: Session) -> None:
    """Outreach reads the EHR's appointments through the port: the reminder's subject is the
    EHR's appointment, its words come from the EHR, and "1" confirms it there."""
    settings = get_settings()
    patient = maria(seeded)
    [visit] = fhir.upcoming_appointments(seeded, patient.id, datetime.now(UTC)).appointments
    starts = visit.starts_at
    # Consent is the EHR's too: its Consent says yes to care texts, whatever our row says.
    patient.sms_consent = False
    seeded.commit()
    sessions = sessionmaker(bind=seeded.get_bind())
    result = run(sessions, starts - timedelta(hours=72) + timedelta(minutes=1), settings)
    assert result.planned.by_kind.get("appointment_reminder", 0) >= 1
    row = seeded.scalar(select(OutreachMessage).where(
        OutreachMessage.patient_id == patient.id,
        OutreachMessage.kind == OutreachKind.appointment_reminder,
        OutreachMessage.offset_label == "72h"))
    assert row is not None and row.status is OutreachStatus.sent
    assert fhir_id(seeded, row.subject_id) == fhir_id(seeded, visit.id)
    [text] = texts_to(sessions, patient.phone)
    assert text.startswith("Riverside Health: reminder of your appointment on ")
    assert text.endswith(" with Dr. Priya Shah at Riverside Primary Care, 100 Main St, Suite 2."
                         "\n\n1. Confirm\n2. Reschedule\n3. Cancel it\nReply 1, 2, or 3.")

    seeded.expire_all()
    confirmed = confirm(seeded, row.id, patient.phone, starts - timedelta(hours=70))
    assert confirmed.status == "confirmed"
    body = fhir.client.read("Appointment", fhir_id(seeded, visit.id))
    [mine] = [p for p in body["participant"]
              if p["actor"]["reference"].startswith("Patient/")]
    assert mine["status"] == "accepted"
