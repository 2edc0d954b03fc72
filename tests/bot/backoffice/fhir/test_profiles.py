"""Vendor profiles with answers written from the vendors' public documentation: Oracle Health
changes an appointment by PATCH with If-Match and answers 409 (conflict), 412 (the version
moved on) or 423 (someone holds the record locked). (The whole Oracle flow also runs in the
port's contract suite against the real server.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from bot.backoffice.errors import RecordChanged
from bot.backoffice.fhir import resources as fr
from bot.backoffice.fhir.adapter import FhirBackOffice
from bot.backoffice.fhir.client import FhirClient

BASE = "https://fhir-ehr.cerner.example/r4/tenant"


def outcome(code: str, text: str) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


def appointment(status: str, version: str) -> dict[str, Any]:
    return {"resourceType": "Appointment", "id": "4817517", "meta": {"versionId": version},
            "status": status, "start": "2026-12-20T15:00:00Z", "end": "2026-12-20T15:30:00Z",
            "participant": [{"actor": {"reference": "Patient/12724066"}, "status": "accepted"}]}


def oracle(answers: list[httpx.Response], seen: list[httpx.Request]) -> FhirBackOffice:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    settings: Any = SimpleNamespace(fhir_mrn_system="urn:oid:2.16.840.1.113883.6.1000",
                                    fhir_refill_owner="", fhir_profile="oracle")
    client = FhirClient(BASE, transport=httpx.MockTransport(handle), sleep=lambda s: None)
    return FhirBackOffice(client, settings)


ANSWERS: dict[int, Callable[[], dict[str, Any]]] = {
    409: lambda: outcome("conflict", "The appointment was updated by another user."),
    412: lambda: outcome("processing", "Precondition failed: If-Match does not match."),
    423: lambda: outcome("lock-error", "The appointment is locked by another user."),
}


@pytest.mark.parametrize("status", [409, 412, 423])
def test_a_refused_patch_is_read_again_and_said_as_record_changed(status: int) -> None:
    seen: list[httpx.Request] = []
    office = oracle([httpx.Response(status, json=ANSWERS[status]()),
                     httpx.Response(200, json=appointment("booked", "3"))], seen)
    with pytest.raises(RecordChanged):
        office._oracle_cancel(fr.parse(fr.Appointment, appointment("booked", "2")))
    patch, reread = seen
    assert (patch.method, patch.headers["If-Match"]) == ("PATCH", 'W/"2"')
    assert patch.headers["Content-Type"] == "application/json-patch+json"
    assert json.loads(patch.content) == [{"op": "replace", "path": "/status",
                                          "value": "cancelled"}]
    assert (reread.method, reread.url.path) == ("GET", "/r4/tenant/Appointment/4817517")


def test_cancelled_by_someone_else_in_between_is_done() -> None:
    seen: list[httpx.Request] = []
    office = oracle([httpx.Response(412, json=ANSWERS[412]()),
                     httpx.Response(200, json=appointment("cancelled", "3"))], seen)
    office._oracle_cancel(fr.parse(fr.Appointment, appointment("booked", "2")))
    assert [r.method for r in seen] == ["PATCH", "GET"]
