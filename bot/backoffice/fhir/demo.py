"""The demo back office (DESIGN.md) as a FHIR R4 transaction Bundle of US Core resources.

Written from the reference tables after the seed, so both adapters hold the same patients,
appointments, slots, prescriptions, coverage and consent, with the same dates relative to
today. Every resource gets a client-assigned id under `prefix` (a PUT, so loading twice
changes nothing); tests give each run its own prefix and MRN system.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.consent import refusal
from bot.backoffice.enums import AppointmentStatus, Purpose
from bot.backoffice.fhir.adapter import CONSENT_SYSTEM
from bot.backoffice.models import (
    Appointment,
    InsurancePolicy,
    Patient,
    Pharmacy,
    Prescription,
    Provider,
    Slot,
)

COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
STATUS = {AppointmentStatus.booked: "booked", AppointmentStatus.cancelled: "cancelled",
          AppointmentStatus.no_show: "noshow", AppointmentStatus.completed: "fulfilled"}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _ref(resource_type: str, rid: str, display: str | None = None) -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{rid}"}
    return {**ref, "display": display} if display else ref


def demo_bundle(session: Session, mrn_system: str, prefix: str = "demo") -> dict[str, Any]:
    entries: list[dict[str, Any]] = []

    def put(resource: dict[str, Any]) -> None:
        url = f"{resource['resourceType']}/{resource['id']}"
        entries.append({"fullUrl": url, "resource": resource,
                        "request": {"method": "PUT", "url": url}})

    def rid(kind: str, key: object) -> str:
        return f"{prefix}-{kind}-{key}"

    for prov in session.scalars(select(Provider).order_by(Provider.id)):
        words = prov.name.replace("Dr. ", "").split()
        put({"resourceType": "Practitioner", "id": rid("prac", prov.id),
             "name": [{"text": prov.name, "prefix": ["Dr."] if prov.name.startswith("Dr.")
                       else [], "given": words[:-1], "family": words[-1]}]})
        name, _, line = prov.location.partition(", ")
        put({"resourceType": "Location", "id": rid("loc", prov.id), "name": name,
             "address": {"line": [line]} if line else {}})
        put({"resourceType": "Schedule", "id": rid("sched", prov.id), "active": True,
             "actor": [_ref("Practitioner", rid("prac", prov.id)),
                       _ref("Location", rid("loc", prov.id))],
             "specialty": [{"text": prov.specialty}]})

    held = {a.slot_id for a in session.scalars(select(Appointment).where(
        Appointment.status == AppointmentStatus.booked)) if a.slot_id is not None}
    for slot in session.scalars(select(Slot).order_by(Slot.id)):
        put({"resourceType": "Slot", "id": rid("slot", slot.id),
             "schedule": _ref("Schedule", rid("sched", slot.provider_id)),
             "status": "busy" if slot.id in held else "free",
             "start": _instant(slot.starts_at),
             "end": _instant(slot.starts_at + timedelta(minutes=slot.duration_minutes))})

    for patient in session.scalars(select(Patient).order_by(Patient.id)):
        language = patient.preferred_language
        put({"resourceType": "Patient", "id": rid("pat", patient.id),
             "identifier": [{"system": mrn_system, "value": patient.mrn}],
             "name": [{"use": "official", "family": patient.last_name,
                       "given": [patient.first_name]}],
             "birthDate": patient.date_of_birth.isoformat(),
             "telecom": [{"system": "phone", "value": patient.phone, "use": "mobile"}],
             "address": [{"postalCode": patient.zip_code}],
             "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47",
                                                         "code": language}]},
                                "preferred": True}]})
        for purpose in (Purpose.care, Purpose.billing):
            if refusal(session, patient, purpose) is None:
                put({"resourceType": "Consent", "id": rid(f"consent-{purpose.value}", patient.id),
                     "status": "active",
                     "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                           "consentscope", "code": "patient-privacy"}]},
                     "category": [{"coding": [{"system": CONSENT_SYSTEM,
                                               "code": f"sms-{purpose.value}"}]}],
                     "patient": _ref("Patient", rid("pat", patient.id)),
                     "policyRule": {"coding": [{
                         "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                         "code": "OPTIN"}]},
                     "provision": {"type": "permit"}})

    for appt in session.scalars(select(Appointment).order_by(Appointment.id)):
        doctor = session.get(Provider, appt.provider_id)
        assert doctor is not None
        held_slot = session.get(Slot, appt.slot_id) if appt.slot_id is not None else None
        minutes = held_slot.duration_minutes if held_slot is not None else 30
        put({"resourceType": "Appointment", "id": rid("appt", appt.id),
             "status": STATUS.get(appt.status, "booked"),
             "start": _instant(appt.starts_at),
             "end": _instant(appt.starts_at + timedelta(minutes=minutes)),
             "specialty": [{"text": doctor.specialty}],
             **({"slot": [_ref("Slot", rid("slot", held_slot.id))]} if held_slot is not None
                else {}),
             "participant": [
                 {"actor": _ref("Patient", rid("pat", appt.patient_id)), "status": "accepted"},
                 {"actor": _ref("Practitioner", rid("prac", doctor.id), doctor.name),
                  "status": "accepted"},
                 {"actor": _ref("Location", rid("loc", doctor.id)), "status": "accepted"}]})

    for pharmacy in session.scalars(select(Pharmacy).order_by(Pharmacy.id)):
        street, city, state = ([*pharmacy.address.split(", "), "", ""])[:3]
        put({"resourceType": "Organization", "id": rid("pharm", pharmacy.id),
             "name": pharmacy.name, "telecom": [{"system": "phone", "value": pharmacy.phone}],
             "address": [{"line": [street], "city": city, "state": state}]})

    for rx in session.scalars(select(Prescription).where(Prescription.active.is_(True))
                              .order_by(Prescription.id)):
        concept = {"coding": [{"display": rx.medication}],
                   "text": f"{rx.medication} {rx.strength}".strip()}
        # One fill already dispensed, so refills left = repeats allowed - dispenses.
        put({"resourceType": "MedicationRequest", "id": rid("rx", rx.id), "status": "active",
             "intent": "order", "medicationCodeableConcept": concept,
             "subject": _ref("Patient", rid("pat", rx.patient_id)),
             "requester": _ref("Practitioner", rid("prac", rx.prescriber_id)),
             **({"reasonCode": [{"text": rx.purpose}]} if rx.purpose else {}),
             "dispenseRequest": {"numberOfRepeatsAllowed": rx.refills_left + 1,
                                 "performer": _ref("Organization",
                                                   rid("pharm", rx.pharmacy_id))}})
        put({"resourceType": "MedicationDispense", "id": rid("disp", rx.id),
             "status": "completed", "medicationCodeableConcept": concept,
             "subject": _ref("Patient", rid("pat", rx.patient_id)),
             "authorizingPrescription": [_ref("MedicationRequest", rid("rx", rx.id))]})

    payers: dict[str, str] = {}
    for policy in session.scalars(select(InsurancePolicy).where(
            InsurancePolicy.active.is_(True)).order_by(InsurancePolicy.id)):
        payer_id = payers.setdefault(policy.payer, rid("payer", len(payers) + 1))
        put({"resourceType": "Organization", "id": payer_id, "name": policy.payer})
        classes = []
        if policy.group_number:
            classes.append({"type": {"coding": [{"system": COVERAGE_CLASS, "code": "group"}]},
                            "value": policy.group_number})
        if policy.plan_name:
            classes.append({"type": {"coding": [{"system": COVERAGE_CLASS, "code": "plan"}]},
                            "value": policy.plan_name, "name": policy.plan_name})
        put({"resourceType": "Coverage", "id": rid("cov", policy.id), "status": "active",
             "subscriberId": policy.member_id,
             "beneficiary": _ref("Patient", rid("pat", policy.patient_id)),
             "payor": [_ref("Organization", payer_id, policy.payer)],
             **({"class": classes} if classes else {}),
             "order": 1 if policy.is_primary else 2})

    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
