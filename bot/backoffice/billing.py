"""Billing verbs: statement, finding a charge the patient describes, inquiries, payment links,
payment plans and insurance. Every verb is scoped to one patient; money is integer cents."""

from __future__ import annotations

import difflib
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast

from dateutil.relativedelta import relativedelta
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.backoffice.common import local, mask_identifier, new_reference, require_patient
from bot.backoffice.errors import (
    ChargeNotFound,
    NothingOwed,
    PaymentLinkExpired,
    PaymentLinkNotFound,
    PaymentLinkUsed,
    PaymentPlanUnavailable,
)
from bot.backoffice.models import (
    BillingInquiry,
    Charge,
    ClaimStatus,
    InquiryKind,
    InsurancePolicy,
    InsuranceUpdateRequest,
    Invoice,
    Payment,
    PaymentLink,
    PaymentPlan,
    PaymentPlanStatus,
    RequestStatus,
)
from bot.backoffice.schemas import (
    CHARGE_FILLER_WORDS,
    BillingInquiryCreate,
    BillingInquiryReceipt,
    ChargeDetail,
    ChargeMatches,
    ClaimLine,
    InsurancePolicyInfo,
    InsuranceSummary,
    InsuranceUpdateCreate,
    InsuranceUpdateReceipt,
    PaymentLinkInfo,
    PaymentPlanInfo,
    PaymentPlanOption,
    PaymentPlanOptions,
    PaymentReceipt,
    PlanBlocker,
    Statement,
)
from bot.backoffice.service import get_balance, paid_cents

PAYMENT_LINK_TTL = timedelta(minutes=30)
PLAN_MONTHS = (3, 6, 12)
# The smallest balance a plan is set up for; a smaller one is paid at once (or billing is
# asked). The demo seed relies on it: $125.40 is below, $310.00 is not.
PLAN_MINIMUM_CENTS = 15_000
INQUIRY_RESPONSE_BUSINESS_DAYS = 3
INSURANCE_RESPONSE_BUSINESS_DAYS = 2


# --- statement and charges -----------------------------------------------------------------


def _charges(session: Session, patient_id: int) -> list[tuple[Charge, Invoice | None]]:
    rows = session.execute(
        select(Charge, Invoice)
        .outerjoin(Invoice, Invoice.id == Charge.invoice_id)
        .where(Charge.patient_id == patient_id)
        .order_by(Charge.service_date, Charge.id)
    ).all()
    return [(charge, invoice) for charge, invoice in rows]


def _detail(charge: Charge, invoice: Invoice | None) -> ChargeDetail:
    return ChargeDetail(
        id=charge.id,
        service_date=charge.service_date,
        description=charge.description,
        billed_cents=charge.billed_cents,
        insurance_paid_cents=charge.insurance_paid_cents,
        # The insurer's contractual discount exists only once it has paid the claim.
        adjustment_cents=max(
            charge.billed_cents - charge.insurance_paid_cents - charge.patient_cents, 0
        )
        if charge.claim_status == ClaimStatus.paid
        else 0,
        patient_cents=charge.patient_cents,
        claim_status=charge.claim_status,
        statement_date=invoice.statement_date if invoice else None,
        due_date=invoice.due_date if invoice else None,
        patient_share_reason=charge.patient_share_reason,
        denial_reason=charge.denial_reason,
    )


def get_statement(session: Session, patient_id: int, today: date) -> Statement:
    """Every charge line, including ones insurance is still deciding on, and what was paid."""
    require_patient(session, patient_id)
    rows = _charges(session, patient_id)
    balance = get_balance(session, patient_id, today)
    statement_dates = [inv.statement_date for _, inv in rows if inv is not None]
    return Statement(
        patient_id=patient_id,
        statement_date=max(statement_dates) if statement_dates else None,
        due_date=balance.due_date,
        charges=[_detail(c, inv) for c, inv in rows],
        charges_cents=sum(c.patient_cents for c, _ in rows),
        payments_cents=paid_cents(session, patient_id),
        balance_cents=balance.amount_cents,
    )


# What patients call a charge -> the word our descriptions use.
_CHARGE_SYNONYMS = {
    "labs": "lab", "laboratory": "lab", "bloodwork": "lab", "blood": "lab", "test": "lab",
    "tests": "lab", "copayment": "copay", "co-pay": "copay", "appointment": "visit",
    "checkup": "visit", "check-up": "visit", "exam": "visit", "consultation": "consult",
}


def _canonical_tokens(text: str) -> list[str]:
    tokens = re.findall(r"[a-z][a-z-]*", text.lower())
    return [_CHARGE_SYNONYMS.get(t, t) for t in tokens if t not in CHARGE_FILLER_WORDS]


def _words_match(wanted: list[str], description: str) -> bool:
    have = _canonical_tokens(description)
    for word in wanted:
        for token in have:
            if word == token or (len(word) >= 3 and token.startswith(word)):
                return True
            if len(word) >= 4 and difflib.SequenceMatcher(None, word, token).ratio() >= 0.8:
                return True
    return False


def _amount_matches(spoken: int, charge: Charge) -> bool:
    """"$85.40" must match to the cent; "$85" is a rounded figure and matches within a dollar."""
    amounts = (charge.patient_cents, charge.billed_cents, charge.insurance_paid_cents)
    if spoken % 100:
        return spoken in amounts
    return any(abs(amount - spoken) < 100 for amount in amounts if amount)


def find_charges(
    session: Session,
    patient_id: int,
    *,
    amount_cents: int | None = None,
    words: str | None = None,
    month: int | None = None,
    year: int | None = None,
) -> ChargeMatches:
    """The charges a patient is pointing at ("the $85 lab fee", "the one from March").

    Each hint given narrows the list; a hint with no content (only filler words) is ignored.
    """
    require_patient(session, patient_id)
    wanted = _canonical_tokens(words or "")
    found = []
    for charge, invoice in _charges(session, patient_id):
        if amount_cents is not None and not _amount_matches(amount_cents, charge):
            continue
        if month is not None and charge.service_date.month != month:
            continue
        if year is not None and charge.service_date.year != year:
            continue
        if wanted and not _words_match(wanted, charge.description):
            continue
        found.append(_detail(charge, invoice))
    return ChargeMatches(charges=found)


def record_billing_inquiry(
    session: Session, patient_id: int, body: BillingInquiryCreate, now: datetime
) -> BillingInquiryReceipt:
    """A billing specialist reviews it; asking twice about the same thing is one inquiry."""
    require_patient(session, patient_id)
    if body.charge_id is not None:
        charge = session.get(Charge, body.charge_id)
        if charge is None or charge.patient_id != patient_id:
            raise ChargeNotFound()
    inquiry = session.scalar(
        select(BillingInquiry).where(
            BillingInquiry.patient_id == patient_id,
            BillingInquiry.kind == body.kind,
            BillingInquiry.charge_id.is_(None)
            if body.charge_id is None
            else BillingInquiry.charge_id == body.charge_id,
            BillingInquiry.status == RequestStatus.open,
        )
    )
    if inquiry is None:
        inquiry = BillingInquiry(
            patient_id=patient_id,
            charge_id=body.charge_id,
            kind=body.kind,
            status=RequestStatus.open,
            reference=new_reference(session, "BI", BillingInquiry.reference),
            note=body.note,
            created_at=now,
        )
        session.add(inquiry)
        session.commit()
    return _inquiry_receipt(inquiry)


def _inquiry_receipt(inquiry: BillingInquiry) -> BillingInquiryReceipt:
    return BillingInquiryReceipt(
        reference=inquiry.reference,
        kind=InquiryKind(inquiry.kind),
        status=inquiry.status,
        charge_id=inquiry.charge_id,
        created_at=inquiry.created_at,
        response_business_days=INQUIRY_RESPONSE_BUSINESS_DAYS,
    )


def open_billing_inquiries(session: Session, patient_id: int) -> list[BillingInquiryReceipt]:
    """The patient's billing inquiries a specialist has not answered yet, oldest first."""
    return [_inquiry_receipt(i) for i in _open_requests(session, patient_id, BillingInquiry)]


_Request = TypeVar("_Request", BillingInquiry, InsuranceUpdateRequest)


def _open_requests(session: Session, patient_id: int, kind: type[_Request]
                   ) -> Sequence[_Request]:
    """The patient's requests of one kind that a person still has to work, oldest first."""
    require_patient(session, patient_id)
    return session.scalars(
        select(kind)
        .where(kind.patient_id == patient_id, kind.status == RequestStatus.open)
        .order_by(kind.created_at, kind.id)
    ).all()


# --- payment links -------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_payment_link(
    session: Session,
    patient_id: int,
    now: datetime,
    base_url: str,
    ttl: timedelta = PAYMENT_LINK_TTL,
) -> PaymentLinkInfo:
    """A single-use link for the balance due now. Older open links stop working, so one
    balance cannot be paid twice from two texts."""
    require_patient(session, patient_id)
    owed = get_balance(session, patient_id, local(now).date()).amount_cents
    if owed <= 0:
        raise NothingOwed()
    session.execute(
        update(PaymentLink)
        .where(
            PaymentLink.patient_id == patient_id,
            PaymentLink.used_at.is_(None),
            PaymentLink.expires_at > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(32)
    link = PaymentLink(
        patient_id=patient_id,
        token_hash=hash_token(token),
        amount_cents=owed,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(link)
    session.commit()
    return PaymentLinkInfo(
        url=f"{base_url.rstrip('/')}/pay/{token}", amount_cents=owed, expires_at=link.expires_at
    )


@dataclass(frozen=True)
class OpenPaymentLink:
    """What the payment page may show: the amount, and nothing else about the patient."""

    amount_cents: int
    expires_at: datetime


def _usable_link(session: Session, token: str, now: datetime) -> PaymentLink:
    link = session.scalar(select(PaymentLink).where(PaymentLink.token_hash == hash_token(token)))
    if link is None:
        raise PaymentLinkNotFound()
    if link.used_at is not None:
        raise PaymentLinkUsed()
    if link.expires_at <= now:
        raise PaymentLinkExpired()
    return link


def open_payment_link(session: Session, token: str, now: datetime) -> OpenPaymentLink:
    link = _usable_link(session, token, now)
    return OpenPaymentLink(amount_cents=link.amount_cents, expires_at=link.expires_at)


def pay_with_link(
    session: Session, token: str, now: datetime, method: str = "demo-link"
) -> PaymentReceipt:
    """Uses the link once (a conditional UPDATE, so two clicks cannot both pay) and records
    the payment, never more than what is owed at that moment."""
    link = _usable_link(session, token, now)
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(PaymentLink)
            .where(
                PaymentLink.id == link.id,
                PaymentLink.used_at.is_(None),
                PaymentLink.expires_at > now,
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if claimed.rowcount != 1:  # another request used (or a new link retired) it meanwhile
        session.rollback()
        raise PaymentLinkUsed()
    owed = get_balance(session, link.patient_id, local(now).date()).amount_cents
    amount = min(link.amount_cents, owed)
    reference = ""
    if amount > 0:
        payment = Payment(
            patient_id=link.patient_id,
            amount_cents=amount,
            paid_at=now,
            method=method,
            reference=new_reference(session, "PAY", Payment.reference, length=8),
        )
        session.add(payment)
        session.flush()
        link.payment_id = payment.id
        reference = payment.reference
    session.commit()
    return PaymentReceipt(
        reference=reference,
        amount_cents=amount,
        paid_at=now,
        balance_cents=get_balance(session, link.patient_id, local(now).date()).amount_cents,
    )


# --- payment plans -------------------------------------------------------------------------


def plan_option(balance_cents: int, months: int) -> PaymentPlanOption:
    """Equal monthly amounts rounded up to the cent; the last month takes the difference."""
    monthly = -(-balance_cents // months)
    return PaymentPlanOption(
        months=months,
        monthly_cents=monthly,
        last_month_cents=balance_cents - monthly * (months - 1),
    )


def _plan_info(plan: PaymentPlan) -> PaymentPlanInfo:
    return PaymentPlanInfo(
        reference=plan.reference,
        months=plan.months,
        total_cents=plan.total_cents,
        monthly_cents=plan.monthly_cents,
        last_month_cents=plan.last_month_cents,
        first_due_date=plan.first_due_date,
        status=plan.status,
    )


def payment_plan_options(session: Session, patient_id: int, today: date) -> PaymentPlanOptions:
    """Whether a plan can be offered, and the 3, 6 and 12 month choices when it can.

    The reason when it cannot, in this order: a plan already running, nothing owed, the
    account (no eligibility, or a hold billing recorded), a balance under the minimum.
    """
    patient = require_patient(session, patient_id)
    owed = get_balance(session, patient_id, today).amount_cents
    active = session.scalar(
        select(PaymentPlan).where(
            PaymentPlan.patient_id == patient_id, PaymentPlan.status == PaymentPlanStatus.active
        )
    )
    reason: PlanBlocker | None = None
    if active is not None:
        reason = "active_plan"
    elif owed <= 0:
        reason = "no_balance"
    elif patient.payment_plan_hold is not None or not patient.payment_plan_eligible:
        reason = "not_eligible"
    elif owed < PLAN_MINIMUM_CENTS:
        reason = "below_minimum"
    options = [] if reason else [plan_option(owed, m) for m in PLAN_MONTHS]
    return PaymentPlanOptions(
        eligible=reason is None,
        reason=reason,
        balance_cents=owed,
        # A tiny balance over many months would leave the last month at zero or less.
        options=[o for o in options if o.last_month_cents > 0],
        active_plan=_plan_info(active) if active else None,
        minimum_cents=PLAN_MINIMUM_CENTS,
        hold=patient.payment_plan_hold if reason == "not_eligible" else None,
    )


def create_payment_plan(
    session: Session, patient_id: int, months: int, today: date, now: datetime
) -> PaymentPlanInfo:
    """Called only after the patient said yes; one active plan per patient (index-enforced)."""
    offer = payment_plan_options(session, patient_id, today)
    if not offer.eligible:
        raise PaymentPlanUnavailable(offer.reason)
    option = next((o for o in offer.options if o.months == months), None)
    if option is None:
        raise PaymentPlanUnavailable(f"no {months}-month plan for this balance")
    plan = PaymentPlan(
        patient_id=patient_id,
        reference=new_reference(session, "PP", PaymentPlan.reference),
        months=months,
        total_cents=offer.balance_cents,
        monthly_cents=option.monthly_cents,
        last_month_cents=option.last_month_cents,
        first_due_date=today + relativedelta(months=1),
        status=PaymentPlanStatus.active,
        created_at=now,
    )
    session.add(plan)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise PaymentPlanUnavailable("active_plan") from None
    return _plan_info(plan)


# --- insurance -----------------------------------------------------------------------------


def get_insurance(session: Session, patient_id: int) -> InsuranceSummary:
    """Coverage on file (member ID masked) and where each charge's claim stands."""
    require_patient(session, patient_id)
    policies = session.scalars(
        select(InsurancePolicy)
        .where(InsurancePolicy.patient_id == patient_id, InsurancePolicy.active.is_(True))
        .order_by(InsurancePolicy.is_primary.desc(), InsurancePolicy.id)
    )
    return InsuranceSummary(
        patient_id=patient_id,
        policies=[
            InsurancePolicyInfo(
                payer=p.payer,
                member_id_masked=mask_identifier(p.member_id),
                group_number=p.group_number,
                plan_name=p.plan_name,
                is_primary=p.is_primary,
            )
            for p in policies
        ],
        claims=[
            ClaimLine(
                charge_id=c.id,
                service_date=c.service_date,
                description=c.description,
                billed_cents=c.billed_cents,
                insurance_paid_cents=c.insurance_paid_cents,
                claim_status=c.claim_status,
                denial_reason=c.denial_reason,
            )
            for c, _ in _charges(session, patient_id)
        ],
    )


def request_insurance_update(
    session: Session, patient_id: int, body: InsuranceUpdateCreate, now: datetime
) -> InsuranceUpdateReceipt:
    """New coverage is recorded as a request: registration verifies it before claims use it."""
    require_patient(session, patient_id)
    request = InsuranceUpdateRequest(
        patient_id=patient_id,
        reference=new_reference(session, "INS", InsuranceUpdateRequest.reference),
        payer=(body.payer or "").strip() or None,
        member_id=(body.member_id or "").strip() or None,
        group_number=(body.group_number or "").strip() or None,
        note=body.note,
        status=RequestStatus.open,
        created_at=now,
    )
    session.add(request)
    session.commit()
    return _insurance_receipt(request)


def open_insurance_updates(session: Session, patient_id: int) -> list[InsuranceUpdateReceipt]:
    """New coverage the patient gave that registration has not verified yet, oldest first."""
    return [_insurance_receipt(r)
            for r in _open_requests(session, patient_id, InsuranceUpdateRequest)]


def _insurance_receipt(request: InsuranceUpdateRequest) -> InsuranceUpdateReceipt:
    insurer = request.payer or "your new insurer"
    return InsuranceUpdateReceipt(
        reference=request.reference,
        status=request.status,
        payer=request.payer,
        member_id_masked=mask_identifier(request.member_id) if request.member_id else None,
        created_at=request.created_at,
        response_business_days=INSURANCE_RESPONSE_BUSINESS_DAYS,
        next_steps=[
            f"Our registration team verifies the coverage with {insurer} within "
            f"{INSURANCE_RESPONSE_BUSINESS_DAYS} business days.",
            "Open claims are re-sent to the new plan once it is verified.",
            "Please bring your new insurance card to your next visit.",
        ],
    )
