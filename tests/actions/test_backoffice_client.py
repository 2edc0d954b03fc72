"""The typed client against the real back-office app (in-process over ASGI)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.backoffice_client import (
    BackOfficeClient,
    BackOfficeUnavailable,
    Conflict,
    NotFound,
)
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    ClaimStatus,
    InquiryKind,
    Patient,
    PatientShareReason,
    PaymentPlanHold,
    RefillStatus,
)
from bot.backoffice.schemas import (
    AppointmentInfo,
    BillingInquiryCreate,
    InsuranceUpdateCreate,
    PaymentLinkInfo,
    Statement,
)
from bot.clock import clinic_today, clinic_tz

Factory = Callable[[], BackOfficeClient]


def patient_id(db: Session, last_name: str) -> int:
    return db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one()


async def test_billing_calls(seeded: Session, backoffice: Factory) -> None:
    client = backoffice()
    maria = patient_id(seeded, "Lopez")
    statement = await client.statement(maria)
    assert isinstance(statement, Statement)
    assert (statement.balance_cents, statement.due_date) == (
        12540, clinic_today() + timedelta(days=16))
    assert [c.claim_status for c in statement.charges] == [ClaimStatus.paid, ClaimStatus.paid]
    assert [c.patient_share_reason for c in statement.charges] == [
        PatientShareReason.copay, PatientShareReason.deductible]
    found = await client.find_charges(maria, amount_cents=8500, words="lab fee")
    [lab] = found.charges
    assert (lab.description, lab.patient_cents) == ("Lab work", 8540)
    assert (await client.find_charges(maria, month=lab.service_date.month)).charges[1] == lab
    inquiry = await client.record_billing_inquiry(
        maria, BillingInquiryCreate(kind=InquiryKind.duplicate, charge_id=lab.id))
    assert inquiry.reference.startswith("BI-") and inquiry.charge_id == lab.id
    link = await client.create_payment_link(maria)
    assert isinstance(link, PaymentLinkInfo) and link.amount_cents == 12540
    insurance = await client.insurance(maria)
    assert insurance.policies[0].member_id_masked == "********3375"
    update = await client.request_insurance_update(
        maria, InsuranceUpdateCreate(payer="Northwind Health", member_id="NWH5550001234"))
    assert update.reference.startswith("INS-") and update.member_id_masked == "*********1234"


async def test_payment_plan_calls(seeded: Session, backoffice: Factory) -> None:
    client = backoffice()
    aisha = patient_id(seeded, "Khan")
    offer = await client.payment_plan_options(aisha)
    assert offer.eligible and [o.monthly_cents for o in offer.options] == [10334, 5167, 2584]
    plan = await client.create_payment_plan(aisha, 12)
    assert (plan.months, plan.monthly_cents, plan.last_month_cents) == (12, 2584, 2576)
    with pytest.raises(Conflict) as again:
        await client.create_payment_plan(aisha, 3)
    assert again.value.code == "payment_plan_unavailable"
    with pytest.raises(BackOfficeUnavailable):  # 422: not a plan length we offer
        await client.create_payment_plan(aisha, 5)
    maria = await client.payment_plan_options(patient_id(seeded, "Lopez"))
    assert (maria.reason, maria.minimum_cents, maria.hold) == ("below_minimum", 15000, None)
    with pytest.raises(Conflict) as nothing:
        await client.create_payment_link(patient_id(seeded, "Carter"))
    assert nothing.value.code == "nothing_owed"


async def test_payment_plan_hold_is_typed(seeded: Session, backoffice: Factory) -> None:
    aisha = patient_id(seeded, "Khan")
    seeded.get_one(Patient, aisha).payment_plan_hold = PaymentPlanHold.assistance_pending
    seeded.commit()
    held = await backoffice().payment_plan_options(aisha)
    assert (held.eligible, held.reason, held.options) == (False, "not_eligible", [])
    assert held.hold is PaymentPlanHold.assistance_pending


async def test_appointment_calls(seeded: Session, backoffice: Factory) -> None:
    client = backoffice()
    maria = patient_id(seeded, "Lopez")
    [appt] = (await client.appointments(maria)).appointments
    assert isinstance(appt, AppointmentInfo)
    assert (appt.provider_name, appt.starts_at) == (
        "Dr. Priya Shah",
        datetime.combine(clinic_today() + timedelta(days=3),
                         datetime.min.time().replace(hour=10, minute=30), tzinfo=clinic_tz()))
    assert appt.starts_at.utcoffset() is not None
    evening = await client.open_slots(maria, appt.id, part_of_day="evening")
    assert evening.widened and len(evening.slots) == 3
    day = clinic_today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    start = datetime.combine(day, datetime.min.time(), tzinfo=clinic_tz())
    window = await client.open_slots(maria, appt.id, start=start, end=start + timedelta(days=1),
                                     part_of_day="afternoon", limit=2)
    assert [s.starts_at.strftime("%H:%M") for s in window.slots] == ["13:30", "14:00"]
    moved = await client.reschedule(maria, appt.id, window.slots[0].id)
    assert moved.starts_at == window.slots[0].starts_at
    cancelled = await client.cancel_appointment(maria, appt.id)
    assert cancelled.status is AppointmentStatus.cancelled
    with pytest.raises(Conflict) as twice:
        await client.cancel_appointment(maria, appt.id)
    assert twice.value.code == "appointment_not_changeable"


async def test_someone_elses_appointment_is_not_found(seeded: Session,
                                                      backoffice: Factory) -> None:
    client = backoffice()
    james = seeded.scalars(select(Appointment).where(
        Appointment.patient_id == patient_id(seeded, "Carter"))).one()
    maria = patient_id(seeded, "Lopez")
    with pytest.raises(NotFound):
        await client.cancel_appointment(maria, james.id)
    with pytest.raises(NotFound):
        await client.open_slots(maria, james.id)
    with pytest.raises(NotFound):
        await client.statement(999_999)


async def test_taken_slot_is_a_conflict(seeded: Session, backoffice: Factory) -> None:
    client = backoffice()
    maria = patient_id(seeded, "Lopez")
    [appt] = (await client.appointments(maria)).appointments
    slot = (await client.open_slots(maria, appt.id)).slots[0]
    seeded.add(Appointment(patient_id=patient_id(seeded, "Khan"), provider_id=appt.provider_id,
                           slot_id=slot.id, starts_at=slot.starts_at))
    seeded.commit()
    with pytest.raises(Conflict) as taken:
        await client.reschedule(maria, appt.id, slot.id)
    assert taken.value.code == "slot_taken"


async def test_refill_calls(seeded: Session, backoffice: Factory) -> None:
    client = backoffice()
    maria = patient_id(seeded, "Lopez")
    meds = (await client.prescriptions(maria)).prescriptions
    assert [(m.medication, m.refills_left) for m in meds] == [("Atorvastatin", 0),
                                                              ("Lisinopril", 2)]
    refill = await client.request_refill(maria, meds[1].id)
    assert (refill.status, refill.refills_left) == (RefillStatus.submitted, 1)
    renewal = await client.request_refill(maria, meds[0].id)
    assert renewal.status is RefillStatus.renewal_requested
    status = await client.refill_status(maria)
    assert [r.reference for r in status.requests] == [renewal.reference, refill.reference]
    with pytest.raises(NotFound):
        await client.request_refill(patient_id(seeded, "Carter"), meds[0].id)


async def test_wrong_token_or_no_answer_is_unavailable(
    seeded: Session, app, backoffice_down: Factory  # type: ignore[no-untyped-def]
) -> None:
    wrong = BackOfficeClient("http://backoffice.test", "nope",
                             transport=httpx.ASGITransport(app=app))
    with pytest.raises(BackOfficeUnavailable):
        await wrong.prescriptions(1)
    with pytest.raises(BackOfficeUnavailable):
        await backoffice_down().appointments(1)


async def test_timeouts_and_5xx_are_unavailable() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/statement"):
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(503, json={"detail": "down"})

    client = BackOfficeClient("http://backoffice.test", "t",
                              transport=httpx.MockTransport(boom))
    with pytest.raises(BackOfficeUnavailable):
        await client.statement(1)
    with pytest.raises(BackOfficeUnavailable):
        await client.refill_status(1)


async def test_conflict_without_a_code() -> None:
    client = BackOfficeClient("http://backoffice.test", "t", transport=httpx.MockTransport(
        lambda request: httpx.Response(409, text="nope")))
    with pytest.raises(Conflict) as conflict:
        await client.cancel_appointment(1, 2)
    assert conflict.value.code == "conflict"
