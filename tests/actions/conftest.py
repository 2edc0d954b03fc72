"""Actions run against the real back-office API, served in-process over ASGI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rasa_sdk import Tracker

from actions.backoffice_client import BackOfficeClient

RESPONSES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))["responses"]


def variation(name: str, language: str = "en") -> dict[str, Any]:
    """The variation of a response the engine says in `language`: the one conditioned on that
    `language` slot value, else the one without a condition (Rasa's choice)."""
    default = None
    for candidate in RESPONSES[name]:
        conditions = candidate.get("condition") or []
        if not conditions and default is None:
            default = candidate
        if any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return candidate
    assert default is not None, f"{name} has no variation without a condition"
    return default


def text_of(message: dict[str, Any], language: str = "en") -> str:
    """What the patient reads: the domain response filled with what the action gave it."""
    return str(variation(message["response"], language)["text"]).format(**message)


# Spanish names written out here, not taken from Babel, so the tests check its output.
MESES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
         "septiembre", "octubre", "noviembre", "diciembre"]
DIAS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]


def fecha(day: date, this_year: int | None = None) -> str:
    """"13 de diciembre" (", de 2027" when not this year)."""
    text = f"{day.day} de {MESES[day.month - 1]}"
    return text if this_year in (None, day.year) else f"{text} de {day.year}"


def momento(local: datetime) -> str:
    """"martes 8 de diciembre, 10:30 a. m." for a time already in the clinic's zone."""
    hour = local.hour % 12 or 12
    period = "a. m." if local.hour < 12 else "p. m."
    return f"{DIAS[local.weekday()]} {fecha(local.date())}, {hour}:{local.minute:02d} {period}"


DOMAIN: dict[str, Any] = {
    "forms": {"verify_form": {"required_slots": ["full_name", "dob", "zip_code"]}},
    "slots": {},
}


def make_tracker(
    sender: str = "sms:+15555550101",
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "inform",
    metadata: dict[str, Any] | None = None,
    requested_slot: str | None = None,
    extracted: dict[str, Any] | None = None,
) -> Tracker:
    """`extracted`: the slot candidates the form just filled, which its validation checks."""
    channel = "sms" if sender.startswith("sms:") else "web"
    meta = metadata if metadata is not None else (
        {"channel": "sms", "phone": sender.removeprefix("sms:")} if channel == "sms"
        else {"channel": "web"}
    )
    all_slots = {"verified": False, "verification_blocked": None, "patient_id": None,
                 "full_name": None, "dob": None, "zip_code": None,
                 "requested_slot": requested_slot, **(slots or {}), **(extracted or {})}
    events = [{"event": "user", "text": text}] + [
        {"event": "slot", "name": name, "value": value} for name, value in (extracted or {}).items()
    ]
    return Tracker(
        sender_id=sender,
        slots=all_slots,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0},
                        "entities": [], "metadata": meta},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "verify_form"} if requested_slot else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def backoffice(app) -> Callable[[], BackOfficeClient]:  # type: ignore[no-untyped-def]
    def factory() -> BackOfficeClient:
        return BackOfficeClient("http://backoffice.test", "test-backoffice-token",
                                transport=httpx.ASGITransport(app=app))

    return factory


@pytest.fixture
def backoffice_down() -> Callable[[], BackOfficeClient]:
    return lambda: BackOfficeClient("http://127.0.0.1:9", "test-backoffice-token", timeout=1)
