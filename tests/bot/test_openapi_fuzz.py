"""Fuzzes every operation of the bot service's OpenAPI schema (schemathesis): no 5xx, ever.

Each operation is called with the credentials it expects, so the fuzzing reaches past the
auth checks into the handlers; the two live event streams are left out (they never end).
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session

from bot.agents.service import ensure_agent

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def credentials(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        desk = client.post("/api/desk/login", json={"email": "fuzz@example.org",
                                                    "password": "fuzz-password-1"}).json()
        web = client.post("/channels/web/sessions").json()
    return {
        "/api/desk": {"Authorization": f"Bearer {desk['token']}"},
        "/api/backoffice": {"Authorization": "Bearer test-backoffice-token"},
        "/api/handoffs": {"Authorization": "Bearer test-backoffice-token"},
        "/channels/web": {"Authorization": f"Bearer {web['token']}"},
    }


def fuzz_operation(operation, auth: dict[str, dict[str, str]],  # type: ignore[no-untyped-def]
                   calls: dict[str, int]) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    headers = next((h for prefix, h in auth.items() if operation.path.startswith(prefix)), {})

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case) -> None:  # type: ignore[no-untyped-def]
        calls[label] = calls.get(label, 0) + 1
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    fuzz()


def test_no_operation_answers_5xx(app, seeded: Session, capsys) -> None:  # type: ignore[no-untyped-def]
    ensure_agent(seeded, "fuzz@example.org", "fuzz-password-1", "Fuzz")
    auth = credentials(app)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(
        path_regex=r"/events$|^/readyz$")  # readyz answers 503 by contract when not ready
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzz_operation(operation, auth, calls)
    with capsys.disabled():
        print(f"\nschemathesis: {sum(calls.values())} requests over {len(calls)} operations")
    assert len(calls) >= 20
