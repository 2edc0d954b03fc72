import hashlib
import re
from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice import billing, errors
from bot.backoffice.common import mask_identifier
from bot.backoffice.models import (
    BillingInquiry,
    Charge,
    ClaimStatus,
    DenialReason,
    InquiryKind,
    InsuranceUpdateRequest,
    Patient,
    PatientShareReason,
    Payment,
    PaymentLink,
    PaymentPlan,
    PaymentPlanHold,
    PaymentPlanStatus,
    RequestStatus,
)
from bot.backoffice.schemas import BillingInquiryCreate, InsuranceUpdateCreate
from bot.clock import clinic_today

BASE = "https://assistant.example.org"


def test_statement_itemizes_every_charge(seeded: Session, ids: dict[str, int]) -> None:
    today = clinic_today()
    statement = billing.get_statement(seeded, ids["Lopez"], today)
    assert statement.statement_date == today - timedelta(days=14)
    assert statement.due_date == today + timedelta(days=16)
    assert (statement.charges_cents, statement.payments_cents, statement.balance_cents) == (
        12540, 0, 12540)
    assert [(c.description, c.service_date, c.billed_cents, c.insurance_paid_cents,
             c.adjustment_cents, c.patient_cents, c.claim_status) for c in statement.charges] == [
        ("Office visit copay", today - timedelta(days=21), 15000, 11000, 0, 4000, ClaimStatus.paid),
        ("Lab work", today - timedelta(days=21), 21000, 12460, 0, 8540, ClaimStatus.paid),
    ]


def test_statement_says_what_each_part_is_for(seeded: Session, ids: dict[str, int]) -> None:
    lines = billing.get_statement(seeded, ids["Lopez"], clinic_today()).charges
    assert [(c.description, c.patient_share_reason, c.denial_reason) for c in lines] == [
        ("Office visit copay", PatientShareReason.copay, None),
        ("Lab work", PatientShareReason.deductible, None),
    ]
    [aisha] = billing.get_statement(seeded, ids["Khan"], clinic_today()).charges
    assert aisha.patient_share_reason is PatientShareReason.deductible
    [james] = billing.get_statement(seeded, ids["Carter"], clinic_today()).charges
    assert (james.patient_share_reason, james.denial_reason) == (None, None)  # still pending


@pytest.mark.parametrize("share,denial", [
    (PatientShareReason.coinsurance, None),
    (PatientShareReason.self_pay, None),
    *[(PatientShareReason.not_covered, d) for d in DenialReason],
])
def test_a_charge_carries_its_reason(
    seeded: Session, ids: dict[str, int], share: PatientShareReason, denial: DenialReason | None
) -> None:
    today = clinic_today()
    status = ClaimStatus.denied if share is PatientShareReason.not_covered else ClaimStatus.paid
    seeded.add(Charge(patient_id=ids["Lopez"], service_date=today - timedelta(days=5),
                      description="X-ray", billed_cents=30000, insurance_paid_cents=0,
                      patient_cents=30000, claim_status=status, patient_share_reason=share,
                      denial_reason=denial))
    seeded.commit()
    [found] = billing.find_charges(seeded, ids["Lopez"], words="x-ray").charges
    assert (found.patient_share_reason, found.denial_reason, found.claim_status) == (
        share, denial, status)
    [claim] = [c for c in billing.get_insurance(seeded, ids["Lopez"]).claims
               if c.description == "X-ray"]
    assert claim.denial_reason == denial


def test_statement_shows_a_claim_still_pending(seeded: Session, ids: dict[str, int]) -> None:
    statement = billing.get_statement(seeded, ids["Carter"], clinic_today())
    assert statement.balance_cents == 0
    assert statement.statement_date is None and statement.due_date is None
    [line] = statement.charges
    assert (line.description, line.billed_cents, line.patient_cents, line.adjustment_cents,
            line.claim_status) == ("Cardiology consult", 35000, 0, 0, ClaimStatus.pending)


def test_statement_of_unknown_patient(seeded: Session) -> None:
    with pytest.raises(errors.PatientNotFound):
        billing.get_statement(seeded, 999_999, clinic_today())


@pytest.mark.parametrize("kwargs,expected", [
    ({"amount_cents": 8500, "words": "the lab fee"}, ["Lab work"]),
    ({"amount_cents": 8500}, ["Lab work"]),  # "$85": a rounded figure
    ({"amount_cents": 8540}, ["Lab work"]),
    ({"amount_cents": 8541}, []),  # with cents it must be exact
    ({"amount_cents": 4000}, ["Office visit copay"]),
    ({"amount_cents": 15000}, ["Office visit copay"]),  # the billed amount
    ({"words": "blood test"}, ["Lab work"]),
    ({"words": "labs"}, ["Lab work"]),
    ({"words": "co-pay"}, ["Office visit copay"]),
    ({"words": "the copay for my visit"}, ["Office visit copay"]),
    ({"words": "what is this charge"}, ["Office visit copay", "Lab work"]),  # only filler
    ({"words": "x-ray"}, []),
    ({"amount_cents": 4000, "words": "lab"}, []),
])
def test_find_a_charge_the_patient_describes(
    seeded: Session, ids: dict[str, int], kwargs: dict[str, object], expected: list[str]
) -> None:
    found = billing.find_charges(seeded, ids["Lopez"], **kwargs)  # type: ignore[arg-type]
    assert [c.description for c in found.charges] == expected


def test_find_charges_by_month(seeded: Session, ids: dict[str, int]) -> None:
    visit = clinic_today() - timedelta(days=21)
    other_month = visit.month % 12 + 1
    by_month = billing.find_charges(seeded, ids["Lopez"], month=visit.month, year=visit.year)
    assert [c.description for c in by_month.charges] == ["Office visit copay", "Lab work"]
    assert billing.find_charges(seeded, ids["Lopez"], month=other_month).charges == []
    assert billing.find_charges(seeded, ids["Lopez"], year=visit.year + 1).charges == []


def test_find_charges_sees_only_the_patients_own(seeded: Session, ids: dict[str, int]) -> None:
    assert billing.find_charges(seeded, ids["Carter"], words="lab").charges == []
    assert [c.description for c in billing.find_charges(seeded, ids["Khan"]).charges] == [
        "Specialist visit"]


def test_billing_inquiry_gets_a_reference_once(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    lab = seeded.scalars(select(Charge).where(Charge.description == "Lab work")).one()
    body = BillingInquiryCreate(kind=InquiryKind.duplicate, charge_id=lab.id, note="billed twice")
    first = billing.record_billing_inquiry(seeded, ids["Lopez"], body, now)
    assert re.fullmatch(r"BI-[A-HJKMNP-Z2-9]{6}", first.reference)
    assert (first.kind, first.status.value, first.charge_id, first.response_business_days) == (
        InquiryKind.duplicate, "open", lab.id, 3)
    again = billing.record_billing_inquiry(seeded, ids["Lopez"], body, now)
    assert again.reference == first.reference
    dispute = billing.record_billing_inquiry(
        seeded, ids["Lopez"], BillingInquiryCreate(kind=InquiryKind.dispute), now)
    assert dispute.reference != first.reference and dispute.charge_id is None
    rows = seeded.scalars(select(BillingInquiry).order_by(BillingInquiry.id)).all()
    assert [(r.patient_id, r.kind, r.note) for r in rows] == [
        (ids["Lopez"], InquiryKind.duplicate, "billed twice"),
        (ids["Lopez"], InquiryKind.dispute, None),
    ]


def test_billing_inquiry_about_someone_elses_charge(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    aishas = seeded.scalars(select(Charge).where(Charge.patient_id == ids["Khan"])).one()
    with pytest.raises(errors.ChargeNotFound):
        billing.record_billing_inquiry(
            seeded, ids["Lopez"], BillingInquiryCreate(kind=InquiryKind.dispute,
                                                       charge_id=aishas.id), now)
    assert seeded.scalar(select(func.count()).select_from(BillingInquiry)) == 0


def test_payment_link_stores_only_a_hash(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    link = billing.create_payment_link(seeded, ids["Lopez"], now, BASE + "/")
    assert link.url.startswith(BASE + "/pay/")
    token = link.url.rsplit("/", 1)[1]
    assert len(token) >= 40
    assert (link.amount_cents, link.expires_at) == (12540, now + timedelta(minutes=30))
    row = seeded.scalars(select(PaymentLink)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, str(row.id))
    assert (row.patient_id, row.amount_cents, row.used_at) == (ids["Lopez"], 12540, None)


def test_no_payment_link_without_a_balance(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    with pytest.raises(errors.NothingOwed):
        billing.create_payment_link(seeded, ids["Carter"], now, BASE)


def test_a_payment_link_pays_once(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    token = billing.create_payment_link(seeded, ids["Lopez"], now, BASE).url.rsplit("/", 1)[1]
    assert billing.open_payment_link(seeded, token, now).amount_cents == 12540
    receipt = billing.pay_with_link(seeded, token, now + timedelta(minutes=5))
    assert re.fullmatch(r"PAY-[A-HJKMNP-Z2-9]{8}", receipt.reference)
    assert (receipt.amount_cents, receipt.balance_cents) == (12540, 0)
    payment = seeded.scalars(select(Payment)).one()
    assert (payment.patient_id, payment.amount_cents, payment.method) == (
        ids["Lopez"], 12540, "demo-link")
    with pytest.raises(errors.PaymentLinkUsed):
        billing.pay_with_link(seeded, token, now + timedelta(minutes=6))
    with pytest.raises(errors.PaymentLinkUsed):
        billing.open_payment_link(seeded, token, now + timedelta(minutes=6))
    assert seeded.scalar(select(func.count()).select_from(Payment)) == 1
    assert billing.get_statement(seeded, ids["Lopez"], clinic_today()).payments_cents == 12540


def test_a_payment_link_expires(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    token = billing.create_payment_link(seeded, ids["Lopez"], now, BASE).url.rsplit("/", 1)[1]
    later = now + timedelta(minutes=30)
    with pytest.raises(errors.PaymentLinkExpired):
        billing.open_payment_link(seeded, token, later)
    with pytest.raises(errors.PaymentLinkExpired):
        billing.pay_with_link(seeded, token, later)
    with pytest.raises(errors.PaymentLinkNotFound):
        billing.open_payment_link(seeded, "not-a-token", now)


def test_a_new_link_retires_the_old_one(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    old = billing.create_payment_link(seeded, ids["Lopez"], now, BASE).url.rsplit("/", 1)[1]
    new = billing.create_payment_link(seeded, ids["Lopez"], now + timedelta(minutes=1), BASE)
    with pytest.raises(errors.PaymentLinkExpired):
        billing.pay_with_link(seeded, old, now + timedelta(minutes=2))
    receipt = billing.pay_with_link(seeded, new.url.rsplit("/", 1)[1], now + timedelta(minutes=2))
    assert receipt.amount_cents == 12540


@pytest.mark.parametrize("balance,months,monthly,last", [
    (31000, 3, 10334, 10332), (31000, 6, 5167, 5165), (31000, 12, 2584, 2576),
    (12540, 3, 4180, 4180), (100, 3, 34, 32), (1, 3, 1, -1),
])
def test_plan_amounts_round_up_and_the_last_month_adjusts(
    balance: int, months: int, monthly: int, last: int
) -> None:
    option = billing.plan_option(balance, months)
    assert (option.monthly_cents, option.last_month_cents) == (monthly, last)
    assert option.monthly_cents * (months - 1) + option.last_month_cents == balance


def test_payment_plan_options(seeded: Session, ids: dict[str, int]) -> None:
    aisha = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (aisha.eligible, aisha.reason, aisha.balance_cents, aisha.active_plan) == (
        True, None, 31000, None)
    assert [(o.months, o.monthly_cents, o.last_month_cents) for o in aisha.options] == [
        (3, 10334, 10332), (6, 5167, 5165), (12, 2584, 2576)]
    maria = billing.payment_plan_options(seeded, ids["Lopez"], clinic_today())
    assert (maria.eligible, maria.reason, maria.options, maria.balance_cents,
            maria.minimum_cents, maria.hold) == (False, "below_minimum", [], 12540, 15000, None)


def _pay(session: Session, patient_id: int, cents: int, now: datetime) -> None:
    session.add(Payment(patient_id=patient_id, amount_cents=cents, paid_at=now, method="card",
                        reference=f"PAY-T{cents:07d}"))
    session.commit()


@pytest.mark.parametrize("paid,owed,reason", [
    (16000, 15000, None),  # exactly the minimum: a plan
    (16001, 14999, "below_minimum"),
])
def test_plans_need_the_minimum_balance(
    seeded: Session, ids: dict[str, int], now: datetime, paid: int, owed: int,
    reason: str | None
) -> None:
    _pay(seeded, ids["Khan"], paid, now)
    offer = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (offer.eligible, offer.reason, offer.balance_cents) == (reason is None, reason, owed)
    assert bool(offer.options) is (reason is None)


@pytest.mark.parametrize("hold", list(PaymentPlanHold))
@pytest.mark.parametrize("flag", [True, False])
def test_a_hold_on_the_account_is_the_reason(
    seeded: Session, ids: dict[str, int], now: datetime, hold: PaymentPlanHold, flag: bool
) -> None:
    aisha = seeded.get_one(Patient, ids["Khan"])
    aisha.payment_plan_hold, aisha.payment_plan_eligible = hold, flag
    seeded.commit()
    offer = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (offer.eligible, offer.reason, offer.hold, offer.options) == (
        False, "not_eligible", hold, [])
    with pytest.raises(errors.PaymentPlanUnavailable):
        billing.create_payment_plan(seeded, ids["Khan"], 3, clinic_today(), now)


def test_not_eligible_with_no_reason_recorded(seeded: Session, ids: dict[str, int]) -> None:
    aisha = seeded.get_one(Patient, ids["Khan"])
    aisha.payment_plan_eligible = False
    seeded.commit()
    offer = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (offer.eligible, offer.reason, offer.hold) == (False, "not_eligible", None)


def test_nothing_owed_comes_before_the_account(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    aisha = seeded.get_one(Patient, ids["Khan"])
    aisha.payment_plan_hold = PaymentPlanHold.in_collections
    _pay(seeded, ids["Khan"], 31000, now)
    offer = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (offer.reason, offer.hold) == ("no_balance", None)


def test_eligible_but_nothing_owed(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    seeded.add(Payment(patient_id=ids["Khan"], amount_cents=31000, paid_at=now, method="card",
                       reference="PAY-TEST0001"))
    seeded.commit()
    offer = billing.payment_plan_options(seeded, ids["Khan"], clinic_today())
    assert (offer.eligible, offer.reason, offer.balance_cents) == (False, "no_balance", 0)


def test_create_one_payment_plan(seeded: Session, ids: dict[str, int], now: datetime) -> None:
    today = clinic_today()
    plan = billing.create_payment_plan(seeded, ids["Khan"], 6, today, now)
    assert re.fullmatch(r"PP-[A-HJKMNP-Z2-9]{6}", plan.reference)
    assert (plan.months, plan.total_cents, plan.monthly_cents, plan.last_month_cents,
            plan.first_due_date, plan.status) == (
        6, 31000, 5167, 5165, today + relativedelta(months=1), PaymentPlanStatus.active)
    with pytest.raises(errors.PaymentPlanUnavailable):
        billing.create_payment_plan(seeded, ids["Khan"], 3, today, now)
    offer = billing.payment_plan_options(seeded, ids["Khan"], today)
    assert (offer.eligible, offer.reason) == (False, "active_plan")
    assert offer.active_plan is not None and offer.active_plan.reference == plan.reference
    with pytest.raises(errors.PaymentPlanUnavailable):
        billing.create_payment_plan(seeded, ids["Lopez"], 3, today, now)


def test_the_database_allows_one_active_plan(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    def plan(reference: str, status: PaymentPlanStatus) -> PaymentPlan:
        return PaymentPlan(patient_id=ids["Khan"], reference=reference, months=3,
                           total_cents=31000, monthly_cents=10334, last_month_cents=10332,
                           first_due_date=clinic_today(), status=status, created_at=now)

    seeded.add_all([plan("PP-AAAAAA", PaymentPlanStatus.active),
                    plan("PP-BBBBBB", PaymentPlanStatus.completed)])
    seeded.commit()
    seeded.add(plan("PP-CCCCCC", PaymentPlanStatus.active))
    with pytest.raises(IntegrityError):
        seeded.commit()
    seeded.rollback()


@pytest.mark.parametrize("value,masked", [
    ("BHH482913375", "********3375"), ("12345", "*2345"), ("1234", "****"), ("", ""),
])
def test_member_ids_show_only_the_last_four(value: str, masked: str) -> None:
    assert mask_identifier(value) == masked


def test_insurance_on_file_and_claims(seeded: Session, ids: dict[str, int]) -> None:
    maria = billing.get_insurance(seeded, ids["Lopez"])
    [policy] = maria.policies
    assert (policy.payer, policy.member_id_masked, policy.group_number, policy.plan_name,
            policy.is_primary) == (
        "Blue Harbor Health", "********3375", "GRP-20417", "Blue Harbor PPO Silver", True)
    assert "BHH482913375" not in maria.model_dump_json()
    assert [(c.description, c.claim_status) for c in maria.claims] == [
        ("Office visit copay", ClaimStatus.paid), ("Lab work", ClaimStatus.paid)]
    james = billing.get_insurance(seeded, ids["Carter"])
    assert [p.payer for p in james.policies] == ["Keystone Mutual"]
    assert [(c.description, c.claim_status) for c in james.claims] == [
        ("Cardiology consult", ClaimStatus.pending)]
    aisha = billing.get_insurance(seeded, ids["Khan"])
    assert [(p.payer, p.member_id_masked) for p in aisha.policies] == [
        ("Lakeshore Care Plan", "********6814")]


def test_new_insurance_is_a_request_with_next_steps(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    body = InsuranceUpdateCreate(payer=" Northwind Health ", member_id="NWH5550001234",
                                 group_number="NW-100")
    receipt = billing.request_insurance_update(seeded, ids["Lopez"], body, now)
    assert re.fullmatch(r"INS-[A-HJKMNP-Z2-9]{6}", receipt.reference)
    assert (receipt.status.value, receipt.payer, receipt.member_id_masked,
            receipt.response_business_days) == ("open", "Northwind Health", "*********1234", 2)
    assert receipt.next_steps[0] == ("Our registration team verifies the coverage with "
                                     "Northwind Health within 2 business days.")
    assert len(receipt.next_steps) == 3
    row = seeded.scalars(select(InsuranceUpdateRequest)).one()
    assert (row.patient_id, row.member_id, row.group_number) == (
        ids["Lopez"], "NWH5550001234", "NW-100")
    bare = billing.request_insurance_update(seeded, ids["Khan"], InsuranceUpdateCreate(), now)
    assert bare.member_id_masked is None and "your new insurer" in bare.next_steps[0]


def test_open_billing_inquiries_and_insurance_updates(
    seeded: Session, ids: dict[str, int], now: datetime
) -> None:
    dispute = billing.record_billing_inquiry(
        seeded, ids["Lopez"], BillingInquiryCreate(kind=InquiryKind.dispute), now)
    answered = billing.record_billing_inquiry(
        seeded, ids["Lopez"], BillingInquiryCreate(kind=InquiryKind.question), now)
    seeded.scalars(select(BillingInquiry).where(
        BillingInquiry.reference == answered.reference)).one().status = RequestStatus.resolved
    coverage = billing.request_insurance_update(
        seeded, ids["Lopez"], InsuranceUpdateCreate(payer="Acme Health"), now)
    seeded.commit()
    assert [(i.reference, i.kind) for i in billing.open_billing_inquiries(
        seeded, ids["Lopez"])] == [(dispute.reference, InquiryKind.dispute)]
    assert [(u.reference, u.payer) for u in billing.open_insurance_updates(
        seeded, ids["Lopez"])] == [(coverage.reference, "Acme Health")]
    assert billing.open_billing_inquiries(seeded, ids["Carter"]) == []
    assert billing.open_insurance_updates(seeded, ids["Carter"]) == []
