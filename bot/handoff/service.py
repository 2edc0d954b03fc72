"""Handoff verbs: request, queue, accept, close. The transcript they carry is
`bot.conversations.transcript`'s; the patient summary is read through the back office."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.agents import service as agents
from bot.agents import teams
from bot.agents.models import Agent, Availability, Team
from bot.audit import service as audit
from bot.backoffice import billing, pharmacy
from bot.backoffice.common import require_patient
from bot.backoffice.errors import BackOfficeError, PatientNotFound
from bot.backoffice.factory import get_backoffice
from bot.backoffice.models import InquiryKind, RefillStatus
from bot.backoffice.port import BackOffice, Domain, Source
from bot.backoffice.schemas import (
    AppointmentInfo,
    Balance,
    PaymentPlanOptions,
    PrescriptionInfo,
    RefillInfo,
)
from bot.clock import clinic_today, now
from bot.conversation_ids import channel_of
from bot.handoff import routing
from bot.handoff.models import Disposition, Handoff, HandoffStatus, Urgency
from bot.handoff.schemas import (
    HandoffRequest,
    OpenRequest,
    PatientSummary,
    QueueItem,
    SummaryAppointment,
    SummaryPrescription,
    TransferStep,
)
from bot.insights import record as insights
from bot.responses import response_text
from bot.settings import get_settings
from bot.text import money

log = logging.getLogger(__name__)

MINUTES_PER_PLACE = 3
VERIFICATION_METHOD = {"sms": "number on file + date of birth",
                       "web": "full name + date of birth + ZIP code"}


class HandoffNotFound(LookupError):
    pass


class HandoffConflict(RuntimeError):
    """Someone else got there first (accepted, or already closed)."""


class NotYourHandoff(PermissionError):
    pass


class BadTransfer(ValueError):
    """A transfer to nowhere: the same queue, an unknown or disabled agent, or a team the
    named agent is not in. The message says which."""


# Statuses that hold the conversation: the patient's messages go to the desk, not the bot.
HOLDING = (HandoffStatus.waiting, HandoffStatus.active)


# What the patient's chat shows: "bot" | "waiting" | "agent", and the agent's name.
ChatState = tuple[str, str | None]


def _holding(conversation_id: str) -> tuple[ColumnElement[bool], ...]:
    """The conditions of the handoff holding the conversation (waiting or with an agent)."""
    return Handoff.conversation_id == conversation_id, Handoff.status.in_(HOLDING)


def open_handoff(session: Session, conversation_id: str) -> Handoff | None:
    """The handoff holding the conversation (waiting or with an agent). A callback task does
    not: the bot answers the patient again meanwhile."""
    return session.scalar(select(Handoff).where(*_holding(conversation_id)))


def _holding_bound() -> tuple[ColumnElement[bool], ...]:
    """_holding on the table's columns, the conversation a bound parameter, for the
    statements every turn runs, built once (no ORM entity): building and keying an ORM
    statement cost about as much as running it, when profiled."""
    handoffs = Handoff.__table__.c
    return (handoffs.conversation_id == bindparam("conversation_id"),
            or_(*(handoffs.status == status for status in HOLDING)))


@cache
def _holding_id_query() -> Select[int]:
    """holding_handoff_id's statement (every patient turn runs it first)."""
    return select(Handoff.__table__.c.id).where(*_holding_bound())


def holding_handoff_id(session: Session, conversation_id: str) -> int | None:
    """open_handoff's id alone: every patient turn asks it first, so no entity is loaded."""
    return session.scalar(_holding_id_query(), {"conversation_id": conversation_id})


def unfinished_handoff(session: Session, conversation_id: str) -> Handoff | None:
    return session.scalar(select(Handoff).where(Handoff.conversation_id == conversation_id,
                                                Handoff.status != HandoffStatus.closed))


def get(session: Session, handoff_id: int) -> Handoff:
    # populate_existing: conditional updates elsewhere change rows behind the identity map.
    handoff = session.get(Handoff, handoff_id, populate_existing=True)
    if handoff is None:
        raise HandoffNotFound(handoff_id)
    return handoff


@cache
def _chat_state_query() -> Select[HandoffStatus, int | None, str | None]:
    """chat_state's statement (read after every web turn)."""
    handoffs, agents_ = Handoff.__table__, Agent.__table__
    return (select(handoffs.c.status, handoffs.c.accepted_by, agents_.c.display_name)
            .select_from(handoffs.outerjoin(agents_, agents_.c.id == handoffs.c.accepted_by))
            .where(*_holding_bound()))


def chat_state(session: Session, conversation_id: str) -> ChatState:
    """("bot" | "waiting" | "agent", the agent's name): what the patient's chat shows."""
    # One row of three columns (every web turn reads it), not the handoff and agent entities.
    row = session.execute(_chat_state_query(), {"conversation_id": conversation_id}).first()
    if row is None:
        return "bot", None
    status, accepted_by, name = row
    if status is not HandoffStatus.active or accepted_by is None:
        return "waiting", None
    return "agent", name


_REFILL_WORDS = {RefillStatus.submitted: "Refill sent to pharmacy",
                 RefillStatus.renewal_requested: "Renewal asked of prescriber"}
_INQUIRY_WORDS = {InquiryKind.duplicate: "question: billed twice",
                  InquiryKind.dispute: "dispute", InquiryKind.question: "question"}


_HOLD_WORDS = {"in_collections": "in collections", "plan_defaulted": "an earlier plan defaulted",
               "assistance_pending": "financial assistance application open",
               "under_review": "account under review by billing"}


def plan_words(plan: PaymentPlanOptions) -> str:
    """Payment-plan eligibility as the desk says it (the context card, saved replies)."""
    if plan.eligible and plan.options:
        months = [str(o.months) for o in plan.options]
        return "Eligible: " + (", ".join(months[:-1]) + " or " + months[-1]
                               if len(months) > 1 else "".join(months)) + " months"
    if plan.eligible:  # eligible, but no plan length leaves a payment every month
        return "Not eligible: no plan fits this balance"
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


def _from_the_port(session: Session, patient_id: int, now: datetime, office: BackOffice
                   ) -> tuple[list[AppointmentInfo], list[PrescriptionInfo], list[RefillInfo]]:
    """Appointments, prescriptions and open refill requests from whichever system holds
    them; one that does not answer leaves its part empty, and the handoff still opens."""
    try:
        appointments = office.scheduling.upcoming_appointments(session, patient_id,
                                                               now).appointments
    except BackOfficeError:
        appointments = []
    try:
        prescriptions = office.pharmacy.active_prescriptions(session, patient_id,
                                                             now).prescriptions
        if office.sources[Domain.pharmacy] is Source.reference:
            refills = pharmacy.open_refill_requests(session, patient_id, now).requests
        else:
            refills = [r for r in reversed(office.pharmacy.refill_status(
                session, patient_id, now).requests) if r.status in pharmacy.OPEN_STATUSES
                and r.created_at > now - pharmacy.OPEN_REQUEST_WINDOW]
    except BackOfficeError:
        prescriptions, refills = [], []
    return appointments, prescriptions, refills


def patient_summary(session: Session, patient_id: int, now: datetime, today: date,
                    office: BackOffice | None = None) -> PatientSummary | None:
    """The minimum an agent needs to help without asking again, read once at handoff time
    through the back office's own verbs (so "upcoming" and "open" mean what they mean to the
    patient)."""
    try:
        patient = require_patient(session, patient_id)
    except PatientNotFound:
        return None
    office = office or get_backoffice(get_settings())
    try:
        balance: Balance | None = office.billing.balance(session, patient_id, today)
    except BackOfficeError:  # the billing system not answering leaves the balance unknown
        balance = None
    # Payment plans are our own rules over our own ledger: said only where billing is ours.
    plan = (billing.payment_plan_options(session, patient_id, today)
            if office.sources[Domain.billing] is Source.reference else None)
    appointments, prescriptions, refills = _from_the_port(session, patient_id, now, office)
    return PatientSummary(
        as_of=now,
        name=patient.full_name,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
        mrn=patient.mrn,
        balance_cents=balance.amount_cents if balance else None,
        balance_overdue=balance.overdue if balance else False,
        balance_due_date=balance.due_date if balance else None,
        payment_plan_eligible=plan.eligible if plan else None,
        payment_plan=plan_words(plan) if plan else None,
        upcoming_appointments=[
            SummaryAppointment(starts_at=a.starts_at, provider=a.provider_name,
                               location=a.location)
            for a in appointments
        ],
        active_prescriptions=[
            SummaryPrescription(medication=f"{rx.medication} {rx.strength}",
                                refills_left=rx.refills_left)
            for rx in prescriptions
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
    """1-based place in its team's line: urgent first, then by arrival."""
    waiting = session.scalars(
        select(Handoff.id)
        .where(Handoff.status == HandoffStatus.waiting, Handoff.team == handoff.team)
        .order_by(Handoff.urgency_rank.desc(), Handoff.created_at, Handoff.id)
    ).all()
    return waiting.index(handoff.id) + 1 if handoff.id in waiting else 0


def request_handoff(session: Session, req: HandoffRequest, today: date) -> tuple[Handoff, bool]:
    """Opens a handoff, or returns the open one (raising its urgency if needed).

    Returns the handoff and whether it is new.
    """
    existing = unfinished_handoff(session, req.conversation_id)
    if existing is not None and existing.status is HandoffStatus.callback:
        # The patient asks for a person again while a callback is pending: back in line.
        existing.status, existing.queued_at, existing.callback_at = (
            HandoffStatus.waiting, now(), None)
        if req.urgency is Urgency.urgent:
            _apply(existing, routing.escalation(reroute=True))
        session.commit()
        return existing, True
    if existing is not None:
        if req.urgency is Urgency.urgent and existing.urgency is not Urgency.urgent:
            _apply(existing, routing.escalation(reroute=False))
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
        urgency_rank=routing.urgency_rank(req.urgency),
        reason=req.reason,
        verified=verified,
        verification_method=VERIFICATION_METHOD.get(channel) if verified else None,
        patient_id=req.patient_id if verified else None,
        intents=req.intents[-20:],
        slots={k: v for k, v in req.slots.items() if k in {"pending_request", "verified"}},
        language=req.language,
        summary=stored,
        created_at=now(),
    )
    handoff.team = routing.route(req.reason, req.urgency, req.intents, req.slots).value
    handoff.queued_at = handoff.created_at
    handoff.path = [{"team": handoff.team, "agent": None, "by": "routing",
                     "at": handoff.created_at.isoformat(), "note": None,
                     "why": f"{req.reason}; topics {', '.join(req.intents[-5:]) or 'none'}"}]
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


def _apply(handoff: Handoff, values: dict[str, Any]) -> None:
    for column, value in values.items():
        setattr(handoff, column, value)


def raise_urgency(session: Session, handoff_id: int) -> dict[str, Any]:
    """An emergency said while waiting: urgent, and to the nurse line if nobody has it yet.
    Returns who saw it before (`audience`): a move to the nurse line drops it from their queue."""
    was = audience(get(session, handoff_id))
    session.execute(update(Handoff).where(Handoff.id == handoff_id)
                    .values(**routing.escalation(reroute=False)))
    session.execute(update(Handoff).where(Handoff.id == handoff_id,
                                          Handoff.status == HandoffStatus.waiting,
                                          Handoff.assigned_to.is_(None))
                    .values(team=routing.URGENT_TEAM.value))
    session.commit()
    return was


def ticket_wait_minutes(position: int, available_agents: int = 1) -> int:
    """The rough wait: places ahead shared among the team's available agents. With nobody
    available, the wait limit: by then a person has it, or a callback is arranged."""
    if available_agents <= 0:
        return get_settings().desk_wait_limit_minutes
    return max(1, -(-position // available_agents) * MINUTES_PER_PLACE)


def wait_estimate(session: Session, handoff: Handoff) -> tuple[int, int]:
    """(place in the team's line, rough minutes) counting only the team's available agents."""
    position = waiting_position(session, handoff)
    return position, ticket_wait_minutes(position, agents.available_in_team(session,
                                                                            handoff.team))


def patient_label(handoff: Handoff) -> str:
    """What the queue shows: the name once verified, else only the channel and a hint."""
    if handoff.summary and handoff.summary.get("name"):
        return str(handoff.summary["name"])
    if handoff.phone and handoff.channel == "sms":
        return f"Unverified, SMS …{handoff.phone[-4:]}"
    if handoff.phone:  # the number a web visitor gave to be called back on
        return f"Unverified web visitor, call back …{handoff.phone[-4:]}"
    return "Unverified web visitor"


def visible_to(handoff: Handoff, agent: Agent) -> bool:
    """Agents see their teams' queues (one transferred to a named colleague only that
    colleague), and what they hold; supervisors see everything."""
    if agent.sees_all_teams or handoff.accepted_by == agent.id:
        return True
    if handoff.assigned_to is not None:
        return handoff.assigned_to == agent.id
    return agent.in_team(handoff.team)


def audience(handoff: Handoff) -> dict[str, Any]:
    """What `visible_to` reads of a handoff: a live event about a move (transfer, emergency)
    carries it as `was`, so the desks that saw the handoff before drop it (bot.desk.events)."""
    return {"team": handoff.team, "assigned_to": handoff.assigned_to,
            "accepted_by": handoff.accepted_by}


def urgent_overdue(handoff: Handoff, at: datetime) -> bool:
    """Urgent and still waiting past DESK_URGENT_ALERT_MINUTES: flagged to supervisors."""
    limit = timedelta(minutes=get_settings().desk_urgent_alert_minutes)
    return (handoff.urgency is Urgency.urgent and handoff.status is HandoffStatus.waiting
            and at - (handoff.queued_at or handoff.created_at) > limit)


def queue(session: Session, agent: Agent | None = None) -> list[QueueItem]:
    """Open handoffs and callback tasks, urgent first, then longest wait; an agent's own."""
    owner = aliased(Agent)
    assignee = aliased(Agent)
    rows = session.execute(
        select(Handoff, owner.display_name, assignee.display_name)
        .outerjoin(owner, owner.id == Handoff.accepted_by)
        .outerjoin(assignee, assignee.id == Handoff.assigned_to)
        .where(Handoff.status != HandoffStatus.closed)
        .order_by(Handoff.urgency_rank.desc(), Handoff.created_at, Handoff.id)
    ).all()
    at = now()
    available = [(a.teams or [], a.languages or ["en"]) for a in session.scalars(
        select(Agent).where(Agent.active.is_(True),
                            Agent.availability == Availability.available.value))]
    items = [(h, queue_item(h, name, assigned, at,
                            routing.language_unmatched(h.language, h.team, available)))
             for h, name, assigned in rows if agent is None or visible_to(h, agent)]
    if agent is not None:  # in each urgency, conversations in the agent's languages first
        items.sort(key=lambda pair: (-pair[0].urgency_rank, routing.speaker_first(
            pair[0].language, agent.languages or ["en"])))
    return [item for _, item in items]


def queue_item(handoff: Handoff, agent_name: str | None, assigned_name: str | None = None,
               at: datetime | None = None, language_unmatched: bool = False) -> QueueItem:
    transfer = last_transfer(handoff)
    return QueueItem(id=handoff.id, status=handoff.status, channel=handoff.channel,
                     urgency=handoff.urgency, reason=handoff.reason,
                     patient=patient_label(handoff), waiting_since=handoff.created_at,
                     accepted_by=agent_name, team=handoff.team, assigned_to=assigned_name,
                     queued_at=handoff.queued_at or handoff.created_at,
                     transfers=handoff.transfers,
                     overdue=urgent_overdue(handoff, at or now()),
                     language=handoff.language, language_unmatched=language_unmatched,
                     transferred_from=transfer.from_team if transfer else None)


def last_transfer(handoff: Handoff) -> TransferStep | None:
    """The latest transfer on the handoff's path, or None when it never moved. A step
    written before transfers recorded `from_team` came from the team of the step before."""
    path = handoff.path or []
    for index in range(len(path) - 1, 0, -1):  # the first step is the routing
        step = path[index]
        if step.get("by") == "routing":
            continue
        return TransferStep(from_team=step.get("from_team") or path[index - 1].get("team")
                            or "general", to_team=step["team"], by=step["by"],
                            at=step["at"], note=step.get("note"),
                            from_agent=step.get("from_agent"), to_agent=step.get("agent"))
    return None


def refresh_summary(session: Session, handoff: Handoff) -> None:
    """The context card as the record is now: an appointment moved or a renewal filed since
    the handoff opened shows. Kept as it was when the back office cannot be read."""
    if not handoff.verified or handoff.patient_id is None or handoff.status is (
            HandoffStatus.closed):
        return
    try:
        summary = patient_summary(session, handoff.patient_id, now(), clinic_today())
    except BackOfficeError as exc:
        log.warning("context card not refreshed: %s", exc.code)
        return
    if summary is not None:
        handoff.summary = summary.model_dump(mode="json")
        session.commit()


def other_conversations(session: Session, handoff: Handoff) -> list[dict[str, Any]]:
    """The same patient's other open conversations (another channel, an earlier one still
    waiting), so two agents do not answer one patient apart."""
    if handoff.patient_id is None and handoff.phone is None:
        return []
    same = (Handoff.patient_id == handoff.patient_id if handoff.patient_id is not None
            else Handoff.phone == handoff.phone)
    rows = session.scalars(select(Handoff).where(
        same, Handoff.id != handoff.id, Handoff.status != HandoffStatus.closed)
        .order_by(Handoff.created_at)).all()
    return [{"id": h.id, "channel": h.channel, "status": h.status.value, "team": h.team,
             "waiting_since": h.created_at.isoformat()} for h in rows]


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
        "team": handoff.team,
        "language": handoff.language,
        "path": handoff.path or [],
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
    """Race-free: the conditional update lets exactly one agent win. Waiting ones and callback
    tasks of the agent's teams (or named to them) can be accepted."""
    handoff = get(session, handoff_id)
    if not visible_to(handoff, agent):
        raise NotYourHandoff(handoff_id)
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id,
               Handoff.status.in_([HandoffStatus.waiting, HandoffStatus.callback]),
               # Still where it was seen: a transfer in between moves it out of reach.
               Handoff.transfers == handoff.transfers,
               or_(Handoff.assigned_to.is_(None), Handoff.assigned_to == agent.id))
        .values(status=HandoffStatus.active, accepted_by=agent.id, accepted_at=now())
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise HandoffConflict(handoff_id)
    accepted = get(session, handoff_id)
    insights.handoff_accepted(session, accepted)
    return accepted


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
    if handoff.accepted_by is None and not visible_to(handoff, agent):
        raise NotYourHandoff(handoff_id)
    # Conditional on what was read (owner, transfer count): a close racing a transfer or an
    # accept loses rather than closing a conversation that has since moved on.
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status != HandoffStatus.closed,
               Handoff.transfers == handoff.transfers,
               Handoff.accepted_by.is_(None) if handoff.accepted_by is None
               else Handoff.accepted_by == handoff.accepted_by)
        .values(status=HandoffStatus.closed, closed_at=now(), disposition=disposition,
                accepted_by=agent.id)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise HandoffConflict(handoff_id)
    session.refresh(handoff)
    insights.handoff_closed(session, handoff)
    return handoff


def transfer(session: Session, handoff_id: int, agent: Agent, team: str | None,
             to_agent_id: int | None, note: str | None) -> tuple[Handoff, Agent | None]:
    """Moves the handoff to another team's queue, or to a named agent, as a waiting item.

    A state change as race-safe as accept and close: the conditional update names the
    status, owner and transfer count read here, so against a racing accept, close or other
    transfer exactly one wins (HandoffConflict for the others). Leaves the commit to the
    caller, who writes the note and the patient's notice in the same transaction.
    """
    handoff = get(session, handoff_id)
    if handoff.status is HandoffStatus.active:
        if handoff.accepted_by != agent.id:
            raise NotYourHandoff(handoff_id)
    elif handoff.status in (HandoffStatus.waiting, HandoffStatus.callback):
        if not visible_to(handoff, agent):
            raise NotYourHandoff(handoff_id)
    else:
        raise HandoffConflict(handoff_id)
    target: Agent | None = None
    if to_agent_id is not None:
        target = session.get(Agent, to_agent_id)
        if target is None or not target.active:
            raise BadTransfer("That agent is not on the desk; choose another agent or a team.")
        if target.id == agent.id:
            raise BadTransfer("You already have this conversation; choose someone else.")
        if team is None:
            team = handoff.team if target.in_team(handoff.team) else (target.teams or
                                                                       [Team.general.value])[0]
        elif not target.in_team(team) and not target.sees_all_teams:
            raise BadTransfer(f"{target.display_name} is not in the {teams.label(team)}.")
    if team is None:
        raise BadTransfer("Choose a team or an agent to transfer to.")
    if team not in {t.value for t in Team}:
        raise BadTransfer(f"There is no {team} team.")
    if target is None and team == handoff.team and handoff.status is not HandoffStatus.active:
        raise BadTransfer(f"It is already in the {teams.label(team)} queue.")
    owner = session.get(Agent, handoff.accepted_by) if handoff.accepted_by else None
    at = now()
    step = {"team": team, "agent": target.display_name if target else None,
            "agent_id": target.id if target else None, "by": agent.display_name,
            "from_team": handoff.team, "from_agent": owner.display_name if owner else None,
            "at": at.isoformat(), "note": note}
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == handoff.status,
               Handoff.transfers == handoff.transfers,
               Handoff.accepted_by.is_(None) if handoff.accepted_by is None
               else Handoff.accepted_by == handoff.accepted_by)
        .values(status=HandoffStatus.waiting, team=team,
                assigned_to=target.id if target else None, accepted_by=None, accepted_at=None,
                queued_at=at, callback_at=None, transfers=Handoff.transfers + 1,
                path=[*(handoff.path or []), step])
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise HandoffConflict(handoff_id)
    return get(session, handoff_id), target


def due_for_callback(session: Session, at: datetime) -> list[Handoff]:
    """Waiting handoffs nobody can take: the team is closed, or the wait limit has passed."""
    limit = timedelta(minutes=get_settings().desk_wait_limit_minutes)
    waiting = session.scalars(select(Handoff).where(Handoff.status == HandoffStatus.waiting)
                              .order_by(Handoff.created_at)).all()
    return [h for h in waiting
            if not teams.is_open(h.team, at) or at - (h.queued_at or h.created_at) > limit]


def make_callback(session: Session, handoff_id: int, at: datetime) -> Handoff | None:
    """Waiting -> callback task in the same team's queue (conditional: an accept or transfer
    that got there first wins). The caller commits."""
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.waiting)
        .values(status=HandoffStatus.callback, callback_at=at))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return None
    return get(session, handoff_id)


def callback_now(session: Session, handoff_id: int, at: datetime) -> Handoff:
    """A new request whose team is closed: a callback task at once, so the patient is told in
    the same reply when the team will get back to them, and the desk's sweep has nothing
    more to say to them."""
    made = make_callback(session, handoff_id, at)
    session.commit()
    return made if made is not None else get(session, handoff_id)


def reachable_by_phone(handoff: Handoff) -> bool:
    """The team can call the patient back: a texting number, a number given in the chat, or
    the number on file of a verified patient."""
    return (handoff.channel == "sms" or bool(handoff.phone)
            or bool((handoff.summary or {}).get("phone")))


# A US phone number as people type it: "617-555-0123", "(617) 555 0123", "+1 617.555.0123".
_PHONE = re.compile(r"(?<![\d+])(?:\+?1[\s.-]*)?\(?(\d{3})\)?[\s.-]*(\d{3})[\s.-]*(\d{4})(?!\d)")


def phone_number_in(text: str) -> str | None:
    """The phone number a message gives, in E.164 ("+16175550123"); None when it has none."""
    found = _PHONE.search(text)
    return f"+1{found[1]}{found[2]}{found[3]}" if found else None


def say_phone(phone: str) -> str:
    """"+16175550123" -> "(617) 555-0123", as the patient reads it back."""
    digits = phone.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}" if len(digits) == 10 else phone


def take_callback_number(session: Session, handoff_id: int, text: str) -> Handoff | None:
    """An emergency from someone we cannot call (an unverified web visitor) is asked for a
    number: the first one they type goes on the handoff, where the nurse line's desk shows
    it. Returns the handoff when this message gave it; None otherwise (no number in it, or
    the handoff already has a way to call back)."""
    handoff = get(session, handoff_id)
    if (handoff.urgency is not Urgency.urgent or handoff.status is HandoffStatus.closed
            or reachable_by_phone(handoff)):
        return None
    phone = phone_number_in(text)
    if phone is None:
        return None
    result = session.execute(update(Handoff).where(Handoff.id == handoff_id,
                                                   Handoff.phone.is_(None)).values(phone=phone))
    session.commit()
    return get(session, handoff_id) if result.rowcount == 1 else None  # type: ignore[attr-defined]


def acknowledge_waiting(session: Session, handoff_id: int, at: datetime) -> Handoff | None:
    """The handoff, when a waiting patient's message should be acknowledged now (once every
    DESK_ACK_EVERY_MINUTES, so a burst of texts gets one answer); else None."""
    every = timedelta(minutes=get_settings().desk_ack_every_minutes)
    handoff = get(session, handoff_id)
    if handoff.status is not HandoffStatus.waiting:
        return None
    last = handoff.acknowledged_at
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == HandoffStatus.waiting,
               Handoff.acknowledged_at.is_(None) if last is None
               else Handoff.acknowledged_at <= at - every)
        .values(acknowledged_at=at))
    session.commit()
    return get(session, handoff_id) if result.rowcount == 1 else None  # type: ignore[attr-defined]


def overdue_urgent(session: Session, at: datetime) -> list[Handoff]:
    waiting = session.scalars(select(Handoff).where(Handoff.status == HandoffStatus.waiting,
                                                    Handoff.urgency == Urgency.urgent)).all()
    return [h for h in waiting if urgent_overdue(h, at)]


def waiting_acknowledgement(session: Session, handoff_id: int) -> str | None:
    """What a waiting patient is told when they write (at most once every few minutes), so a
    message never vanishes into silence: it was seen, and where they stand."""
    handoff = acknowledge_waiting(session, handoff_id, now())
    if handoff is None:
        return None
    position, wait = wait_estimate(session, handoff)
    minutes = f"{wait} minute" + ("" if wait == 1 else "s")
    text = (f"Got it, I've passed that on. Our {teams.label(handoff.team)} will see it when "
            f"they pick up your conversation: you're number {position} in line, about "
            f"{minutes}.")
    if handoff.urgency is Urgency.urgent:  # an emergency is always reminded of 911 and 988
        text = response_text("utter_emergency") + " " + text
    return text
