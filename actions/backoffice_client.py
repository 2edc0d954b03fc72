"""The one client of the back office: typed results, typed errors."""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from actions.settings import get_action_settings
from bot.backoffice.schemas import (
    AppointmentInfo,
    AppointmentList,
    Balance,
    BillingInquiryCreate,
    BillingInquiryReceipt,
    ChargeMatches,
    InsuranceSummary,
    InsuranceUpdateCreate,
    InsuranceUpdateReceipt,
    PartOfDay,
    PaymentLinkInfo,
    PaymentPlanInfo,
    PaymentPlanOptions,
    PrescriptionList,
    RefillInfo,
    RefillList,
    SlotSearchResult,
    Statement,
    VerificationRequest,
    VerificationResult,
)

T = TypeVar("T", bound=BaseModel)


class BackOfficeError(Exception):
    """Anything that keeps us from an answer; actions apologize and offer an agent."""


class BackOfficeUnavailable(BackOfficeError):
    """Timeout, connection refused, 5xx or an answer we cannot read."""


class NotFound(BackOfficeError):
    pass


class Conflict(BackOfficeError):
    """The back office understood but said no (409): `code` says why, e.g. "slot_taken",
    "appointment_not_changeable", "nothing_owed", "payment_plan_unavailable"."""

    def __init__(self, message: str, code: str = "conflict") -> None:
        super().__init__(message)
        self.code = code


def _detail_code(resp: httpx.Response) -> str:
    try:
        detail = resp.json().get("detail")
    except (ValueError, AttributeError):
        return "conflict"
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        return str(detail["code"])
    return "conflict"


# One HTTP client per event loop and configuration, made on first use: a new client per call
# built an SSL context, read the proxy environment and opened a TCP connection on every
# back-office call (profiled: a fifth of the action server's CPU per turn). Keyed by loop so
# a client is never used from a loop it was not made in (tests run many loops).
_ClientKey = tuple[str, str, str, float, int]
_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_ClientKey, httpx.AsyncClient]]
_SHARED = weakref.WeakKeyDictionary()


def _shared_http(base_url: str, headers: dict[str, str], timeout: float,
                 transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    clients = _SHARED.setdefault(asyncio.get_running_loop(), {})
    key = (base_url, headers["Authorization"], headers["X-Actor"], timeout, id(transport))
    client = clients.get(key)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout,
                                   transport=transport)
        clients[key] = client
    return client


class BackOfficeClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/") + "/api/backoffice"
        # The back office writes who read a record into its audit log.
        self.headers = {"Authorization": f"Bearer {token}", "X-Actor": "action_server"}
        self.timeout = timeout
        self.transport = transport

    async def _call(self, model: type[T], method: str, path: str, **kwargs: Any) -> T:
        http = _shared_http(self.base_url, self.headers, self.timeout, self.transport)
        try:
            resp = await http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BackOfficeUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if resp.status_code == 404:
            raise NotFound(f"{method} {path}")
        if resp.status_code == 409:
            raise Conflict(f"{method} {path}", _detail_code(resp))
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

    # --- billing ---------------------------------------------------------------------------

    async def statement(self, patient_id: int) -> Statement:
        return await self._call(Statement, "GET", f"/patients/{patient_id}/statement")

    async def find_charges(self, patient_id: int, *, amount_cents: int | None = None,
                           words: str | None = None, month: int | None = None,
                           year: int | None = None) -> ChargeMatches:
        params = {"amount_cents": amount_cents, "words": words, "month": month, "year": year}
        return await self._call(ChargeMatches, "GET", f"/patients/{patient_id}/charges",
                                params={k: v for k, v in params.items() if v is not None})

    async def record_billing_inquiry(self, patient_id: int,
                                     request: BillingInquiryCreate) -> BillingInquiryReceipt:
        return await self._call(BillingInquiryReceipt, "POST",
                                f"/patients/{patient_id}/billing-inquiries",
                                json=request.model_dump(mode="json"))

    async def create_payment_link(self, patient_id: int) -> PaymentLinkInfo:
        return await self._call(PaymentLinkInfo, "POST", f"/patients/{patient_id}/payment-links")

    async def payment_plan_options(self, patient_id: int) -> PaymentPlanOptions:
        return await self._call(PaymentPlanOptions, "GET",
                                f"/patients/{patient_id}/payment-plan")

    async def create_payment_plan(self, patient_id: int, months: int) -> PaymentPlanInfo:
        """Only after the patient said yes to this many months."""
        return await self._call(PaymentPlanInfo, "POST", f"/patients/{patient_id}/payment-plan",
                                json={"months": months, "confirmed": True})

    async def insurance(self, patient_id: int) -> InsuranceSummary:
        return await self._call(InsuranceSummary, "GET", f"/patients/{patient_id}/insurance")

    async def request_insurance_update(self, patient_id: int,
                                       request: InsuranceUpdateCreate) -> InsuranceUpdateReceipt:
        return await self._call(InsuranceUpdateReceipt, "POST",
                                f"/patients/{patient_id}/insurance-updates",
                                json=request.model_dump(mode="json"))

    # --- appointments ----------------------------------------------------------------------

    async def appointments(self, patient_id: int) -> AppointmentList:
        return await self._call(AppointmentList, "GET", f"/patients/{patient_id}/appointments")

    async def open_slots(self, patient_id: int, appointment_id: int, *,
                         start: datetime | None = None, end: datetime | None = None,
                         part_of_day: PartOfDay | None = None,
                         limit: int = 3) -> SlotSearchResult:
        params: dict[str, str | int] = {"limit": limit}
        if start is not None:
            params["start"] = start.isoformat()
        if end is not None:
            params["end"] = end.isoformat()
        if part_of_day is not None:
            params["part_of_day"] = part_of_day
        return await self._call(
            SlotSearchResult, "GET",
            f"/patients/{patient_id}/appointments/{appointment_id}/open-slots", params=params)

    async def reschedule(self, patient_id: int, appointment_id: int,
                         slot_id: int) -> AppointmentInfo:
        """Conflict("slot_taken") when someone else got the slot first."""
        return await self._call(
            AppointmentInfo, "POST",
            f"/patients/{patient_id}/appointments/{appointment_id}/reschedule",
            json={"slot_id": slot_id})

    async def cancel_appointment(self, patient_id: int, appointment_id: int) -> AppointmentInfo:
        return await self._call(AppointmentInfo, "POST",
                                f"/patients/{patient_id}/appointments/{appointment_id}/cancel")

    # --- refills ---------------------------------------------------------------------------

    async def prescriptions(self, patient_id: int) -> PrescriptionList:
        return await self._call(PrescriptionList, "GET", f"/patients/{patient_id}/prescriptions")

    async def request_refill(self, patient_id: int, prescription_id: int) -> RefillInfo:
        return await self._call(RefillInfo, "POST", f"/patients/{patient_id}/refill-requests",
                                json={"prescription_id": prescription_id})

    async def refill_status(self, patient_id: int) -> RefillList:
        return await self._call(RefillList, "GET", f"/patients/{patient_id}/refill-requests")


def default_client() -> BackOfficeClient:
    settings = get_action_settings()
    return BackOfficeClient(settings.backoffice_url, settings.backoffice_token,
                            settings.backoffice_timeout_seconds)
