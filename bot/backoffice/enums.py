"""The back office's states and kinds, free of SQLAlchemy, so the action server can read
the API contract without loading the ORM, the settings or the database."""

from __future__ import annotations

import enum


class AppointmentStatus(enum.StrEnum):
    booked = "booked"
    cancelled = "cancelled"
    completed = "completed"
    no_show = "no_show"


class LanguageSource(enum.StrEnum):
    """Where a patient's preferred language on file came from."""

    record = "record"  # the health system's record (intake, the EHR)
    patient = "patient"  # the patient chose it in a conversation
    detected = "detected"  # what the patient wrote in


# The languages the assistant speaks (ISO 639-1); the first is the default.
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = LANGUAGES[0]


class RefillStatus(enum.StrEnum):
    submitted = "submitted"
    renewal_requested = "renewal_requested"
    ready = "ready"
    denied = "denied"


class ClaimStatus(enum.StrEnum):
    """Where the insurance claim behind a charge stands."""

    pending = "pending"
    paid = "paid"
    denied = "denied"


class InquiryKind(enum.StrEnum):
    duplicate = "duplicate"
    dispute = "dispute"
    question = "question"


class RequestStatus(enum.StrEnum):
    """A request a person in the back office still has to work (inquiries, insurance updates)."""

    open = "open"
    resolved = "resolved"


class PaymentPlanStatus(enum.StrEnum):
    active = "active"
    completed = "completed"
    cancelled = "cancelled"


class PaymentPlanHold(enum.StrEnum):
    """Why billing has taken payment plans off an account, as the account record holds it."""

    in_collections = "in_collections"  # the balance was placed with a collection agency
    plan_defaulted = "plan_defaulted"  # a plan in the last 12 months ended unpaid
    assistance_pending = "assistance_pending"  # a financial assistance application is open
    under_review = "under_review"  # billing is reviewing the account (a dispute, an audit)


class PatientShareReason(enum.StrEnum):
    """What the patient's part of a charge is for, as the insurer's explanation of benefits
    (or the self-pay record) says."""

    copay = "copay"
    deductible = "deductible"
    coinsurance = "coinsurance"
    not_covered = "not_covered"
    self_pay = "self_pay"  # no insurance was billed for this visit


class DenialReason(enum.StrEnum):
    """Why the insurer did not cover a charge (with `PatientShareReason.not_covered`)."""

    out_of_network = "out_of_network"
    not_medically_necessary = "not_medically_necessary"
    no_prior_authorization = "no_prior_authorization"
    not_a_covered_service = "not_a_covered_service"
    coverage_inactive = "coverage_inactive"  # no active coverage on the date of service


class Purpose(enum.StrEnum):
    """What a message is for; consent is given (and withdrawn) per purpose."""

    care = "care"
    billing = "billing"


class SuppressReason(enum.StrEnum):
    no_consent = "no_consent"
    opted_out = "opted_out"
    quiet_hours_expired = "quiet_hours_expired"
    cap = "cap"
    subject_changed = "subject_changed"
    hold_out = "hold_out"
    no_phone = "no_phone"
    # Someone at the number on file answered that it is not the patient's.
    wrong_number = "wrong_number"
