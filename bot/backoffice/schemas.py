"""The back-office API contract, shared by its routes and by the actions' typed client."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.backoffice.enums import (
    AppointmentStatus,
    ClaimStatus,
    DenialReason,
    InquiryKind,
    LanguageSource,
    PatientShareReason,
    PaymentPlanHold,
    PaymentPlanStatus,
    RefillStatus,
    RequestStatus,
)
from bot.text import CleanText

# An id a caller sends: bounded, so a huge number is a 422 and not a database overflow.
RequestId = Annotated[int, Field(ge=1, le=2_147_483_647)]


class VerificationStatus(StrEnum):
    verified = "verified"
    failed = "failed"
    locked = "locked"
    # Web checks for the record claimed are paused (many failed tries at it, from anywhere):
    # told alike whether or not the details were right.
    record_paused = "record_paused"


class VerificationRequest(BaseModel):
    """What the patient told us. SMS: phone + date of birth; web: name + date of birth + ZIP."""

    conversation_id: str = Field(min_length=1, max_length=200)
    channel: Literal["sms", "web"]
    date_of_birth: date
    phone: str | None = Field(default=None, max_length=20)
    full_name: CleanText | None = Field(default=None, max_length=200)
    zip_code: str | None = Field(default=None, max_length=10)
    # Web: the client's address the tries come from, counted like the conversation (SMS
    # counts the texting number). Optional for callers that cannot know it.
    source: str | None = Field(default=None, max_length=64)
    # A language the patient chose in this conversation ("español", the page's button): kept
    # as the patient's own preference once they are verified.
    language_choice: str | None = Field(default=None, pattern=r"^[a-z]{2}$")


# The custom payload the verification action sends with the patient's language (`{"language_set":
# "es"}`), never shown: the bot service learns the conversation's language from it, as the
# engine's `language` slot is set in the same step.
LANGUAGE_SET = "language_set"


class VerificationResult(BaseModel):
    status: VerificationStatus
    patient_id: int | None = None
    first_name: str | None = None
    # Verified only: the language the patient is spoken to in (ISO 639-1) and its source.
    preferred_language: str | None = None
    preferred_language_source: LanguageSource | None = None
    attempts_left: int = 0
    retry_after_seconds: int = 0


class ChargeLine(BaseModel):
    service_date: date
    description: str
    billed_cents: int
    insurance_paid_cents: int
    patient_cents: int
    id: int | None = None
    claim_status: ClaimStatus | None = None


class Balance(BaseModel):
    patient_id: int
    amount_cents: int
    due_date: date | None
    overdue: bool
    charges: list[ChargeLine]


# --- billing -------------------------------------------------------------------------------

PartOfDay = Literal["morning", "afternoon", "evening"]
# Clinic-local hours [start, end) of each part of the day.
PART_OF_DAY_HOURS: dict[str, tuple[int, int]] = {
    "morning": (0, 12),
    "afternoon": (12, 17),
    "evening": (17, 24),
}


class ChargeDetail(BaseModel):
    """One line of the statement, with enough to explain it and to refer back to it."""

    id: int
    service_date: date
    description: str
    billed_cents: int
    insurance_paid_cents: int
    adjustment_cents: int = Field(description="discount the insurer's contract takes off")
    patient_cents: int
    claim_status: ClaimStatus
    statement_date: date | None
    due_date: date | None
    patient_share_reason: PatientShareReason | None = Field(
        default=None, description="what the patient's part is for (copay, deductible, "
        "coinsurance, not covered, self-pay); null when not recorded or nothing is owed yet")
    denial_reason: DenialReason | None = Field(
        default=None, description="why the insurer did not cover it, when not covered")


class Statement(BaseModel):
    patient_id: int
    statement_date: date | None
    due_date: date | None
    charges: list[ChargeDetail]
    charges_cents: int
    payments_cents: int
    balance_cents: int


class ChargeMatches(BaseModel):
    charges: list[ChargeDetail]


# Words of a charge question that point at no charge. The charge search ignores them, and the
# dialogue searches only when something else is left (else it itemizes the whole bill).
CHARGE_FILLER_WORDS = frozenset(
    "a about account all am amount an and ask at being bill billed billing break breakdown can "
    "charge charged charges confused cost costs could did do does dollar dollars don't dont "
    "down every explain fee fees for from get give got here how i in is it item itemise itemize "
    "itemized items line list may me mean means much my of on one or owe paid pay paying please "
    "pls question saw see show statement tell that the there thing this those understand was "
    "were what what's whats why with you".split()
) | frozenset(  # Spanish, without accents (the request is matched without them)
    "a al algo aqui ayuda ayudar bien cargo cargos cobran cobrado cobraron cobro como con "
    "cual cuales cuanto cuenta de debo del desglosar desglose detalle detalles dice dinero "
    "dolares el en entiendo es esa ese eso esta este esto estos explica explicar explicame "
    "expliqueme factura facturas favor la las le lo los me mi mis muestrame muestreme "
    "pagar pago pague para por porque puede pudiera que quiero saber se ser significa su sus "
    "tengo total un una uno ver y yo".split()
)


class BillingInquiryCreate(BaseModel):
    kind: InquiryKind
    charge_id: RequestId | None = None
    note: CleanText | None = Field(default=None, max_length=2000)


class BillingInquiryReceipt(BaseModel):
    reference: str
    kind: InquiryKind
    status: RequestStatus
    charge_id: int | None
    created_at: datetime
    response_business_days: int


class PaymentLinkInfo(BaseModel):
    url: str
    amount_cents: int
    expires_at: datetime


class PaymentPlanOption(BaseModel):
    months: int
    monthly_cents: int
    last_month_cents: int


class PaymentPlanInfo(BaseModel):
    reference: str
    months: int
    total_cents: int
    monthly_cents: int
    last_month_cents: int
    first_due_date: date
    status: PaymentPlanStatus


# Why no plan can be offered now: the account (see `hold`), nothing owed, a plan already
# running, or a balance under `minimum_cents`.
PlanBlocker = Literal["not_eligible", "no_balance", "active_plan", "below_minimum"]


class PaymentPlanOptions(BaseModel):
    eligible: bool
    reason: PlanBlocker | None
    balance_cents: int
    options: list[PaymentPlanOption]
    active_plan: PaymentPlanInfo | None
    minimum_cents: int = Field(description="the smallest balance a plan can be set up for")
    hold: PaymentPlanHold | None = Field(
        default=None, description="with reason not_eligible: why billing took plans off the "
        "account, as the record holds it; null when no reason is recorded")


class PaymentPlanCreate(BaseModel):
    months: Literal[3, 6, 12]
    confirmed: Literal[True] = Field(description="the patient said yes to this plan")


class InsurancePolicyInfo(BaseModel):
    payer: str
    member_id_masked: str
    group_number: str | None
    plan_name: str | None
    is_primary: bool


class ClaimLine(BaseModel):
    charge_id: int
    service_date: date
    description: str
    billed_cents: int
    insurance_paid_cents: int
    claim_status: ClaimStatus
    denial_reason: DenialReason | None = Field(
        default=None, description="why the insurer did not cover it, when not covered")


class InsuranceSummary(BaseModel):
    patient_id: int
    policies: list[InsurancePolicyInfo]
    claims: list[ClaimLine]


class InsuranceUpdateCreate(BaseModel):
    payer: CleanText | None = Field(default=None, max_length=120)
    member_id: CleanText | None = Field(default=None, max_length=40)
    group_number: CleanText | None = Field(default=None, max_length=40)
    note: CleanText | None = Field(default=None, max_length=2000)


class InsuranceUpdateReceipt(BaseModel):
    reference: str
    status: RequestStatus
    payer: str | None
    member_id_masked: str | None
    created_at: datetime
    response_business_days: int
    next_steps: list[str]


# --- appointments --------------------------------------------------------------------------


class AppointmentInfo(BaseModel):
    id: int
    provider_id: int
    provider_name: str
    specialty: str
    location: str
    starts_at: datetime = Field(description="aware, in the clinic's time zone")
    duration_minutes: int
    status: AppointmentStatus


class AppointmentList(BaseModel):
    appointments: list[AppointmentInfo]


class Visit(BaseModel):
    """An appointment as outreach plans from it: whose it is and when it was booked."""

    patient_id: int
    appointment: AppointmentInfo
    booked_at: datetime | None


class SlotInfo(BaseModel):
    id: int
    provider_id: int
    provider_name: str
    starts_at: datetime = Field(description="aware, in the clinic's time zone")
    duration_minutes: int


class SlotSearchResult(BaseModel):
    """The slots found, and the window they were found in (wider than asked when widened)."""

    slots: list[SlotInfo]
    widened: bool
    window_start: datetime
    window_end: datetime
    part_of_day: PartOfDay | None


class RescheduleRequest(BaseModel):
    slot_id: RequestId


# --- pharmacy ------------------------------------------------------------------------------


class OpenRefillRequest(BaseModel):
    """A refill or renewal request still open for a prescription: asking again returns it."""

    reference: str
    status: RefillStatus
    created_at: datetime


class PrescriptionInfo(BaseModel):
    id: int
    medication: str
    strength: str
    purpose: str | None
    refills_left: int
    pharmacy_name: str
    pharmacy_address: str
    pharmacy_phone: str
    open_request: OpenRefillRequest | None = Field(
        default=None, description="the open request, so the dialogue says so before asking")


class PrescriptionList(BaseModel):
    prescriptions: list[PrescriptionInfo]


class RefillCreate(BaseModel):
    prescription_id: RequestId


class RefillInfo(BaseModel):
    reference: str
    prescription_id: int
    medication: str
    strength: str
    status: RefillStatus
    refills_left: int
    pharmacy_name: str
    created_at: datetime
    already_open: bool = Field(
        default=False, description="an open request existed, so no new one was made"
    )


class RefillList(BaseModel):
    requests: list[RefillInfo]


class PaymentReceipt(BaseModel):
    reference: str
    amount_cents: int
    paid_at: datetime
    balance_cents: int
