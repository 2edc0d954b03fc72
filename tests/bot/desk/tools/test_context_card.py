"""What the context card needs next about the bill: payment-plan eligibility in words and the
due date, read through billing's own rules."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.enums import PaymentPlanHold
from bot.backoffice.models import Patient
from bot.clock import clinic_today
from bot.handoff import service


def summary_of(db: Session, last_name: str) -> dict[str, object]:
    patient = db.scalars(select(Patient).where(Patient.last_name == last_name)).one()
    result = service.patient_summary(db, patient.id, datetime.now(UTC), clinic_today())
    assert result is not None
    return result.model_dump(mode="json")


def test_the_summary_says_plan_eligibility_and_the_due_date(seeded: Session) -> None:
    aisha = summary_of(seeded, "Khan")  # $310.00 overdue, eligible
    assert (aisha["payment_plan_eligible"], aisha["payment_plan"]) == (
        True, "Eligible: 3, 6 or 12 months")
    assert aisha["balance_due_date"] is not None and aisha["balance_overdue"] is True
    maria = summary_of(seeded, "Lopez")  # $125.40, under the minimum
    assert (maria["payment_plan_eligible"], maria["payment_plan"]) == (
        False, "Not eligible: balance under the $150.00 minimum")
    james = summary_of(seeded, "Carter")
    assert (james["payment_plan"], james["balance_due_date"]) == ("Nothing owed", None)


def test_a_hold_is_said_in_words(seeded: Session) -> None:
    aisha = seeded.scalars(select(Patient).where(Patient.last_name == "Khan")).one()
    aisha.payment_plan_hold = PaymentPlanHold.in_collections
    seeded.commit()
    assert summary_of(seeded, "Khan")["payment_plan"] == "Not eligible: in collections"
