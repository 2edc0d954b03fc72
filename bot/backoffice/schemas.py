"""The back-office API contract, shared by its routes and by the actions' typed client."""

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class VerificationStatus(StrEnum):
    verified = "verified"
    failed = "failed"
    locked = "locked"


class VerificationRequest(BaseModel):
    """What the patient told us. SMS: phone + date of birth; web: name + date of birth + ZIP."""

    conversation_id: str = Field(min_length=1, max_length=200)
    channel: Literal["sms", "web"]
    date_of_birth: date
    phone: str | None = None
    full_name: str | None = None
    zip_code: str | None = None


class VerificationResult(BaseModel):
    status: VerificationStatus
    patient_id: int | None = None
    first_name: str | None = None
    attempts_left: int = 0
    retry_after_seconds: int = 0


class ChargeLine(BaseModel):
    service_date: date
    description: str
    billed_cents: int
    insurance_paid_cents: int
    patient_cents: int


class Balance(BaseModel):
    patient_id: int
    amount_cents: int
    due_date: date | None
    overdue: bool
    charges: list[ChargeLine]
