"""Actions run against the real back-office API, served in-process over ASGI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker

from actions.backoffice_client import BackOfficeClient

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
