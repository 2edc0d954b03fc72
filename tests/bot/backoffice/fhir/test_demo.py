"""The demo back office as a FHIR bundle: each patient's language is Patient.communication."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.backoffice.fhir import resources as fr
from bot.backoffice.fhir.demo import demo_bundle


def test_each_patient_carries_the_preferred_language_as_communication(seeded: Session) -> None:
    bundle = demo_bundle(seeded, "urn:test:mrn", prefix="t")
    patients: dict[str, dict[str, Any]] = {
        e["resource"]["name"][0]["family"]: e["resource"] for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Patient"}
    assert set(patients) == {"Lopez", "Carter", "Khan", "Martínez"}
    rosa = patients["Martínez"]
    assert rosa["communication"] == [{"language": {"coding": [
        {"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}]
    assert (rosa["birthDate"], rosa["telecom"][0]["value"], rosa["address"]) == (
        "1968-09-30", "+15555550104", [{"postalCode": "33125"}])
    assert {family: p["communication"][0]["language"]["coding"][0]["code"]
            for family, p in patients.items()} == {"Lopez": "en", "Carter": "en",
                                                   "Khan": "en", "Martínez": "es"}
    # The adapter's own reading of the resource finds the same language.
    parsed = fr.parse(fr.Patient, rosa)
    assert [c.preferred for c in parsed.communication] == [True]
    assert parsed.communication[0].language.coding[0].code == "es"
