"""Handoff verbs: request, queue, accept, close; and the transcript they carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.audit import service as audit
from bot.backoffice import service as backoffice
from bot.backoffice.models import (
    Appointment,
    AppointmentStatus,
    BillingInquiry,
    InquiryKind,
    InsuranceUpdateRequest,
    Patient,
    Prescription,
    Provider,
    RefillRequest,
    RefillStatus,
    RequestStatus,
)
from bot.conversations.models import TranscriptEntry
from bot.desk.models import Agent
from bot.handoff.models import Disposition, Handoff, HandoffStatus, Urgency
from bot.handoff.schemas import HandoffRequest, QueueItem, TranscriptItem
from bot.settings import get_settings

MINUTES_PER_PLACE = 3
TRANSCRIPT_WINDOW = timedelta(hours=24)
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


def channel_of(conversation_id: str) -> str:
    return conversation_id.split(":", 1)[0]


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                Handoff.status != HandoffStatus.closed))


def get(session: Session, handoff_id: int) -> Handoff:
    # populate_existing: conditional updates elsewhere change rows behind the identity map.
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None:
        raise HandoffNotFound(handoff_id)
    return handoff


def record_entry(
    session: Session, conversation_id: str, role: str, text: str, at: datetime | None = None,
    handoff_id: int | None = None, agent_id: int | None = None,
) -> TranscriptEntry:
    entry = TranscriptEntry(conversation_id=conversation_id, channel=channel_of(conversation_id),
                            role=role, text=text, at=at or now(), handoff_id=handoff_id,
                            agent_id=agent_id)
    session.add(entry)
    session.commit()
    return entry


def record_turn(session: Session, conversation_id: str, patient_text: str, received: datetime,
                bot_texts: list[str]) -> None:
    """A patient's message and the bot's replies, written in one transaction."""
    channel = channel_of(conversation_id)
    answered = now()
    session.add(TranscriptEntry(conversation_id=conversation_id, channel=channel,
                                role="patient", text=patient_text, at=received))
    session.add_all(TranscriptEntry(conversation_id=conversation_id, channel=channel,
                                    role="bot", text=text, at=answered) for text in bot_texts)
    session.commit()


def chat_state(session: Session, conversation_id: str) -> tuple[str, str | None]:
    """("bot" | "waiting" | "agent", the agent's name): what the patient's chat shows."""
    handoff = open_handoff(session, conversation_id)
    if handoff is None:
        return "bot", None
    if handoff.status is not HandoffStatus.active or handoff.accepted_by is None:
        return "waiting", None
    agent = session.get(Agent, handoff.accepted_by)
    return "agent", agent.display_name if agent else None


def transcript(session: Session, conversation_id: str, since: datetime | None = None
               ) -> list[TranscriptItem]:
    since = since or now() - TRANSCRIPT_WINDOW
    rows = session.scalars(
        select(TranscriptEntry)
        .where(TranscriptEntry.conversation_id == conversation_id, TranscriptEntry.at >= since)
        .order_by(TranscriptEntry.at, TranscriptEntry.id)
    )
    return [TranscriptItem(role=r.role, text=r.text, at=r.at, channel=r.channel) for r in rows]


_REFILL_WORDS = {RefillStatus.submitted: "Refill sent to pharmacy",
                 RefillStatus.renewal_requested: "Renewal asked of prescriber"}
_INQUIRY_WORDS = {InquiryKind.duplicate: "question: billed twice",
                  InquiryKind.dispute: "dispute", InquiryKind.question: "question"}


def patient_summary(session: Session, patient_id: int, today: date) -> dict[str, Any]:
    """The minimum an agent needs to help without asking again, read once at handoff time."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        return {}
    appointments = session.execute(
        select(Appointment, Provider)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(Appointment.patient_id == patient_id,
               Appointment.status == AppointmentStatus.booked,
               Appointment.starts_at >= now())
        .order_by(Appointment.starts_at)
    ).all()
    prescriptions = session.scalars(
        select(Prescription).where(Prescription.patient_id == patient_id,
                                   Prescription.active.is_(True))
    ).all()
    open_refills = session.execute(
        select(RefillRequest, Prescription)
        .join(Prescription, Prescription.id == RefillRequest.prescription_id)
        .where(
            RefillRequest.patient_id == patient_id,
            RefillRequest.status.in_([RefillStatus.submitted, RefillStatus.renewal_requested]),
        )
        .order_by(RefillRequest.created_at)
    ).all()
    open_inquiries = session.scalars(
        select(BillingInquiry).where(BillingInquiry.patient_id == patient_id,
                                     BillingInquiry.status == RequestStatus.open)
        .order_by(BillingInquiry.created_at)
    ).all()
    open_insurance = session.scalars(
        select(InsuranceUpdateRequest).where(InsuranceUpdateRequest.patient_id == patient_id,
                                             InsuranceUpdateRequest.status == RequestStatus.open)
        .order_by(InsuranceUpdateRequest.created_at)
    ).all()
    balance = backoffice.get_balance(session, patient_id, today)
    return {
        "name": patient.full_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "phone": patient.phone,
        "mrn": patient.mrn,
        "balance_cents": balance.amount_cents,
        "balance_overdue": balance.overdue,
        "upcoming_appointments": [
            {"starts_at": a.starts_at.isoformat(), "provider": p.name, "location": p.location}
            for a, p in appointments
        ],
        "active_prescriptions": [
            {"medication": f"{rx.medication} {rx.strength}", "refills_left": rx.refills_left}
            for rx in prescriptions
        ],
        # Each in words an agent reads at a glance: what, about what, where it stands.
        "open_requests": [
            {"reference": r.reference, "status": r.status.value,
             "what": f"{_REFILL_WORDS[r.status]}: {rx.medication} {rx.strength}"}
            for r, rx in open_refills
        ] + [
            {"reference": i.reference, "status": i.status.value,
             "what": f"Billing {_INQUIRY_WORDS[i.kind]}, open"}
            for i in open_inquiries
        ] + [
            {"reference": u.reference, "status": u.status.value,
             "what": "New insurance to verify" + (f" ({u.payer})" if u.payer else "")}
            for u in open_insurance
        ],
    }


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
    summary = (patient_summary(session, req.patient_id, today)
               if verified and req.patient_id else None)
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
        summary=summary,
        created_at=now(),
    )
    session.add(handoff)
    if summary is not None:
        audit.record(session, actor_type="system", actor_id="handoff", patient_id=req.patient_id,
                     action="handoff_summary", fields=sorted(summary), reason=req.reason)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request opened one first
        session.rollback()
        found = open_handoff(session, req.conversation_id)
        if found is None:
            raise
        return found, False
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


def view(session: Session, handoff_id: int, agent: Agent) -> tuple[Handoff, list[TranscriptItem]]:
    """What an agent opens; the read is audited when it shows a patient's record."""
    handoff = get(session, handoff_id)
    items = transcript(session, handoff.conversation_id)
    audit.record(session, actor_type="agent", actor_id=str(agent.id),
                 patient_id=handoff.patient_id, action="view_handoff",
                 fields=["transcript", *sorted(handoff.summary or {})],
                 reason=f"handoff {handoff.id}: {handoff.reason}")
    session.commit()
    return handoff, items


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
    return handoff
