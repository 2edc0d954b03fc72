"""The bot service's handoff API, as the action server sees it: same host and token as the
back office, its own endpoint."""

from __future__ import annotations

import httpx

from actions.backoffice_client import BackOfficeClient
from actions.settings import get_action_settings
from bot.handoff.schemas import HandoffRequest, HandoffTicket


class HandoffClient(BackOfficeClient):
    def __init__(self, base_url: str, token: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, token, timeout, transport)
        self.base_url = base_url.rstrip("/") + "/api"

    async def request_handoff(self, request: HandoffRequest) -> HandoffTicket:
        return await self._call(HandoffTicket, "POST", "/handoffs",
                                json=request.model_dump(mode="json"))


def default_handoff_client() -> HandoffClient:
    settings = get_action_settings()
    return HandoffClient(settings.backoffice_url, settings.backoffice_token,
                         settings.backoffice_timeout_seconds)
