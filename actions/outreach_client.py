"""The bot service's outreach API, as the action server sees it: what an outreach message was
about, and the replies to it. Same host and token as the back office, its own endpoints."""

from __future__ import annotations

import httpx

from actions.backoffice_client import BackOfficeClient
from actions.settings import get_action_settings
from bot.backoffice.schemas import AppointmentInfo
from bot.outreach.schemas import ConfirmResult, OpenSlots, OutreachContext, Recorded


class OutreachClient(BackOfficeClient):
    def __init__(self, base_url: str, token: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, token, timeout, transport)
        self.base_url = base_url.rstrip("/") + "/api/outreach"

    async def confirm(self, message_id: int, phone: str | None,
                      patient_id: int | None) -> ConfirmResult:
        """No date of birth needed from the number the reminder went to."""
        return await self._call(ConfirmResult, "POST", f"/messages/{message_id}/confirm",
                                json={"phone": phone, "patient_id": patient_id})

    async def context(self, message_id: int, patient_id: int) -> OutreachContext:
        """NotFound unless the message went to this (verified) patient."""
        return await self._call(OutreachContext, "GET", f"/messages/{message_id}",
                                params={"patient_id": patient_id})

    async def record_reply(self, message_id: int, choice: str) -> Recorded:
        return await self._call(Recorded, "POST", f"/messages/{message_id}/reply",
                                json={"choice": choice})

    async def rebook_slots(self, message_id: int, patient_id: int) -> OpenSlots:
        return await self._call(OpenSlots, "GET", f"/messages/{message_id}/slots",
                                params={"patient_id": patient_id})

    async def book(self, message_id: int, patient_id: int, slot_id: int) -> AppointmentInfo:
        """Conflict("slot_taken") when someone else got the slot first."""
        return await self._call(AppointmentInfo, "POST", f"/messages/{message_id}/book",
                                json={"patient_id": patient_id, "slot_id": slot_id})


def default_outreach_client() -> OutreachClient:
    settings = get_action_settings()
    return OutreachClient(settings.backoffice_url, settings.backoffice_token,
                          settings.backoffice_timeout_seconds)
