"""Typed back-office errors, so routes can answer 404/409 and the dialogue can say why."""

from __future__ import annotations


class BackOfficeError(Exception):
    code = "backoffice_error"
    message = "the back office could not do that"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)


class NotFound(BackOfficeError, LookupError):
    """Missing, or not this patient's: the two look the same from outside on purpose."""

    code = "not_found"
    message = "not found"


class PatientNotFound(NotFound):
    code = "patient_not_found"
    message = "no such patient"


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    message = "no such appointment for this patient"


class SlotNotFound(NotFound):
    code = "slot_not_found"
    message = "no such slot with this provider"


class ChargeNotFound(NotFound):
    code = "charge_not_found"
    message = "no such charge for this patient"


class PrescriptionNotFound(NotFound):
    code = "prescription_not_found"
    message = "no such active prescription for this patient"


class PaymentLinkNotFound(NotFound):
    code = "payment_link_not_found"
    message = "no such payment link"


class Conflict(BackOfficeError):
    """The request was understood but the records say no (now): HTTP 409."""

    code = "conflict"


class SlotTaken(Conflict):
    code = "slot_taken"
    message = "that time was just taken"


class AppointmentNotChangeable(Conflict):
    code = "appointment_not_changeable"
    message = "only booked appointments in the future can be changed"


class NothingOwed(Conflict):
    code = "nothing_owed"
    message = "there is no balance to pay"


class PaymentPlanUnavailable(Conflict):
    code = "payment_plan_unavailable"
    message = "a payment plan is not available for this balance"


class PaymentLinkGone(BackOfficeError):
    """The link existed but can no longer be used: the payment page answers 410."""

    code = "payment_link_gone"
    message = "this payment link can no longer be used"


class PaymentLinkExpired(PaymentLinkGone):
    code = "payment_link_expired"
    message = "this payment link has expired"


class PaymentLinkUsed(PaymentLinkGone):
    code = "payment_link_used"
    message = "this payment link was already used"


class RecordChanged(Conflict):
    """Someone else changed the record between our read and our write (HTTP 409/412 from the
    system of record); it was read again and nothing of ours was written."""

    code = "record_changed"
    message = "the record was changed by someone else"


class BackOfficeUnavailable(BackOfficeError):
    """The system behind a domain did not answer, or answered something we cannot use: the
    route answers 503 and the dialogue says the records cannot be reached."""

    code = "backoffice_unavailable"
    message = "the system of record is not answering"


class NotSupported(BackOfficeUnavailable):
    """The system behind this domain cannot do this verb (its CapabilityStatement says so, or
    nobody built it): the patient is offered a person instead of a failure."""

    code = "not_supported"
    message = "the system of record cannot do this; a person can help"
