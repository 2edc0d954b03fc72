"""The back office as a port: one adapter per domain, chosen by `BACKOFFICE_<DOMAIN>`.

A health system keeps scheduling and medications in its EHR and billing somewhere else, so
each domain (identity, scheduling, pharmacy, billing, insurance, consent) is answered by its
own adapter: `reference` (our own tables, the embedded default) or `fhir` (the EHR over FHIR
R4). The routes the action server calls, and anything else that needs a patient's
appointments or prescriptions, go through `BackOffice` and never learn which one answered.

Every adapter speaks the API schemas (`bot.backoffice.schemas`) and raises the typed errors
of `bot.backoffice.errors`: `NotFound`, `Conflict` (with its code), `BackOfficeUnavailable`
(the system is down: 503, `utter_backoffice_down`) and `NotSupported` (the system cannot do
the verb: the patient is offered a person).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.backoffice.enums import AppointmentStatus
from bot.backoffice.schemas import (
    AppointmentInfo,
    AppointmentList,
    Balance,
    ClaimLine,
    InsurancePolicyInfo,
    PartOfDay,
    PrescriptionList,
    RefillInfo,
    RefillList,
    SlotSearchResult,
    VerificationRequest,
    Visit,
)

if TYPE_CHECKING:
    from bot.backoffice.models import Patient
    from bot.settings import Settings


class Domain(StrEnum):
    identity = "identity"
    scheduling = "scheduling"
    pharmacy = "pharmacy"
    billing = "billing"
    insurance = "insurance"
    consent = "consent"


class Source(StrEnum):
    reference = "reference"
    fhir = "fhir"


class Preferences(BaseModel):
    """What the patient agreed to and how they like to be spoken to."""

    patient_id: int
    language: str
    sms_care: bool
    sms_billing: bool


class Identity(Protocol):
    def find_candidate(self, session: Session, req: VerificationRequest) -> Patient | None:
        """The one patient the caller claims to be, by what is not secret (phone on SMS;
        name and ZIP on the web), as our own patient row; None when none or several match.
        The date of birth is compared by the caller, so lockouts count the same everywhere."""
        ...


class Scheduling(Protocol):
    def upcoming_appointments(self, session: Session, patient_id: int,
                              now: datetime) -> AppointmentList: ...

    def find_open_slots(self, session: Session, patient_id: int, appointment_id: int,
                        now: datetime, *, start: datetime | None = None,
                        end: datetime | None = None, part_of_day: PartOfDay | None = None,
                        limit: int = 3) -> SlotSearchResult: ...

    def reschedule_appointment(self, session: Session, patient_id: int, appointment_id: int,
                               slot_id: int, now: datetime) -> AppointmentInfo: ...

    def cancel_appointment(self, session: Session, patient_id: int, appointment_id: int,
                           now: datetime) -> AppointmentInfo: ...

    def visits_between(self, session: Session, start: datetime, end: datetime,
                       status: AppointmentStatus) -> list[Visit]:
        """Every patient's appointments in (start, end] with that status (outreach plans
        reminders and no-show follow-ups from them)."""
        ...

    def get_appointment(self, session: Session, patient_id: int,
                        appointment_id: int) -> AppointmentInfo:
        """The patient's appointment as it stands now, whatever its status."""
        ...

    def confirm_appointment(self, session: Session, patient_id: int, appointment_id: int,
                            now: datetime) -> AppointmentInfo: ...


class Pharmacy(Protocol):
    def active_prescriptions(self, session: Session, patient_id: int,
                             now: datetime) -> PrescriptionList: ...

    def request_refill(self, session: Session, patient_id: int, prescription_id: int,
                       now: datetime) -> RefillInfo: ...

    def refill_status(self, session: Session, patient_id: int, now: datetime) -> RefillList: ...


class Insurance(Protocol):
    def policies(self, session: Session, patient_id: int) -> list[InsurancePolicyInfo]: ...


class Billing(Protocol):
    def balance(self, session: Session, patient_id: int, today: date) -> Balance:
        """What the patient owes now; the charges behind it where the system lists them."""
        ...

    def claims(self, session: Session, patient_id: int) -> list[ClaimLine]: ...


class Consent(Protocol):
    def preferences(self, session: Session, patient_id: int) -> Preferences: ...


@dataclass(frozen=True)
class BackOffice:
    identity: Identity
    scheduling: Scheduling
    pharmacy: Pharmacy
    insurance: Insurance
    billing: Billing
    consent: Consent
    sources: dict[Domain, Source]


def sources_from(settings: Settings) -> dict[Domain, Source]:
    return {domain: Source(getattr(settings, f"backoffice_{domain.value}")) for domain in Domain}
