"""The body guard: no body, however built, gets a 500 or a traceback from any route; each
refusal is a 400 (413 when too large) and one log line."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from bot.bodies import MAX_BODY_BYTES, MAX_JSON_DEPTH, NOT_JSON, TOO_LARGE, UNREADABLE

# The probe's body: a lone surrogate inside 2,000 levels of nesting (4 kB).
NESTED_SURROGATE = b"[" * 2000 + b'"\\ud800"' + b"]" * 2000
JSON = {"Content-Type": "application/json"}


def body_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Every operation of the app that takes a body, its path parameters filled in."""
    return [(method.upper(), re.sub(r"\{[^}]+\}", "1", path))
            for path, operations in app.openapi()["paths"].items()
            for method in operations if method in ("post", "put", "patch", "delete")]


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_probe_body_is_a_400_on_every_route_with_one_log_line(
        app, client, db: Session, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    assert len(NESTED_SURROGATE) == 4008
    routes = body_routes(app)
    assert {("POST", "/channels/web/sessions"), ("POST", "/api/desk/login"),
            ("POST", "/channels/web/messages"), ("POST", "/api/handoffs"),
            ("POST", "/channels/sms/inbound")} <= set(routes)
    assert any(path.startswith("/api/backoffice/") for _, path in routes)
    for method, path in routes:
        caplog.clear()
        resp = client.request(method, path, content=NESTED_SURROGATE, headers=JSON)
        assert resp.status_code == 400, (method, path, resp.status_code)
        assert resp.json() == {"detail": NOT_JSON}
        [line] = refusals(caplog)
        assert line.getMessage() == (f"refused the body of {method} {path}: JSON nested "
                                     f"deeper than {MAX_JSON_DEPTH} levels")
        assert line.exc_info is None and "Traceback" not in caplog.text


@pytest.mark.parametrize(("body", "detail", "reason"), [
    (b'{"email": "a@example.org", "password": "\\ud800"}', UNREADABLE,
     "a lone surrogate in the JSON"),
    # Within the depth limit, and still the surrogate is found wherever it sits.
    (b"[" * MAX_JSON_DEPTH + b'{"\\udfff": 1}' + b"]" * MAX_JSON_DEPTH, NOT_JSON,
     f"JSON nested deeper than {MAX_JSON_DEPTH} levels"),
    (b"[" * (MAX_JSON_DEPTH - 1) + b'{"\\udfff": 1}' + b"]" * (MAX_JSON_DEPTH - 1),
     UNREADABLE, "a lone surrogate in the JSON"),
    (b"[" * 5000 + b"]" * 5000, NOT_JSON, f"JSON nested deeper than {MAX_JSON_DEPTH} levels"),
    (b"{" * 3000, NOT_JSON, f"JSON nested deeper than {MAX_JSON_DEPTH} levels"),
    (b"not json", NOT_JSON, "not JSON (JSONDecodeError)"),
    (b'{"email": "a@example.org", "password": "\xff\xfe"}', NOT_JSON,
     "not JSON (UnicodeDecodeError)"),
    (b'{"email": "a@example.org"', NOT_JSON, "not JSON (JSONDecodeError)"),
])
def test_every_unreadable_json_body_is_a_400(
        client, db: Session, caplog: pytest.LogCaptureFixture, body: bytes, detail: str,
        reason: str) -> None:  # type: ignore[no-untyped-def]
    for headers in (JSON, {}, {"Content-Type": "application/vnd.api+json; charset=utf-8"}):
        caplog.clear()
        resp = client.post("/api/desk/login", content=body, headers=headers)
        assert (resp.status_code, resp.json()) == (400, {"detail": detail}), headers
        assert [r.getMessage() for r in refusals(caplog)] == [
            f"refused the body of POST /api/desk/login: {reason}"]


def test_brackets_inside_strings_do_not_count_as_nesting(client, db: Session) -> None:  # type: ignore[no-untyped-def]
    password = "[" * 500 + '\\"{' * 100 + "\\ud83d\\ude00"  # an emoji: a surrogate pair
    resp = client.post("/api/desk/login", headers=JSON,
                       content=f'{{"email": "a@example.org", "password": "{password}"}}')
    assert resp.status_code == 401  # read, and refused only for its credentials


def chunks(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        yield b" " * min(4096, size - sent)
        sent += 4096


def test_a_body_over_the_limit_is_a_413_whether_declared_or_streamed(
        client, db: Session, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    big = b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'
    declared = client.post("/channels/web/sessions", content=big, headers=JSON)
    assert (declared.status_code, declared.json()) == (413, {"detail": TOO_LARGE})
    # No Content-Length (chunked): counted as it arrives. A form is limited the same way.
    streamed = client.post("/channels/sms/inbound", content=chunks(MAX_BODY_BYTES + 1),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (streamed.status_code, streamed.json()) == (413, {"detail": TOO_LARGE})
    assert [r.getMessage() for r in refusals(caplog)] == [
        "refused the body of POST /channels/web/sessions: Content-Length over 64 kB",
        "refused the body of POST /channels/sms/inbound: body over 64 kB"]
    # Up to the limit is read as usual (a form Twilio did not sign: 403).
    at_limit = client.post("/channels/sms/inbound", content=chunks(MAX_BODY_BYTES),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert at_limit.status_code == 403


def test_a_valid_body_passes_untouched(client, db: Session) -> None:  # type: ignore[no-untyped-def]
    session = client.post("/channels/web/sessions").json()
    resp = client.post("/channels/web/messages", json={"text": "hi \U0001F600"},
                       headers={"Authorization": f"Bearer {session['token']}"})
    assert resp.status_code == 200
