"""The one client of the back office: typed results, typed errors."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from actions.settings import get_action_settings
from bot.backoffice.schemas import Balance, VerificationRequest, VerificationResult

T = TypeVar("T", bound=BaseModel)


class BackOfficeError(Exception):
    """Anything that keeps us from an answer; actions apologize and offer an agent."""


class BackOfficeUnavailable(BackOfficeError):
    """Timeout, connection refused, 5xx or an answer we cannot read."""


class NotFound(BackOfficeError):
    pass


class BackOfficeClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/api/backoffice"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout
        self.transport = transport

    async def _call(self, model: type[T], method: str, path: str, **kwargs: Any) -> T:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, headers=self.headers,
                                         timeout=self.timeout, transport=self.transport) as http:
                resp = await http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BackOfficeUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if resp.status_code == 404:
            raise NotFound(f"{method} {path}")
        if resp.status_code >= 400:
            raise BackOfficeUnavailable(f"{method} {path}: HTTP {resp.status_code}")
        try:
            return model.model_validate(resp.json())
        except (ValueError, ValidationError) as exc:
            raise BackOfficeUnavailable(f"{method} {path}: unreadable answer") from exc

    async def verify(self, request: VerificationRequest) -> VerificationResult:
        return await self._call(VerificationResult, "POST", "/verifications",
                                json=request.model_dump(mode="json"))

    async def balance(self, patient_id: int) -> Balance:
        return await self._call(Balance, "GET", f"/patients/{patient_id}/balance")


def default_client() -> BackOfficeClient:
    settings = get_action_settings()
    return BackOfficeClient(settings.backoffice_url, settings.backoffice_token,
                            settings.backoffice_timeout_seconds)
