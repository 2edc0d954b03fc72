"""The FHIR client's production behaviour, with answers written from the FHIR R4 spec (an
OperationOutcome, a searchset with a next link, 429 with Retry-After) served by a scripted
transport; SMART Backend Services against the real server."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

from bot.backoffice.errors import BackOfficeUnavailable, NotSupported
from bot.backoffice.fhir.auth import ASSERTION_LIFETIME, SmartAuth, algorithm_for
from bot.backoffice.fhir.client import Capabilities, FhirClient, FhirError, VersionConflict

BASE = "https://ehr.example/fhir"
OUTCOME = {"resourceType": "OperationOutcome", "issue": [
    {"severity": "error", "code": "processing", "diagnostics": "Patient Maria Lopez: bad"}]}


def scripted(answers: list[httpx.Response], seen: list[httpx.Request]
             ) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)
    return handle


def client(answers: list[httpx.Response], seen: list[httpx.Request]) -> FhirClient:
    return FhirClient(BASE, transport=httpx.MockTransport(scripted(answers, seen)),
                      sleep=lambda s: None)


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {"resourceType": "Bundle", "type": "searchset", "link": links,
            "entry": [{"resource": r} for r in resources]}


def test_search_follows_next_links_and_logs_no_phi(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []
    page2 = f"{BASE}/Patient?_getpages=abc&_offset=1"
    fhir = client([httpx.Response(200, json=bundle({"resourceType": "Patient", "id": "a"},
                                                   next_url=page2)),
                   httpx.Response(200, json=bundle({"resourceType": "Patient", "id": "b"}))],
                  seen)
    with caplog.at_level(logging.INFO, logger="bot.backoffice.fhir"):
        found = fhir.search("Patient", {"family": "Lopez", "birthdate": "1984-03-12"})
    assert [r["id"] for r in found] == ["a", "b"]
    assert str(seen[1].url) == page2
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == [
        "fhir GET search Patient -> 200", "fhir GET search Patient -> 200"]
    assert "Lopez" not in caplog.text and "1984" not in caplog.text


def test_429_waits_retry_after_then_reads_and_a_long_wait_is_unavailable() -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []
    fhir = FhirClient(BASE, transport=httpx.MockTransport(scripted([
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json={"resourceType": "Patient", "id": "a"}),
        httpx.Response(429, headers={"Retry-After": "120"})], seen)), sleep=waits.append)
    assert fhir.read("Patient", "a")["id"] == "a"
    assert waits == [1.0]
    with pytest.raises(BackOfficeUnavailable):
        fhir.read("Patient", "a")


def test_reads_are_retried_but_a_plain_create_is_not() -> None:
    seen: list[httpx.Request] = []
    fhir = client([httpx.Response(503), httpx.Response(200, json={"resourceType": "Slot",
                                                                  "id": "s"}),
                   httpx.Response(500, json=OUTCOME)], seen)
    assert fhir.read("Slot", "s")["id"] == "s"
    with pytest.raises(FhirError) as failed:
        fhir.operation("Appointment/$book", {"resourceType": "Parameters"})
    assert len(seen) == 3  # one try for the write
    assert failed.value.issue_codes == ("processing",)
    assert "Maria" not in str(failed.value)  # the diagnostics may hold PHI


def test_conditional_writes_send_the_version_and_conflicts_are_typed() -> None:
    seen: list[httpx.Request] = []
    fhir = client([httpx.Response(412, json=OUTCOME), httpx.Response(409, json=OUTCOME),
                   httpx.Response(405, json=OUTCOME)], seen)
    resource = {"resourceType": "Appointment", "id": "a1", "status": "cancelled"}
    for _ in range(2):
        with pytest.raises(VersionConflict):
            fhir.update(resource, "3")
    assert seen[0].headers["If-Match"] == 'W/"3"'
    with pytest.raises(NotSupported):
        fhir.update(resource, "3")


def test_create_is_conditional_on_our_identifier() -> None:
    seen: list[httpx.Request] = []
    fhir = client([httpx.Response(200, json={"resourceType": "Task", "id": "t1"})], seen)
    fhir.create({"resourceType": "Task"}, "identifier=urn:x|RX-ABC")
    assert seen[0].headers["If-None-Exist"] == "identifier=urn:x|RX-ABC"


def test_capabilities_decide_what_is_on() -> None:
    statement = {"resourceType": "CapabilityStatement", "software": {"name": "EHR"},
                 "rest": [{"mode": "server", "resource": [
                     {"type": "Appointment", "interaction": [{"code": "read"},
                                                             {"code": "search-type"}],
                      "searchParam": [{"name": "patient"}, {"name": "date"}],
                      "operation": [{"name": "find"}, {"name": "book"}]}]}]}
    caps = Capabilities.from_statement(statement, "https://ehr.example/token")
    assert caps.can("Appointment", "read") and not caps.can("Appointment", "update")
    assert caps.searches("Appointment", "patient", "date", "_count")
    assert not caps.searches("Appointment", "slot")
    assert "Appointment/$book" in caps.operations
    assert not caps.can("Slot", "read")


def test_smart_assertion_token_cache_and_refresh(fhir_server: dict[str, str]) -> None:
    from pathlib import Path

    pem = Path(fhir_server["FHIR_PRIVATE_KEY_FILE"]).read_bytes()
    fhir = FhirClient(fhir_server["FHIR_BASE_URL"], client_id=fhir_server["FHIR_CLIENT_ID"],
                      private_key=pem, scopes="system/Patient.rs")
    token_url = fhir.capabilities().token_url
    assert token_url is not None and token_url.endswith("/auth/token")
    clock = [1_000_000.0]
    auth = SmartAuth(fhir_server["FHIR_CLIENT_ID"], pem, token_url, "system/Patient.rs",
                     clock=lambda: clock[0])
    claims = jwt.decode(auth.assertion(), options={"verify_signature": False})
    second = jwt.decode(auth.assertion(), options={"verify_signature": False})
    assert jwt.get_unverified_header(auth.assertion())["alg"] == algorithm_for(pem) == "RS384"
    assert claims["iss"] == claims["sub"] == "patient-assistant"
    assert claims["aud"] == token_url and claims["jti"] != second["jti"]
    assert claims["exp"] - clock[0] == ASSERTION_LIFETIME <= 300
    assert "PRIVATE" not in repr(auth)

    auth = SmartAuth(fhir_server["FHIR_CLIENT_ID"], pem, token_url, "system/Patient.rs")
    first = auth.token(fhir.http)
    assert auth.token(fhir.http) == first  # cached
    auth._expires_at = 0  # about to expire: replaced
    assert auth.token(fhir.http) != first
    assert fhir.search("Patient", {"family": "Nobody-" + json.dumps(1)}) == []
    # A wrong key gets no token, and says so as the system being unreachable.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    assert algorithm_for(other) == "ES384"
    with pytest.raises(BackOfficeUnavailable):
        SmartAuth(fhir_server["FHIR_CLIENT_ID"], other, token_url, "system/Patient.rs"
                  ).token(fhir.http)
