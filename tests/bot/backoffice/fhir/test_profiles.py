"""Vendor profiles with answers written from the vendors' public documentation: Oracle Health
changes an appointment by PATCH with If-Match and answers 409 (conflict), 412 (the version
moved on) or 423 (someone holds the record locked). (The whole Oracle flow also runs in the
port's contract suite against the real server.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.errors import NotSupported, RecordChanged
from bot.backoffice.fhir import resources as fr
from bot.backoffice.fhir.adapter import ORACLE_ACCOUNT_BALANCE, FhirBackOffice
from bot.backoffice.fhir.client import FhirClient
from bot.backoffice.models import Patient
from bot.backoffice.port import Domain

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


def account(account_id: str, value: float | None, status: str = "active") -> dict[str, Any]:
    """An Oracle Health Account as its documentation shows one: the balance as an extension."""
    body: dict[str, Any] = {"resourceType": "Account", "id": account_id, "status": status,
                            "name": "Statement account", "subject": [
                                {"reference": "Patient/12724066"}]}
    if value is not None:
        body["extension"] = [{"url": ORACLE_ACCOUNT_BALANCE,
                              "valueMoney": {"value": value, "currency": "USD"}}]
    return body


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


CAPABILITIES = {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [
    {"type": "Account", "interaction": [{"code": "search-type"}]},
    {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}]}]}]}


def test_the_oracle_balance_is_the_sum_of_the_active_accounts(seeded: Session) -> None:
    patient = seeded.scalars(select(Patient).order_by(Patient.id)).first()
    assert patient is not None
    seen: list[httpx.Request] = []
    office = oracle([httpx.Response(200, json=CAPABILITIES),
                     httpx.Response(404),  # no SMART configuration: an open test server
                     httpx.Response(200, json=bundle({"resourceType": "Patient",
                                                      "id": "12724066"})),
                     httpx.Response(200, json=bundle(account("A1", 40.0),
                                                     account("A2", 85.4),
                                                     account("A3", None)))], seen)
    balance = office.for_domain(Domain.billing).balance(  # type: ignore[attr-defined]
        seeded, patient.id, date(2026, 12, 7))
    assert (balance.amount_cents, balance.charges, balance.overdue) == (12540, [], False)
    search = seen[-1]
    assert (search.url.path, dict(search.url.params)) == (
        "/r4/tenant/Account", {"patient": "Patient/12724066", "status": "active"})


def test_other_profiles_read_no_balance_and_say_so() -> None:
    office = oracle([], [])
    office.profile = "generic"
    billing = office.for_domain(Domain.billing)
    with pytest.raises(NotSupported):
        billing.balance(None, 1, date(2026, 12, 7))  # type: ignore[attr-defined]


def test_reference_resources_are_read_again_after_their_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    practitioner = {"resourceType": "Practitioner", "id": "p1",
                    "name": [{"family": "Shah", "given": ["Priya"], "prefix": ["Dr."]}]}
    office = oracle([httpx.Response(200, json=practitioner) for _ in range(2)], seen)
    clock = [1000.0]
    monkeypatch.setattr("bot.backoffice.fhir.adapter.time.monotonic", lambda: clock[0])
    office._cached_read(fr.Practitioner, "p1")
    office._cached_read(fr.Practitioner, "p1")
    assert len(seen) == 1  # within a turn and for a while after: one read
    clock[0] += 601
    office._cached_read(fr.Practitioner, "p1")
    assert len(seen) == 2
