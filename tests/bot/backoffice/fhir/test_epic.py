"""The Epic profile with answers written from Epic's public documentation of
`Appointment.$find` (a Bundle of proposed Appointments, with an OperationOutcome entry of
warnings) and `Appointment.$book` (a Bundle with the booked Appointment)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from bot.backoffice.errors import NotSupported
from bot.backoffice.fhir.adapter import FhirBackOffice
from bot.backoffice.fhir.client import FhirClient
from bot.backoffice.models import Patient

BASE = "https://fhir.epic.example/api/FHIR/R4"
MRN_SYSTEM = "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14"
DAY = (datetime.now(UTC) + timedelta(days=3)).replace(hour=14, minute=0, second=0,
                                                       microsecond=0)


def at(hours: float) -> str:
    return (DAY + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


def proposal(pid: str, practitioner: str, start: float) -> dict[str, Any]:
    return {"resourceType": "Appointment", "id": pid, "status": "proposed",
            "start": at(start), "end": at(start + 0.5),
            "participant": [{"actor": {"reference": "Patient/eVmP"}, "status": "needs-action"},
                            {"actor": {"reference": f"Practitioner/{practitioner}"},
                             "status": "needs-action"}]}


WARNING = {"resourceType": "OperationOutcome", "issue": [
    {"severity": "warning", "code": "processing", "diagnostics": "Some slots were filtered."}]}


class Epic:
    def __init__(self, can_update: bool = True) -> None:
        self.seen: list[httpx.Request] = []
        interactions = [{"code": "read"}, {"code": "search-type"}]
        if can_update:
            interactions.append({"code": "update"})
        self.routes: dict[tuple[str, str], dict[str, Any]] = {
            ("GET", "/metadata"): {"resourceType": "CapabilityStatement", "rest": [{
                "mode": "server", "resource": [
                    {"type": "Appointment", "interaction": interactions,
                     "operation": [{"name": "find"}, {"name": "book"}]},
                    {"type": "Patient", "interaction": [{"code": "read"},
                                                        {"code": "search-type"}]}]}]},
            ("GET", "/Patient"): bundle({"resourceType": "Patient", "id": "eVmP",
                                         "identifier": [{"system": MRN_SYSTEM,
                                                         "value": "E1001"}]}),
            ("GET", "/Appointment/eOld"): {
                "resourceType": "Appointment", "id": "eOld", "meta": {"versionId": "7"},
                "status": "booked", "start": at(-4), "end": at(-3.5),
                "participant": [{"actor": {"reference": "Patient/eVmP"}},
                                {"actor": {"reference": "Practitioner/ePrac1"}},
                                {"actor": {"reference": "Location/eLoc1"}}]},
            ("POST", "/Appointment/$find"): bundle(
                proposal("eProp1", "ePrac1", 0), proposal("eProp2", "ePrac2", 0.5),
                proposal("eProp3", "ePrac1", 1), WARNING),
            ("POST", "/Appointment/$book"): bundle(
                {**proposal("eNew", "ePrac1", 1), "status": "booked",
                 "participant": [{"actor": {"reference": "Patient/eVmP"}},
                                 {"actor": {"reference": "Practitioner/ePrac1"}},
                                 {"actor": {"reference": "Location/eLoc1"}}]}, WARNING),
            ("PUT", "/Appointment/eOld"): {"resourceType": "Appointment", "id": "eOld",
                                           "status": "cancelled"},
            ("GET", "/Practitioner/ePrac1"): {"resourceType": "Practitioner", "id": "ePrac1",
                                              "name": [{"text": "Dr. Priya Shah"}]},
            ("GET", "/Location/eLoc1"): {"resourceType": "Location", "id": "eLoc1",
                                         "name": "Riverside Primary Care"},
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        path = request.url.path.removeprefix("/api/FHIR/R4")
        body = self.routes.get((request.method, path))
        return httpx.Response(200, json=body) if body else httpx.Response(404)

    def office(self) -> FhirBackOffice:
        settings: Any = SimpleNamespace(fhir_mrn_system=MRN_SYSTEM, fhir_refill_owner="",
                                        fhir_profile="epic")
        return FhirBackOffice(FhirClient(BASE, transport=httpx.MockTransport(self)), settings)


@pytest.fixture
def patient(db: Session) -> Patient:
    row = Patient(mrn="E1001", first_name="Maria", last_name="Lopez",
                  date_of_birth=date(1984, 3, 12), phone="+15555550101", zip_code="02139")
    db.add(row)
    db.commit()
    return row


def test_find_offers_the_practitioners_proposals_and_book_moves_the_appointment(
        db: Session, patient: Patient) -> None:
    epic = Epic()
    office = epic.office()
    now = datetime.now(UTC)
    appt_id = office._link(db, "Appointment", "eOld")
    found = office.find_open_slots(db, patient.id, appt_id, now, limit=5)
    assert [(s.starts_at, s.provider_name) for s in found.slots] == [
        (DAY.astimezone(found.slots[0].starts_at.tzinfo), "Dr. Priya Shah"),
        ((DAY + timedelta(hours=1)).astimezone(found.slots[0].starts_at.tzinfo),
         "Dr. Priya Shah")]
    find = next(r for r in epic.seen if r.url.path.endswith("$find"))
    assert {p["name"] for p in json.loads(find.content)["parameter"]} == {
        "patient", "startTime", "endTime"}

    moved = office.reschedule_appointment(db, patient.id, appt_id, found.slots[1].id, now)
    assert (moved.id, moved.starts_at, moved.status.value) == (
        appt_id, found.slots[1].starts_at, "booked")
    book = next(r for r in epic.seen if r.url.path.endswith("$book"))
    assert {"name": "appointment", "valueReference": {"reference": "Appointment/eProp3"}} in (
        json.loads(book.content)["parameter"])
    cancel = next(r for r in epic.seen if r.method == "PUT")
    assert cancel.headers["If-Match"] == 'W/"7"'
    assert json.loads(cancel.content)["status"] == "cancelled"


def test_without_a_way_to_cancel_the_old_booking_nothing_is_booked(
        db: Session, patient: Patient) -> None:
    epic = Epic(can_update=False)
    office = epic.office()
    now = datetime.now(UTC)
    appt_id = office._link(db, "Appointment", "eOld")
    slot = office.find_open_slots(db, patient.id, appt_id, now).slots[0]
    with pytest.raises(NotSupported):
        office.reschedule_appointment(db, patient.id, appt_id, slot.id, now)
    assert not any(r.url.path.endswith("$book") for r in epic.seen)
