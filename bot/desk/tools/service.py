"""Desk tools verbs: notes, saved replies, follow-ups, the closed-conversation history.

Each verb takes a session and commits its own work (`bot.db.in_session` runs it in a
worker thread). Which teams an agent sees is asked of `visible_teams`, so there is one rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.agents.service import visible_teams
from bot.audit import service as audit
from bot.backoffice import billing
from bot.backoffice.consent import is_opted_out
from bot.backoffice.errors import PatientNotFound
from bot.backoffice.models import Patient
from bot.backoffice.schemas import PaymentPlanOptions
from bot.backoffice.service import normalize_name, normalize_phone
from bot.clock import clinic_today, now
from bot.conversations import transcript
from bot.desk.tools.models import FollowUp, HandoffNote, SavedReply
from bot.desk.tools.schemas import (
    FollowUpItem,
    HistoryItem,
    HistorySearch,
    NoteItem,
    ReplyText,
    SavedReplyIn,
    SavedReplyItem,
)
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff, HandoffStatus
from bot.handoff.schemas import FollowUpIn, PatientSummary
from bot.i18n import DEFAULT_LANGUAGE, say_day, say_moment, words
from bot.i18n import money as money_in
from bot.outreach.rules import next_allowed
from bot.settings import get_settings

GENERAL = "general"
# As bot.agents.teams names them to patients.
TEAM_WORDS = {"billing": "billing office", "scheduling": "scheduling team",
              "pharmacy": "pharmacy team", "nurse": "nurse line", GENERAL: "patient support team"}
# Texts reach patients only in the clinic's daytime: from 8:00 until 21:00, local time.
DAY_STARTS, DAY_ENDS = time(8), time(21)
MAX_FOLLOW_UP_DAYS = 30
OPEN_STATUSES = ("open", "scheduled", "blocked")
STUCK_AFTER = timedelta(minutes=10)


class NotYourTeam(PermissionError):
    """The handoff, reply or task belongs to a team the agent does not work in."""


class ToolConflict(RuntimeError):
    """The thing already moved on (sent, done, or the handoff is closed)."""


class InvalidRequest(ValueError):
    """The request cannot be done as asked; the message says what to change."""


class PatientNotMatched(LookupError):
    pass


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(get_settings().clinic_timezone)


# --- teams ------------------------------------------------------------------------------------

def team_of(handoff: Handoff) -> str:
    return handoff.team or GENERAL


def require_visible(agent: Agent, team: str | None) -> None:
    teams = visible_teams(agent)
    if teams is not None and team is not None and team not in teams:
        raise NotYourTeam(team)


def visible_handoff(session: Session, handoff_id: int, agent: Agent) -> Handoff:
    """The desk's one rule (`handoffs.visible_to`): the agent's teams, what they hold or held,
    one transferred to them by name; supervisors everything."""
    handoff = handoffs.get(session, handoff_id)
    if not handoffs.visible_to(handoff, agent):
        raise NotYourTeam(team_of(handoff))
    return handoff


# --- notes ------------------------------------------------------------------------------------

def add_note(session: Session, handoff_id: int, agent: Agent | None, text: str,
             kind: str = "note") -> HandoffNote:
    """A private note on the handoff: never sent to the patient, shown to the next agent."""
    handoffs.get(session, handoff_id)
    note = HandoffNote(handoff_id=handoff_id, agent_id=agent.id if agent else None, kind=kind,
                       text=text, at=now())
    session.add(note)
    session.commit()
    return note


def list_notes(session: Session, handoff_id: int) -> list[NoteItem]:
    rows = session.execute(
        select(HandoffNote, Agent.display_name)
        .outerjoin(Agent, Agent.id == HandoffNote.agent_id)
        .where(HandoffNote.handoff_id == handoff_id)
        .order_by(HandoffNote.at, HandoffNote.id)
    ).all()
    return [NoteItem(id=n.id, text=n.text, author=name, at=n.at, kind=n.kind)
            for n, name in rows]


# --- saved replies ----------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ("first_name", "appointment_time", "appointment_provider", "balance",
                "balance_due_date", "agent_name", "clinic_name", "clinic_phone",
                "plan_options", "plan_monthly", "plan_minimum")
# Filled only from billing's own answer for this patient (never typed by the agent): a reply
# using one is offered only when the patient can set up a plan.
PLAN_PLACEHOLDERS = frozenset({"plan_options", "plan_monthly"})
# What a saved reply's condition asks of the conversation, in the order they are checked.
CONDITIONS = {"verified": "The patient is verified",
              "has_balance": "The patient owes something",
              "has_appointment": "The patient has an upcoming appointment",
              "plan_eligible": "The patient can set up a payment plan"}


def when_words(at: datetime, tz: ZoneInfo) -> str:
    """"Tue, Dec 1 at 3:00 PM", in the clinic's time."""
    local = at.astimezone(tz)
    return (f"{local:%a}, {local:%b} {local.day} at "
            f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}")


def day_words(day: date, language: str = DEFAULT_LANGUAGE) -> str:
    """"Tue, Dec 1" / "martes 1 de diciembre"."""
    return f"{day:%a}, {day:%b} {day.day}" if language == DEFAULT_LANGUAGE else say_day(day,
                                                                                        language)


def or_list(items: list[str], language: str = DEFAULT_LANGUAGE) -> str:
    """"a", "a or b", "a, b or c" ("a, b o c")."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {words('list.or', language)} " + items[-1]


@dataclass(frozen=True)
class PatientFacts:
    """What a saved reply may say of the patient, read now through the same verbs as the
    context card (`handoffs.patient_summary`) and the bot (`billing.payment_plan_options`).
    Nothing of the patient before verification."""

    verified: bool = False
    summary: PatientSummary | None = None
    plan: PaymentPlanOptions | None = None


def patient_facts(session: Session, handoff: Handoff | None) -> PatientFacts:
    if handoff is None or not handoff.verified or handoff.patient_id is None:
        return PatientFacts()
    today = clinic_today()
    summary = handoffs.patient_summary(session, handoff.patient_id, now(), today)
    if summary is None and handoff.summary:  # the record is gone: what the handoff kept
        summary = PatientSummary.model_validate(handoff.summary)
    plan: PaymentPlanOptions | None = None
    # Plans where the card speaks of them (it says nothing where billing is not ours).
    if summary is not None and summary.payment_plan_eligible is not None:
        try:
            plan = billing.payment_plan_options(session, handoff.patient_id, today)
        except PatientNotFound:
            plan = None
    return PatientFacts(verified=True, summary=summary, plan=plan)


def placeholder_values(facts: PatientFacts, agent: Agent,
                       language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """What is known for this conversation, amounts and dates written as `language` writes
    them (the language of the reply's text). Patient details only once verified; plan
    options only when billing says the patient can have a plan."""
    settings = get_settings()
    values = {"agent_name": agent.display_name, "clinic_name": settings.clinic_name,
              "clinic_phone": settings.clinic_phone,
              "plan_minimum": money_in(facts.plan.minimum_cents if facts.plan
                                       else billing.PLAN_MINIMUM_CENTS, language)}
    summary = facts.summary
    if summary is not None:
        values["first_name"] = summary.name.split()[0]
        if summary.upcoming_appointments:
            first = summary.upcoming_appointments[0]
            values["appointment_time"] = say_moment(first.starts_at.astimezone(clinic_tz()),
                                                    language)
            values["appointment_provider"] = first.provider
        if summary.balance_cents is not None:  # None: the billing system did not answer
            values["balance"] = money_in(summary.balance_cents, language)
        if summary.balance_due_date:
            values["balance_due_date"] = day_words(summary.balance_due_date, language)
    plan = facts.plan
    if plan is not None and plan.eligible and plan.options:
        months = or_list([str(o.months) for o in plan.options], language)
        values["plan_options"] = words("billing.plan_months", language, months=months)
        values["plan_monthly"] = or_list(
            [words("billing.plan_monthly", language, monthly=money_in(o.monthly_cents, language),
                   months=o.months) for o in plan.options], language)
    return values


def reply_text(reply: SavedReply, language: str) -> tuple[str, str] | None:
    """(title, body) of the reply in `language`, or None when it has no text in it."""
    if language == DEFAULT_LANGUAGE:
        return reply.title, reply.body
    text = (reply.texts or {}).get(language)
    return (text["title"], text["body"]) if text else None


def bodies(reply: SavedReply | SavedReplyIn) -> list[str]:
    """The reply's body in every language it has."""
    others = reply.texts.values() if isinstance(reply, SavedReplyIn) else [
        ReplyText.model_validate(t) for t in (reply.texts or {}).values()]
    return [reply.body, *(t.body for t in others)]


def needs(reply: SavedReply) -> list[str]:
    """The conditions a reply needs: its own, and a plan for plan placeholders."""
    wanted = {reply.condition} if reply.condition else set()
    if PLAN_PLACEHOLDERS & {p for body in bodies(reply) for p in PLACEHOLDER.findall(body)}:
        wanted.add("plan_eligible")
    return [c for c in CONDITIONS if c in wanted]


def unmet(reply: SavedReply, facts: PatientFacts) -> str | None:
    """Why the reply is not offered in this conversation (words for the agent), or None."""
    for condition in needs(reply):
        if not facts.verified:
            return "Verify the patient first: this reply depends on their account."
        summary, plan = facts.summary, facts.plan
        if condition == "has_balance":
            if summary is None or summary.balance_cents is None:
                return "The balance is not available right now."
            if summary.balance_cents <= 0:
                return "Nothing owed on the account."
        if condition == "has_appointment" and not (summary and summary.upcoming_appointments):
            return "No upcoming appointment on file."
        if condition == "plan_eligible" and not (plan and plan.eligible and plan.options):
            return (handoffs.plan_words(plan) if plan else
                    "Payment plan: billing has no answer for this patient.")
    return None


def fill(body: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """The body with what is known filled in; unknown ones stay as "{name}" for the agent.
    A value that ends a sentence itself ("10:30 a. m.") takes the body's full stop after it."""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            value = values[name]
            ends_twice = value.endswith(".") and body.startswith(".", match.end())
            return value[:-1] if ends_twice else value
        missing.append(name)
        return match.group(0)

    return PLACEHOLDER.sub(one, body), missing


def _check_reply(session: Session, agent: Agent, req: SavedReplyIn,
                 keep_id: int | None = None) -> None:
    """A reply as asked is valid: known placeholders, the agent's team, a free shortcut."""
    used = {p for body in bodies(req) for p in PLACEHOLDER.findall(body)}
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise InvalidRequest(
            f"Unknown placeholder {', '.join('{' + u + '}' for u in unknown)}. "
            f"Use one of: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
    require_visible(agent, req.team)
    taken = session.scalar(select(SavedReply.id).where(
        SavedReply.shortcut == req.shortcut,
        SavedReply.team.is_(None) if req.team is None else SavedReply.team == req.team,
        SavedReply.id != keep_id if keep_id is not None else SavedReply.id.is_not(None)))
    if taken is not None:
        raise ToolConflict(f"/{req.shortcut} is already a saved reply; pick another shortcut.")


def _audit_reply(session: Session, agent: Agent, action: str, reply: SavedReply,
                 fields: list[str]) -> None:
    """Saved replies are words sent to patients in the clinic's name: every change is
    recorded (who, which reply, what changed)."""
    audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=None,
                 action=action, fields=fields,
                 reason=f"saved reply {reply.id} /{reply.shortcut} "
                        f"({reply.team or 'every team'})"[:200])


def reply_item(reply: SavedReply) -> SavedReplyItem:
    return SavedReplyItem(id=reply.id, shortcut=reply.shortcut, title=reply.title,
                          body=reply.body, team=reply.team, condition=reply.condition,
                          texts=reply.texts or {})


EDITABLE = ("shortcut", "title", "body", "team", "condition")


def text_changes(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> list[str]:
    """The texts' fields that differ, for the audit row: ["es.title", "es.body"]."""
    return [f"{language}.{field}" for language in sorted(old.keys() | new.keys())
            for field in ("title", "body")
            if old.get(language, {}).get(field) != new.get(language, {}).get(field)]


def stored_texts(req: SavedReplyIn) -> dict[str, dict[str, str]]:
    return {language: text.model_dump() for language, text in sorted(req.texts.items())}


def create_saved_reply(session: Session, agent: Agent, req: SavedReplyIn) -> SavedReply:
    _check_reply(session, agent, req)
    reply = SavedReply(team=req.team, shortcut=req.shortcut, title=req.title, body=req.body,
                       condition=req.condition, texts=stored_texts(req), created_by=agent.id,
                       created_at=now())
    session.add(reply)
    session.flush()
    _audit_reply(session, agent, "saved_reply_created", reply,
                 [f for f in EDITABLE if getattr(reply, f) is not None]
                 + text_changes({}, reply.texts))
    session.commit()
    return reply


def _editable_reply(session: Session, agent: Agent, reply_id: int) -> SavedReply:
    reply = session.get(SavedReply, reply_id, populate_existing=True)
    if reply is None:
        raise handoffs.HandoffNotFound(reply_id)
    require_visible(agent, reply.team)
    return reply


def update_saved_reply(session: Session, agent: Agent, reply_id: int, req: SavedReplyIn
                       ) -> SavedReply:
    """The whole reply as the agent left it; the audit row names the fields that changed."""
    reply = _editable_reply(session, agent, reply_id)
    _check_reply(session, agent, req, keep_id=reply.id)
    changed = [f for f in EDITABLE if getattr(reply, f) != getattr(req, f)]
    for field in changed:
        setattr(reply, field, getattr(req, field))
    texts = stored_texts(req)
    changed += text_changes(reply.texts or {}, texts)
    reply.texts = texts  # a new dict: the JSON column is written again
    reply.updated_by, reply.updated_at = agent.id, now()
    _audit_reply(session, agent, "saved_reply_updated", reply, changed)
    session.commit()
    return reply


def delete_saved_reply(session: Session, agent: Agent, reply_id: int) -> None:
    reply = _editable_reply(session, agent, reply_id)
    _audit_reply(session, agent, "saved_reply_deleted", reply,
                 list(EDITABLE) + text_changes(reply.texts or {}, {}))
    session.delete(reply)
    session.commit()


def list_saved_replies(session: Session, agent: Agent, handoff_id: int | None = None
                       ) -> list[SavedReplyItem]:
    """The replies of the agent's teams and every team's. For one handoff, each in the
    conversation's language, filled from the patient's record as it is now, or marked not
    offered with why. A reply with no text in that language is still offered, in English,
    and flagged so the desk tells the agent before they send it."""
    handoff = visible_handoff(session, handoff_id, agent) if handoff_id else None
    query = select(SavedReply).order_by(SavedReply.shortcut, SavedReply.id)
    teams = visible_teams(agent)
    if teams is not None:
        query = query.where(SavedReply.team.is_(None) | SavedReply.team.in_(teams))
    replies = list(session.scalars(query))
    if handoff is None:
        return [reply_item(r) for r in replies]
    facts = patient_facts(session, handoff)
    wanted = handoff.language or DEFAULT_LANGUAGE
    values: dict[str, dict[str, str]] = {}  # by language, made when first needed
    items = []
    for reply in replies:
        item = reply_item(reply)
        language, text = wanted, reply_text(reply, wanted)
        if text is None:
            language, text = DEFAULT_LANGUAGE, (reply.title, reply.body)
            item.language_missing = wanted
        item.language, (item.title, item.body) = language, text
        why_not = unmet(reply, facts)
        if why_not is not None:
            item.available, item.unavailable_reason = False, why_not
        else:
            if language not in values:
                values[language] = placeholder_values(facts, agent, language)
            item.text, item.missing = fill(item.body, values[language])
        items.append(item)
    return items


# (team, shortcut, English title and body, Spanish title and body).
DEMO_REPLIES = (
    (None, "hello", "Greeting",
     "Hi {first_name}, this is {agent_name} from {clinic_name}. I have your messages here, "
     "so you don't need to repeat anything. One moment while I look.",
     "Saludo",
     "Hola, {first_name}. Le saluda {agent_name}, de {clinic_name}. Tengo aquí sus mensajes, "
     "así que no necesita repetir nada. Permítame un momento mientras lo reviso."),
    ("scheduling", "appt", "Confirm the appointment",
     "Hi {first_name}, your appointment with {appointment_provider} is on "
     "{appointment_time}. Reply here if that time no longer works.",
     "Confirmar la cita",
     "Hola, {first_name}. Su cita con {appointment_provider} es el {appointment_time}. Si ese "
     "horario ya no le queda bien, respóndame por aquí."),
    ("billing", "plan", "Payment plan",
     "{first_name}, your balance is {balance}, due {balance_due_date}. We can spread it over "
     "{plan_options} with no fees. Would you like me to set that up?",
     "Plan de pagos",
     "{first_name}, su saldo es de {balance} y vence el {balance_due_date}. Podemos dividirlo "
     "en {plan_options}, sin cargos adicionales. ¿Quiere que se lo prepare?"),
    (None, "call", "Call us",
     "If it's easier to talk, call us at {clinic_phone}. Mention this chat and we'll pick up "
     "where we left off.",
     "Llámenos",
     "Si le resulta más fácil hablar, llámenos al {clinic_phone}. Mencione este chat y "
     "seguimos donde lo dejamos."),
)


# The demo /plan as first seeded promised "3, 6 or 12 months" to anyone: replaced where a
# dev database still has it word for word.
OLD_DEMO_PLAN = ("{first_name}, your balance is {balance}, due {balance_due_date}. We can spread "
                 "it over 3, 6 or 12 months with no fees. Would you like me to set that up?")


def seed_demo_replies(session: Session) -> int:
    """Dev only (called by the desk seed): a few saved replies to try "/" with, in English and
    Spanish. A demo reply a dev database kept word for word gets its Spanish text too."""
    added = 0
    for team, shortcut, title, body, title_es, body_es in DEMO_REPLIES:
        spanish = {"es": {"title": title_es, "body": body_es}}
        exists = session.scalar(select(SavedReply).where(SavedReply.shortcut == shortcut))
        if exists is None:
            session.add(SavedReply(team=team, shortcut=shortcut, title=title, body=body,
                                   texts=spanish, created_at=now()))
            added += 1
            continue
        if exists.body == OLD_DEMO_PLAN:
            exists.body = body
        if exists.body == body and "es" not in (exists.texts or {}):
            exists.texts = {**(exists.texts or {}), **spanish}
    session.commit()
    return added


# --- follow-ups -------------------------------------------------------------------------------

def next_send_time(at: datetime, tz: ZoneInfo) -> datetime:
    """`at` if it is daytime at the clinic (8:00 to 21:00), else the next 8:00: the same
    quiet hours as outreach (one rule, `bot.outreach.rules.next_allowed`)."""
    return next_allowed(at, tz, DAY_STARTS.hour, DAY_ENDS.hour).astimezone(UTC)


def text_target(session: Session, handoff: Handoff) -> tuple[str | None, str | None]:
    """(the number a follow-up text goes to, or None, and why not in words for the agent).

    The conversation's number on SMS; on web chat, the verified patient's number on file (a
    web chat ends after 15 idle minutes, a text still reaches them). Honours STOP and the
    patient's SMS consent.
    """
    patient = session.get(Patient, handoff.patient_id) if handoff.patient_id else None
    phone = handoff.phone if handoff.channel == "sms" else (patient.phone if patient else None)
    if phone is None:
        return None, "No number to text: the web visitor was not verified."
    if is_opted_out(session, phone):
        return None, f"Not texted: {phone} replied STOP. Call the patient instead."
    if patient is not None and not patient.sms_consent:
        return None, f"Not texted: no SMS consent on file. Call the patient at {phone}."
    return phone, None


def due_at_in_zone(due_at: datetime, tz: ZoneInfo) -> datetime:
    return due_at if due_at.tzinfo else due_at.replace(tzinfo=tz)


def check_follow_up(session: Session, handoff: Handoff, req: FollowUpIn, at: datetime
                    ) -> datetime:
    """Raises InvalidRequest when the promise cannot be kept as asked; returns the due time."""
    due = due_at_in_zone(req.due_at, clinic_tz()).astimezone(UTC)
    if due <= at:
        raise InvalidRequest("The follow-up time has passed: pick a time later than now.")
    if due > at + timedelta(days=MAX_FOLLOW_UP_DAYS):
        raise InvalidRequest(f"Pick a follow-up time within {MAX_FOLLOW_UP_DAYS} days.")
    if handoff.channel != "sms" and not (handoff.verified and handoff.patient_id):
        raise InvalidRequest("This web visitor is not verified, so there is no way to reach "
                             "them later. Verify them first, or close as resolved.")
    return due


def follow_up_notice(agent_name: str, team: str, due: datetime, texted: bool) -> str:
    """What the patient reads instead of the generic goodbye: who, how, by when."""
    how = "text you" if texted else "call you"
    return (f"{agent_name} from our {TEAM_WORDS.get(team, 'team')} will {how} by "
            f"{when_words(due, clinic_tz())}. Until then, I'm the assistant again if you need "
            "anything else.")


def create_follow_up(session: Session, handoff: Handoff, agent: Agent, req: FollowUpIn,
                     at: datetime) -> tuple[FollowUp, str]:
    """The task in the team's queue, and the patient's notice. Call after the close."""
    due = check_follow_up(session, handoff, req, at)
    phone, _ = text_target(session, handoff)
    team = team_of(handoff)
    task = FollowUp(handoff_id=handoff.id, conversation_id=handoff.conversation_id,
                    channel=handoff.channel, patient_id=handoff.patient_id, team=team,
                    what=req.what, due_at=due, created_by=agent.id, created_at=at,
                    status="open")
    session.add(task)
    session.add(HandoffNote(handoff_id=handoff.id, agent_id=agent.id, kind="follow_up",
                            text=f"Follow-up by {when_words(due, clinic_tz())}: {req.what}",
                            at=at))
    session.commit()
    return task, follow_up_notice(agent.display_name, team, due, texted=phone is not None)


def _item(task: FollowUp, handoff: Handoff, creator: str | None, at: datetime) -> FollowUpItem:
    return FollowUpItem(
        id=task.id, handoff_id=task.handoff_id, team=task.team,
        patient=handoffs.patient_label(handoff), channel=task.channel, what=task.what,
        due_at=task.due_at, due=task.status == "open" and task.due_at <= at,
        status=task.status, message=task.message, send_at=task.send_at, sent_at=task.sent_at,
        blocked_reason=task.blocked_reason, created_by=creator)


def list_follow_ups(session: Session, agent: Agent, at: datetime,
                    handoff_id: int | None = None) -> list[FollowUpItem]:
    """The open tasks of the agent's teams, soonest due first (or every task of one handoff)."""
    query = (select(FollowUp, Handoff, Agent.display_name)
             .join(Handoff, Handoff.id == FollowUp.handoff_id)
             .outerjoin(Agent, Agent.id == FollowUp.created_by)
             .order_by(FollowUp.due_at, FollowUp.id))
    if handoff_id is not None:
        query = query.where(FollowUp.handoff_id == handoff_id)
    else:
        query = query.where(FollowUp.status.in_(OPEN_STATUSES))
    teams = visible_teams(agent)
    if teams is not None:
        query = query.where(FollowUp.team.in_(teams))
    return [_item(t, h, name, at) for t, h, name in session.execute(query).all()]


def _visible_task(session: Session, task_id: int, agent: Agent) -> tuple[FollowUp, Handoff]:
    task = session.get(FollowUp, task_id, populate_existing=True)
    if task is None:
        raise handoffs.HandoffNotFound(task_id)
    require_visible(agent, task.team)
    return task, handoffs.get(session, task.handoff_id)


def write_follow_up(session: Session, task_id: int, agent: Agent, text: str, at: datetime
                    ) -> FollowUpItem:
    """The agent's answer to the patient: scheduled for the next daytime minute (now, in the
    day), or blocked with why when the patient cannot be texted."""
    task, handoff = _visible_task(session, task_id, agent)
    phone, why_not = text_target(session, handoff)
    values: dict[str, Any] = {"message": text, "done_by": agent.id}
    if phone is None:
        values |= {"status": "blocked", "blocked_reason": why_not}
    else:
        values |= {"status": "scheduled", "send_at": next_send_time(at, clinic_tz()),
                   "blocked_reason": None}
    result = session.execute(update(FollowUp)
                             .where(FollowUp.id == task_id,
                                    FollowUp.status.in_(("open", "blocked")))
                             .values(**values))
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ToolConflict(task_id)
    session.refresh(task)
    return _item(task, handoff, agent.display_name, at)


def finish_follow_up(session: Session, task_id: int, agent: Agent, at: datetime
                     ) -> FollowUpItem:
    """Done without a text (the agent called): off the team's queue."""
    task, handoff = _visible_task(session, task_id, agent)
    result = session.execute(update(FollowUp)
                             .where(FollowUp.id == task_id, FollowUp.status.in_(OPEN_STATUSES))
                             .values(status="done", done_by=agent.id))
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ToolConflict(task_id)
    session.refresh(task)
    return _item(task, handoff, agent.display_name, at)


def claim_due_messages(session: Session, at: datetime) -> list[tuple[int, str, str, str]]:
    """Scheduled follow-ups whose time has come, each claimed by one sender only:
    [(task id, conversation id, number, text)]. Consent is checked again now (a STOP may
    have come since the agent wrote it)."""
    claimed = []
    # One left "sending" by a worker that died mid-send is taken again after a while; the SMS
    # sender's idempotency key keeps the patient from getting it twice.
    stuck = at - STUCK_AFTER
    for task in session.scalars(select(FollowUp).where(
            ((FollowUp.status == "scheduled") & (FollowUp.send_at <= at))
            | ((FollowUp.status == "sending") & (FollowUp.send_at <= stuck)))):
        was = task.status
        handoff = handoffs.get(session, task.handoff_id)
        phone, why_not = text_target(session, handoff)
        values: dict[str, Any] = ({"status": "sending"} if phone else
                                  {"status": "blocked", "blocked_reason": why_not})
        result = session.execute(update(FollowUp).where(FollowUp.id == task.id,
                                                        FollowUp.status == was)
                                 .values(**values))
        session.commit()
        if result.rowcount == 1 and phone and task.message:  # type: ignore[attr-defined]
            claimed.append((task.id, task.conversation_id, phone, task.message))
    return claimed


def mark_sent(session: Session, task_id: int, at: datetime) -> None:
    task = session.get(FollowUp, task_id)
    if task is None:
        return
    task.status, task.sent_at = "sent", at
    transcript.record_entry(session, task.conversation_id, "agent", task.message or "", at=at,
                            handoff_id=task.handoff_id, agent_id=task.done_by)


# --- closed conversations ---------------------------------------------------------------------

def find_patient(session: Session, search: HistorySearch) -> tuple[int | None, str | None]:
    """(patient id, phone) named by the search, or (None, None) when it names nobody."""
    if search.phone:
        phone = normalize_phone(search.phone)
        patient = session.scalar(select(Patient).where(Patient.phone == phone))
        return (patient.id if patient else None), phone
    if search.name and search.date_of_birth:
        wanted = normalize_name(search.name)
        for patient in session.scalars(select(Patient).where(
                Patient.date_of_birth == search.date_of_birth)):
            if normalize_name(patient.full_name) == wanted:
                return patient.id, patient.phone
        raise PatientNotMatched(search.name)
    if search.name or search.date_of_birth:
        raise InvalidRequest("To find a patient, give the full name and date of birth, "
                             "or the phone number.")
    return None, None


def search_closed(session: Session, agent: Agent, search: HistorySearch) -> list[HistoryItem]:
    """Closed handoffs of the agent's teams. A patient look-up is audited (who, whom, why),
    whether or not it finds anyone."""
    names_patient = bool(search.phone or search.name or search.date_of_birth)
    if names_patient and not (search.reason and search.reason.strip()):
        raise InvalidRequest("Say why you are looking this patient up (it is recorded).")
    try:
        patient_id, phone = find_patient(session, search)
    except PatientNotMatched:
        audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=None,
                     action="search_closed_handoffs", fields=["name", "date_of_birth"],
                     reason=str(search.reason))
        session.commit()
        raise
    query = (select(Handoff, Agent.display_name)
             .outerjoin(Agent, Agent.id == Handoff.accepted_by)
             .where(Handoff.status == HandoffStatus.closed)
             .order_by(Handoff.closed_at.desc(), Handoff.id.desc())
             .limit(search.limit))
    if names_patient:
        by_patient = Handoff.patient_id == patient_id if patient_id else None
        by_phone = Handoff.phone == phone if phone else None
        clauses = [c for c in (by_patient, by_phone) if c is not None]
        if not clauses:
            query = query.where(Handoff.id.is_(None))
        else:
            query = query.where(clauses[0] | clauses[1] if len(clauses) == 2 else clauses[0])
    tz = clinic_tz()
    if search.closed_from:
        query = query.where(Handoff.closed_at >= datetime.combine(search.closed_from, time(),
                                                                  tzinfo=tz))
    if search.closed_to:
        query = query.where(Handoff.closed_at < datetime.combine(
            search.closed_to + timedelta(days=1), time(), tzinfo=tz))
    if search.disposition:
        query = query.where(Handoff.disposition == search.disposition)
    if search.team:
        query = query.where(Handoff.team == search.team)
    teams = visible_teams(agent)
    if teams is not None:  # their teams' conversations, and those they closed themselves
        query = query.where(Handoff.team.in_(teams) | (Handoff.accepted_by == agent.id))
    rows = list(session.execute(query).all())
    if names_patient:
        audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=patient_id,
                     action="search_closed_handoffs",
                     fields=["phone"] if search.phone else ["name", "date_of_birth"],
                     reason=str(search.reason))
        session.commit()
    return [HistoryItem(id=h.id, patient=handoffs.patient_label(h), channel=h.channel,
                        reason=h.reason, team=h.team,
                        disposition=h.disposition.value if h.disposition else None,
                        created_at=h.created_at, closed_at=h.closed_at, closed_by=name)
            for h, name in rows]


def closed_transcript(session: Session, handoff: Handoff) -> list[dict[str, object]]:
    """The conversation as it stood at the close: the day before the handoff until then."""
    end = (handoff.closed_at or now()) + timedelta(seconds=5)
    return [item.model_dump(mode="json")
            for item in transcript.read(session, handoff.conversation_id,
                                        since=handoff.created_at - transcript.WINDOW)
            if item.at <= end]


def open_closed(session: Session, handoff_id: int, agent: Agent) -> tuple[Handoff, str | None]:
    """A closed handoff, read-only, audited like any opening of a handoff."""
    handoff = visible_handoff(session, handoff_id, agent)
    if handoff.status is not HandoffStatus.closed:
        raise ToolConflict("This conversation is still open: find it in the queue.")
    handoffs.view(session, handoff_id, agent)
    owner = session.get(Agent, handoff.accepted_by) if handoff.accepted_by else None
    return handoff, owner.display_name if owner else None

