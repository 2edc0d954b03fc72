"""No secret and no patient detail in a log line: credentials in URLs and headers,
the environment's secret values, Rasa's /intent{...} payloads, international numbers, and
lone surrogates that would make a handler print the whole message in its error report."""

from __future__ import annotations

import io
import logging

import pytest

from bot.privacy.redaction import (
    RedactingFilter,
    add_log_secrets,
    redact,
    redact_intent_payloads,
    redact_secrets,
    secret_values,
)


@pytest.mark.parametrize(("line", "expected"), [
    ('HTTP Request: GET http://127.0.0.1:5005/status?token=s3cr3t-Value "HTTP/1.1 200 OK"',
     'HTTP Request: GET http://127.0.0.1:5005/status?token=[SECRET] "HTTP/1.1 200 OK"'),
    ("POST http://e/conversations/web%3Aab/tracker/events?include_events=NONE&token=abc123xyz",
     "POST http://e/conversations/web%3Aab/tracker/events?include_events=NONE&token=[SECRET]"),
    ("('127.0.0.1', 5123) - \"WebSocket /channels/web/ws?token=Zq9-LmN_x\" [accepted]",
     "('127.0.0.1', 5123) - \"WebSocket /channels/web/ws?token=[SECRET]\" [accepted]"),
    ("connecting to postgresql://bot:hunter2pass@db:5432/bot",
     "connecting to postgresql://bot:[SECRET]@db:5432/bot"),
    ("Authorization: Bearer eyJhbGciOi.abc.def", "Authorization: Bearer [SECRET]"),
    ("GET /chat?lang=en&page=2", "GET /chat?lang=en&page=2"),
])
def test_credentials_in_urls_and_headers(line: str, expected: str) -> None:
    assert redact_secrets(line) == expected


def test_known_secret_values_anywhere() -> None:
    assert redact_secrets("engine said Zt8qLm3Nv6Rb1Xp4Kw9s twice: Zt8qLm3Nv6Rb1Xp4Kw9s",
                          ["Zt8qLm3Nv6Rb1Xp4Kw9s"]) == "engine said [SECRET] twice: [SECRET]"


def test_secret_values_are_read_from_secret_named_variables() -> None:
    environ = {"ENGINE_TOKEN": "long-engine-token", "DESK_DEMO_PASSWORD": "pw-123456789",
               "REVIEW_SALT": "salty-salt-value", "TWILIO_API_KEY": "key-0123456789",
               "ENGINE_URL": "http://127.0.0.1:5005", "ENGINE_TOKEN_SHORT": "x",
               "ACTIONS_TOKEN": "short"}
    assert secret_values(environ) == {"long-engine-token", "pw-123456789", "salty-salt-value",
                                      "key-0123456789"}


@pytest.mark.parametrize(("line", "expected"), [
    ("message.parsing.failed user_text='/inform{name: James Carter, dob 11/02/1975, zip 10001}'",
     "message.parsing.failed user_text='/inform{[ENTITIES]}'"),
    ('Failed to parse arguments in line \'/verify{"name": "Maria Lopez", "zip": "02139"\'',
     "Failed to parse arguments in line '/verify{[ENTITIES]}"),
    ("/inform@0.9{\"time\": \"morning\"} done", "/inform@0.9{[ENTITIES]} done"),
    ("GET /api/x/{id} and http://a/b/c{x}", "GET /api/x/{id} and http://a/b/c{x}"),
])
def test_intent_payloads(line: str, expected: str) -> None:
    assert redact_intent_payloads(line) == expected


@pytest.mark.parametrize("number", ["+44 7911 123456", "+52 55 1234 5678", "+33 6 12 34 56 78",
                                    "+49 1512 3456789", "+91 98765 43210"])
def test_international_phone_numbers(number: str) -> None:
    assert redact(f"call me on {number} please") == "call me on [PHONE] please"


@pytest.mark.parametrize("text", ["I owe 1250.00", "room 4410 at 10:30", "version 3.6.21",
                                  "+5 points", "order 20240112"])
def test_numbers_that_are_not_phones_stay(text: str) -> None:
    assert "[PHONE]" not in redact(text)


def test_the_filter_redacts_secrets_payloads_phi_and_surrogates() -> None:
    add_log_secrets(["Hq2Wn7Lt4Vm9Xs1Kp6Rd"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.log_secrets")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("GET /status?token=%s key %s from +44 7911 123456 said %s %s",
                       "abcdefgh123", "Hq2Wn7Lt4Vm9Xs1Kp6Rd", "\ud800 hi", "/inform{zip: 10001}")
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    line.encode("utf-8")  # what a UTF-8 stream handler must be able to write
    assert line == ("GET /status?token=[SECRET] key [SECRET] from [PHONE] said "
                    "\\ud800 hi /inform{[ENTITIES]}\n")


def test_the_engines_structured_lines_lose_what_the_patient_wrote() -> None:
    """Rasa's structlog JSON (e.g. rest.message.received.timeout) carries the raw text: a bare
    name there has no label the rules could see, so the value itself goes."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("rasa.core.channels.rest.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error('{"text": "Zelda Quimby 03/12/1984", "event": '
                     '"rest.message.received.timeout", "level": "error"}')
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue()
    assert "Zelda" not in line and "Quimby" not in line and "1984" not in line
    assert '"text": "[TEXT]"' in line and "rest.message.received.timeout" in line
