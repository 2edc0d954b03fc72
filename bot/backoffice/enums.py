"""The back office's states and kinds, free of SQLAlchemy, so the action server can read
the API contract without loading the ORM, the settings or the database."""

from __future__ import annotations

import enum


class AppointmentStatus(enum.StrEnum):
    booked = "booked"
    cancelled = "cancelled"
    completed = "completed"
    no_show = "no_show"


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
