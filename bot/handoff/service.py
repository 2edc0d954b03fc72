"""Handoff verbs: request, queue, accept, close. The transcript they carry is
`bot.conversations.transcript`'s; the patient summary is read through the back office."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit import service as audit
from bot.backoffice import billing, pharmacy, scheduling
from bot.backoffice import service as backoffice
from bot.backoffice.common import require_patient
from bot.backoffice.errors import PatientNotFound
from bot.backoffice.models import InquiryKind, RefillStatus
from bot.backoffice.schemas import PaymentPlanOptions
from bot.handoff.models import Disposition, Handoff, HandoffStatus, Urgency
from bot.insights import record as insights
from bot.handoff.schemas import (
    HandoffRequest,
    OpenRequest,
    PatientSummary,
    QueueItem,
    SummaryAppointment,
    SummaryPrescription,
)
from bot.senders import channel_of
from bot.settings import get_settings
from bot.text import money

MINUTES_PER_PLACE = 3
VERIFICATION_METHOD = {"sms": "number on file + date of birth",
                       "web": "full name + date of birth + ZIP code"}


class HandoffNotFound(LookupError):
    pass


class HandoffConflict(RuntimeError):
    """Someone else got there first (accepted, or already closed)."""


class NotYourHandoff(PermissionError):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                Handoff.status != HandoffStatus.closed))


def get(session: Session, handoff_id: int) -> Handoff:
    # populate_existing: conditional updates elsewhere change rows behind the identity map.
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None:
        raise HandoffNotFound(handoff_id)
    return handoff


def chat_state(session: Session, conversation_id: str) -> tuple[str, str | None]:
    """("bot" | "waiting" | "agent", the agent's name): what the patient's chat shows."""
    handoff = open_handoff(session, conversation_id)
    if handoff is None:
        return "bot", None
    if handoff.status is not HandoffStatus.active or handoff.accepted_by is None:
        return "waiting", None
    agent = session.get(Agent, handoff.accepted_by)
    return "agent", agent.display_name if agent else None


_REFILL_WORDS = {RefillStatus.submitted: "Refill sent to pharmacy",
                 RefillStatus.renewal_requested: "Renewal asked of prescriber"}
_INQUIRY_WORDS = {InquiryKind.duplicate: "question: billed twice",
                  InquiryKind.dispute: "dispute", InquiryKind.question: "question"}


_HOLD_WORDS = {"in_collections": "in collections", "plan_defaulted": "an earlier plan defaulted",
               "assistance_pending": "financial assistance application open",
               "under_review": "account under review by billing"}


def _plan_words(plan: PaymentPlanOptions) -> str:
    """Payment-plan eligibility as the desk's context card says it (desk tools)."""
    if plan.eligible:
        months = [str(o.months) for o in plan.options]
        return "Eligible: " + (", ".join(months[:-1]) + " or " + months[-1]
                               if len(months) > 1 else "".join(months)) + " months"
    if plan.reason == "active_plan" and plan.active_plan:
        return (f"On a plan: {plan.active_plan.months} months, "
                f"{money(plan.active_plan.monthly_cents)} a month")
    if plan.reason == "no_balance":
        return "Nothing owed"
    if plan.reason == "below_minimum":
        return f"Not eligible: balance under the {money(plan.minimum_cents)} minimum"
    if plan.hold is not None:
        return f"Not eligible: {_HOLD_WORDS.get(plan.hold.value, plan.hold.value)}"
    return "Not eligible (no reason recorded)"


def patient_summary(session: Session, patient_id: int, now: datetime, today: date
                    ) -> PatientSummary | None:
    """The minimum an agent needs to help without asking again, read once at handoff time
    through the back office's own verbs (so "upcoming" and "open" mean what they mean to the
    patient)."""
    try:
        patient = require_patient(session, patient_id)
    except PatientNotFound:
        return None
    balance = backoffice.get_balance(session, patient_id, today)
    plan = billing.payment_plan_options(session, patient_id, today)
    refills = pharmacy.open_refill_requests(session, patient_id, now).requests
    return PatientSummary(
        name=patient.full_name,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
        mrn=patient.mrn,
        balance_cents=balance.amount_cents,
        balance_overdue=balance.overdue,
        balance_due_date=balance.due_date,
        payment_plan_eligible=plan.eligible,
        payment_plan=_plan_words(plan),
        upcoming_appointments=[
            SummaryAppointment(starts_at=a.starts_at, provider=a.provider_name,
                               location=a.location)
            for a in scheduling.upcoming_appointments(session, patient_id, now).appointments
        ],
        active_prescriptions=[
            SummaryPrescription(medication=f"{rx.medication} {rx.strength}",
                                refills_left=rx.refills_left)
            for rx in pharmacy.active_prescriptions(session, patient_id, now).prescriptions
        ],
        # Each in words an agent reads at a glance: what, about what, where it stands.
        open_requests=[
            OpenRequest(reference=r.reference, status=r.status.value,
                        what=f"{_REFILL_WORDS[r.status]}: {r.medication} {r.strength}")
            for r in refills
        ] + [
            OpenRequest(reference=i.reference, status=i.status.value,
                        what=f"Billing {_INQUIRY_WORDS[i.kind]}, open")
            for i in billing.open_billing_inquiries(session, patient_id)
        ] + [
            OpenRequest(reference=u.reference, status=u.status.value,
                        what="New insurance to verify" + (f" ({u.payer})" if u.payer else ""))
            for u in billing.open_insurance_updates(session, patient_id)
        ],
    )


def waiting_position(session: Session, handoff: Handoff) -> int:
    """1-based place in line: urgent first, then by arrival."""
    waiting = session.scalars(
        select(Handoff.id)
        .where(Handoff.status == HandoffStatus.waiting)
        .order_by(Handoff.urgency_rank.desc(), Handoff.created_at, Handoff.id)
    ).all()
    return waiting.index(handoff.id) + 1 if handoff.id in waiting else 0


def request_handoff(session: Session, req: HandoffRequest, today: date) -> tuple[Handoff, bool]:
    """Opens a handoff, or returns the open one (raising its urgency if needed).

    Returns the handoff and whether it is new.
    """
    existing = open_handoff(session, req.conversation_id)
    if existing is not None:
        if req.urgency is Urgency.urgent and existing.urgency is not Urgency.urgent:
            existing.urgency, existing.urgency_rank = Urgency.urgent, 1
            session.commit()
        return existing, False
    channel = channel_of(req.conversation_id)
    verified = bool(req.verified and req.patient_id)
    summary = (patient_summary(session, req.patient_id, now(), today)
               if verified and req.patient_id else None)
    stored = summary.model_dump(mode="json") if summary is not None else None
    handoff = Handoff(
        conversation_id=req.conversation_id,
        channel=channel,
        phone=req.conversation_id.removeprefix("sms:") if channel == "sms" else None,
        status=HandoffStatus.waiting,
        urgency=req.urgency,
        urgency_rank=1 if req.urgency is Urgency.urgent else 0,
        reason=req.reason,
        verified=verified,
        verification_method=VERIFICATION_METHOD.get(channel) if verified else None,
        patient_id=req.patient_id if verified else None,
        intents=req.intents[-20:],
        slots={k: v for k, v in req.slots.items() if k in {"pending_request", "verified"}},
        summary=stored,
        created_at=now(),
    )
    session.add(handoff)
    if stored is not None:
        audit.record(session, actor_type="system", actor_id="handoff", patient_id=req.patient_id,
                     action="handoff_summary", fields=sorted(stored), reason=req.reason)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request opened one first
        session.rollback()
        found = open_handoff(session, req.conversation_id)
        if found is None:
            raise
        return found, False
    insights.handoff_requested(session, handoff)
    return handoff, True


def raise_urgency(session: Session, handoff_id: int) -> None:
    session.execute(update(Handoff).where(Handoff.id == handoff_id)
                    .values(urgency=Urgency.urgent, urgency_rank=1))
    session.commit()


def ticket_wait_minutes(position: int) -> int:
    return max(1, position * MINUTES_PER_PLACE)


def patient_label(handoff: Handoff) -> str:
    """What the queue shows: the name once verified, else only the channel and a hint."""
    if handoff.summary and handoff.summary.get("name"):
        return str(handoff.summary["name"])
    if handoff.phone:
        return f"Unverified, SMS …{handoff.phone[-4:]}"
    return "Unverified web visitor"


def queue(session: Session) -> list[QueueItem]:
    rows = session.execute(
        select(Handoff, Agent.display_name)
        .outerjoin(Agent, Agent.id == Handoff.accepted_by)
        .where(Handoff.status != HandoffStatus.closed)
        .order_by(Handoff.urgency_rank.desc(), Handoff.created_at, Handoff.id)
    ).all()
    return [queue_item(h, name) for h, name in rows]


def queue_item(handoff: Handoff, agent_name: str | None) -> QueueItem:
    return QueueItem(id=handoff.id, status=handoff.status, channel=handoff.channel,
                     urgency=handoff.urgency, reason=handoff.reason,
                     patient=patient_label(handoff), waiting_since=handoff.created_at,
                     accepted_by=agent_name)


def context(handoff: Handoff, agent_name: str | None) -> dict[str, Any]:
    return {
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "phone": handoff.phone,
        "reason": handoff.reason,
        "urgency": handoff.urgency.value,
        "verified": handoff.verified,
        "verification_method": handoff.verification_method,
        "intents": handoff.intents,
        "slots": handoff.slots,
        "patient": handoff.summary,
        "waiting_since": handoff.created_at.isoformat(),
        "accepted_by": agent_name,
        "clinic_timezone": get_settings().clinic_timezone,
    }


def view(session: Session, handoff_id: int, agent: Agent) -> Handoff:
    """An agent opens the handoff, its transcript and the patient's summary: audited."""
    handoff = get(session, handoff_id)
    audit.record(session, actor_type="agent", actor_id=str(agent.id),
                 patient_id=handoff.patient_id, action="view_handoff",
                 fields=["transcript", *sorted(handoff.summary or {})],
                 reason=f"handoff {handoff.id}: {handoff.reason}")
    session.commit()
    return handoff


def accept(session: Session, handoff_id: int, agent: Agent) -> Handoff:
    """Race-free: the conditional update lets exactly one agent win."""
    get(session, handoff_id)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.waiting)
        .values(status=HandoffStatus.active, accepted_by=agent.id, accepted_at=now())
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise HandoffConflict(handoff_id)
    insights.handoff_accepted(session, handoff_id)
    return get(session, handoff_id)


def require_owner(session: Session, handoff_id: int, agent: Agent) -> Handoff:
    handoff = get(session, handoff_id)
    if handoff.status is not HandoffStatus.active:
        raise HandoffConflict(handoff_id)
    if handoff.accepted_by != agent.id:
        raise NotYourHandoff(handoff_id)
    return handoff


def close(session: Session, handoff_id: int, agent: Agent, disposition: Disposition) -> Handoff:
    handoff = get(session, handoff_id)
    if handoff.accepted_by not in (None, agent.id):
        raise NotYourHandoff(handoff_id)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status != HandoffStatus.closed)
        .values(status=HandoffStatus.closed, closed_at=now(), disposition=disposition,
                accepted_by=agent.id)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise HandoffConflict(handoff_id)
    session.refresh(handoff)
    insights.handoff_closed(session, handoff)
    return handoff
