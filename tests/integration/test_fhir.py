"""The real stack in FHIR mode: identity, scheduling, pharmacy, insurance and consent on a real
FHIR R4 server (sekmet-fhir, SMART backend auth), billing on the reference tables. The
patient texting exists only in the FHIR server: appointment check, refill, reschedule and
cancel by SMS, then the desk's context card, all read from and written to the EHR."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

PHONE = "+15555550177"
MRN_SYSTEM = "urn:test:integration-mrn"


def fhir_only_patient(session: Any) -> list[dict[str, Any]]:
    """Elena Ortiz (synthetic): in the EHR only, with Dr. Shah in 4 days and a prescription."""
    from sqlalchemy import select

    from bot.backoffice.fhir.demo import _instant
    from bot.backoffice.models import Pharmacy, Provider
    from bot.clock import clinic_today, clinic_tz

    shah = session.scalar(select(Provider).where(Provider.name == "Dr. Priya Shah"))
    pharmacy = session.scalar(select(Pharmacy).order_by(Pharmacy.id))
    day = clinic_today() + timedelta(days=4)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    from datetime import datetime, time

    start = datetime.combine(day, time(11, 30), tzinfo=clinic_tz())
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "elena", "identifier": [
            {"system": MRN_SYSTEM, "value": "FHIR0001"}],
         "name": [{"use": "official", "family": "Ortiz", "given": ["Elena"]}],
         "birthDate": "1990-05-05", "telecom": [{"system": "phone", "value": PHONE}],
         "address": [{"postalCode": "02139"}]},
        {"resourceType": "Slot", "id": "elena-slot", "status": "busy",
         "schedule": {"reference": f"Schedule/demo-sched-{shah.id}"},
         "start": _instant(start), "end": _instant(start + timedelta(minutes=30))},
        {"resourceType": "Appointment", "id": "elena-appt", "status": "booked",
         "start": _instant(start), "end": _instant(start + timedelta(minutes=30)),
         "slot": [{"reference": "Slot/elena-slot"}], "specialty": [{"text": "primary care"}],
         "participant": [{"actor": {"reference": "Patient/elena"}, "status": "accepted"},
                         {"actor": {"reference": f"Practitioner/demo-prac-{shah.id}"},
                          "status": "accepted"},
                         {"actor": {"reference": f"Location/demo-loc-{shah.id}"},
                          "status": "accepted"}]},
        {"resourceType": "MedicationRequest", "id": "elena-rx", "status": "active",
         "intent": "order", "subject": {"reference": "Patient/elena"},
         "medicationCodeableConcept": {"coding": [{"display": "Levothyroxine"}],
                                       "text": "Levothyroxine 50 mcg"},
         "reasonCode": [{"text": "thyroid"}],
         "requester": {"reference": f"Practitioner/demo-prac-{shah.id}"},
         "dispenseRequest": {"numberOfRepeatsAllowed": 3, "performer": {
             "reference": f"Organization/demo-pharm-{pharmacy.id}"}}},
    ]
    return [{"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
            for r in resources]


@pytest.fixture(scope="module")
def fhir_stack() -> Iterator[tuple[Stack, Any]]:
    from sqlalchemy.orm import Session

    from bot.backoffice.fhir.client import FhirClient
    from bot.backoffice.fhir.demo import demo_bundle
    from bot.db import make_engine
    from scripts import fhir_server
    from tests.support.twilio_standin import free_port

    folder = Path(tempfile.mkdtemp(prefix="pa-fhir-"))
    server = fhir_server.prepare(folder, free_port())
    process = fhir_server.start(folder, folder / "server.log")
    try:
        fhir_server.wait_ready(server["FHIR_BASE_URL"], process=process)
        extra = {**server, "FHIR_MRN_SYSTEM": MRN_SYSTEM,
                 **{f"BACKOFFICE_{d}": "fhir" for d in
                    ("IDENTITY", "SCHEDULING", "PHARMACY", "INSURANCE", "CONSENT")}}
        with running_stack(extra_env=extra) as stack:
            engine = make_engine(stack.env["DATABASE_URL"])
            with Session(engine) as session:
                bundle = demo_bundle(session, MRN_SYSTEM)
                bundle["entry"] += fhir_only_patient(session)
            engine.dispose()
            client = FhirClient(server["FHIR_BASE_URL"], client_id=server["FHIR_CLIENT_ID"],
                                private_key=Path(server["FHIR_PRIVATE_KEY_FILE"]).read_bytes(),
                                scopes="system/*.cruds")
            client.transaction(bundle)
            yield stack, client
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_patient_only_in_the_ehr_checks_refills_moves_and_cancels_by_sms(
        fhir_stack: tuple[Stack, Any]) -> None:
    stack, ehr = fhir_stack
    reply = stack.sms_turn(PHONE, "when is my next appointment", "SMfh-1")
    assert "date of birth" in reply, reply
    reply = stack.sms_turn(PHONE, "05/05/1990", "SMfh-2")
    assert "Dr. Priya Shah" in reply and "11:30 AM" in reply, reply

    reply = stack.sms_turn(PHONE, "i need a refill of my thyroid medicine", "SMfh-3")
    assert "Levothyroxine" in reply, reply
    reply = stack.sms_turn(PHONE, "yes", "SMfh-4")
    ref = re.search(r"RX-[A-Z0-9]{6}", reply)
    assert ref, reply
    tasks = ehr.search("Task", {"patient": "Patient/elena"})
    assert [t["identifier"][0]["value"] for t in tasks] == [ref.group(0)]
    assert tasks[0]["focus"] == {"reference": "MedicationRequest/elena-rx"}

    reply = stack.sms_turn(PHONE, "i need to reschedule my appointment", "SMfh-5")
    reply = stack.sms_turn(PHONE, "any time", "SMfh-6") if "1." not in reply else reply
    assert "1." in reply, reply
    reply = stack.sms_turn(PHONE, "1", "SMfh-7")
    if "moved" not in reply.lower():
        reply = stack.sms_turn(PHONE, "yes", "SMfh-8")
    moved = ehr.read("Appointment", "elena-appt")
    assert moved["slot"] != [{"reference": "Slot/elena-slot"}], reply
    assert ehr.read("Slot", "elena-slot")["status"] == "free"

    reply = stack.sms_turn(PHONE, "please cancel my appointment", "SMfh-9")
    if ehr.read("Appointment", "elena-appt")["status"] != "cancelled":
        reply = stack.sms_turn(PHONE, "yes", "SMfh-10")
    assert ehr.read("Appointment", "elena-appt")["status"] == "cancelled", reply

    stack.sms_turn(PHONE, "i want to talk to a person", "SMfh-11")
    headers = stack.desk_login()
    queue = stack.desk("GET", "/api/desk/handoffs", headers).json()
    mine = next(h for h in queue if h["channel"] == "sms")
    card = stack.desk("GET", f"/api/desk/handoffs/{mine['id']}", headers).json()["context"]
    text = str(card)
    assert "Levothyroxine 50 mcg" in text and ref.group(0) in text, text
