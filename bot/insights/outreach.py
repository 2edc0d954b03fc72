"""Where an episode came from (a reply to an outreach message, or inbound) and what outreach
did: the one boundary to engineer F's outreach tables.

Read with plain table constructs, not F's ORM classes, so insights depends only on the columns
named here; without F's tables every episode is inbound and no outreach numbers are reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, column, func, inspect, or_, select, table
from sqlalchemy.orm import Session

from bot.db import UTCDateTime
from bot.insights.measures import rate

# A patient's message within this long after an outreach message to them answers it.
REPLY_WINDOW = timedelta(hours=24)
SENT = ("sent", "delivered")

MESSAGES = table(
    "outreach_messages", column("id"), column("kind"), column("status"), column("reason"),
    column("phone"), column("patient_id"), column("sent_at", UTCDateTime()),
    column("replied_at", UTCDateTime()), column("reply"), column("planned_at", UTCDateTime()),
)
PATIENTS = table("outreach_patients", column("patient_id"), column("held_out"))
MESSAGE_FACTS = table(
    "outreach_messages", column("id"), column("kind"), column("status"), column("reason"),
    column("phone"), column("patient_id"), column("subject_type"), column("subject_id"),
    column("sent_at", UTCDateTime()), column("due_at", UTCDateTime()),
    column("planned_at", UTCDateTime()),
)
APPOINTMENTS = table("appointments", column("id"), column("patient_id"),
                     column("starts_at", UTCDateTime()), column("status"))
REFILLS = table("refill_requests", column("prescription_id"),
                column("created_at", UTCDateTime()))
CONSENTS = table("outreach_consents", column("patient_id"), column("withdrawn_at", UTCDateTime()),
                 column("withdrawn_by"))
SMS_OPT_OUTS = table("sms_opt_outs", column("phone"), column("opted_out_at", UTCDateTime()))
# A refill or renewal filed this long after a prompt (or the hold-out's would-be prompt) counts.
FILED_WINDOW = timedelta(days=7)
# A STOP this long after an outreach message to the patient was caused by it.
OPT_OUT_WINDOW = timedelta(hours=24)
PROMPTS = ("refill_prompt", "renewal_prompt")
HOLD_OUT = "hold_out"
STOP_SOURCE = "sms_stop"  # bot.backoffice.consent.STOP_SOURCE, read here as a column value
# Back-office appointment states (bot.backoffice.enums.AppointmentStatus) as stored.
NO_SHOW, CANCELLED = "no_show", "cancelled"
_seen: set[str] = set()


def outreach_tables(session: Session) -> bool:
    bind = session.get_bind()
    key = str(bind.engine.url)
    if key not in _seen and inspect(bind).has_table("outreach_messages"):
        _seen.add(key)
    return key in _seen


def outreach_origin(session: Session, conversation_id: str, at: datetime
                    ) -> tuple[str, str | None]:
    """("outreach", the message's kind) when an outreach SMS went to this number in the 24 h
    before the episode's first message; else ("inbound", None). Web chat is always inbound."""
    if not conversation_id.startswith("sms:") or not outreach_tables(session):
        return "inbound", None
    kind = session.execute(
        select(MESSAGES.c.kind).where(
            MESSAGES.c.phone == conversation_id.removeprefix("sms:"),
            MESSAGES.c.status.in_(SENT), MESSAGES.c.sent_at <= at,
            MESSAGES.c.sent_at > at - REPLY_WINDOW)
        .order_by(MESSAGES.c.sent_at.desc()).limit(1)).scalar()
    return ("outreach", str(kind)) if kind else ("inbound", None)


def outreach_counts(session: Session) -> dict[str, int]:
    """Outreach messages by state (sent, suppressed, failed, ...), for /metrics."""
    if not outreach_tables(session):
        return {}
    rows = session.execute(select(MESSAGES.c.status, func.count()).group_by(MESSAGES.c.status))
    return {str(status): int(count) for status, count in rows}


def outreach_outcomes(session: Session, start: datetime, end: datetime,
                      now: datetime | None = None) -> dict[str, Any] | None:
    """Per kind, for messages sent (or, never sent, planned) in the window: sent, replied,
    replies by answer (confirmation and reschedule-by-reply rates), suppressed by reason, and
    the hold-out's size. None without F's tables."""
    if not outreach_tables(session):
        return None
    rows = session.execute(select(MESSAGES.c.kind, MESSAGES.c.status, MESSAGES.c.reason,
                                  MESSAGES.c.reply, MESSAGES.c.replied_at)
                           .where(func.coalesce(MESSAGES.c.sent_at, MESSAGES.c.planned_at) >= start,
                                  func.coalesce(MESSAGES.c.sent_at, MESSAGES.c.planned_at) < end)
                           ).all()
    by_kind: dict[str, dict[str, Any]] = {}
    for kind, status, reason, reply, replied_at in rows:
        entry = by_kind.setdefault(str(kind), {"sent": 0, "replied": 0, "replies": Counter(),
                                               "suppressed": Counter()})
        if status in SENT:
            entry["sent"] += 1
            if replied_at is not None:
                entry["replied"] += 1
                entry["replies"][str(reply or "other")] += 1
        elif status == "suppressed":
            entry["suppressed"][str(reason or "unknown")] += 1
    for entry in by_kind.values():
        sent = entry["sent"]
        entry["confirmation_rate"] = round(entry["replies"].get("confirm", 0) / sent, 4) \
            if sent else None
        entry["reschedule_by_reply_rate"] = round(
            entry["replies"].get("reschedule", 0) / sent, 4) if sent else None
        entry["replies"] = dict(entry["replies"])
        entry["suppressed"] = dict(entry["suppressed"])
    held_out = 0
    if inspect(session.get_bind()).has_table("outreach_patients"):
        held_out = int(session.scalar(select(func.count()).select_from(PATIENTS)
                                      .where(PATIENTS.c.held_out.is_(True))) or 0)
    now = now or datetime.now(UTC)
    return {"by_kind": by_kind, "held_out_patients": held_out,
            "no_show": no_show_rates(*_appointment_groups(session, start, end, now)),
            "refills_filed": filed_rates(_prompts(session, start, end),
                                         _filings(session, start, end), now),
            "opt_outs": opt_outs_caused(_sent_messages(session, start, end),
                                        _stops(session, start, end))}


# --- The comparisons with the hold-out: rows read here, numbers from pure functions below.
#
# The hold-out group is what F's planner would have sent: held-out patients get their rows in
# outreach_messages too, suppressed at once with the reason `hold_out` (bot/outreach/planning),
# so "held out" here means exactly "would have been reminded / prompted by the same rule".


def _compared(counts: dict[str, dict[str, int]], part: str, whole: str, sent: str
              ) -> dict[str, Any]:
    """Each group's counts with its rate (`part` over `whole`), and the outreach group's rate
    less the hold-out's."""
    result: dict[str, Any] = {name: {**c, "rate": rate(c[part], c[whole])}
                              for name, c in counts.items()}
    a, b = result[sent]["rate"], result["held_out"]["rate"]
    result["difference"] = round(a - b, 4) if a is not None and b is not None else None
    return result


def _appointment_groups(session: Session, start: datetime, end: datetime, now: datetime
                        ) -> tuple[list[tuple[int, str]], set[int], set[int]]:
    """The window's appointments whose time has passed (id, status), and the ids reminded
    (a reminder sent for that appointment) and held out (its reminder suppressed as hold-out).
    """
    appointments = [(int(i), str(s)) for i, s in session.execute(
        select(APPOINTMENTS.c.id, APPOINTMENTS.c.status).where(
            APPOINTMENTS.c.starts_at >= start, APPOINTMENTS.c.starts_at < end,
            APPOINTMENTS.c.starts_at <= now))]
    ids = [i for i, _ in appointments]
    reminded: set[int] = set()
    held: set[int] = set()
    m = MESSAGE_FACTS.c
    for chunk in range(0, len(ids), 500):
        for subject_id, status in session.execute(
                select(m.subject_id, m.status).where(
                    m.kind == "appointment_reminder", m.subject_type == "appointment",
                    m.subject_id.in_(ids[chunk:chunk + 500]),
                    or_(m.status.in_(SENT), and_(m.status == "suppressed",
                                                 m.reason == HOLD_OUT)))):
            (reminded if status in SENT else held).add(int(subject_id))
    return appointments, reminded, held - reminded


def no_show_rates(appointments: Iterable[tuple[int, str]], reminded: set[int],
                  held_out: set[int]) -> dict[str, Any]:
    """No-shows over past appointments (cancelled ones left out), reminded against held out;
    rates are None when a group has no appointment."""
    groups = {"reminded": reminded, "held_out": held_out}
    counts = {name: {"appointments": 0, "no_shows": 0} for name in groups}
    for appointment_id, status in appointments:
        if status == CANCELLED:
            continue
        for name, members in groups.items():
            if appointment_id in members:
                counts[name]["appointments"] += 1
                counts[name]["no_shows"] += status == NO_SHOW
    return _compared(counts, "no_shows", "appointments", "reminded")


@dataclass(frozen=True)
class Prompt:
    """A refill or renewal prompt sent (at `at`), or held out (`at`: when it was due)."""

    kind: str
    prescription_id: int
    at: datetime
    held_out: bool


def _prompts(session: Session, start: datetime, end: datetime) -> list[Prompt]:
    m = MESSAGE_FACTS.c
    rows = session.execute(select(m.kind, m.subject_id, m.status, m.sent_at, m.due_at,
                                  m.planned_at).where(
        m.kind.in_(PROMPTS), m.subject_type == "prescription",
        or_(and_(m.status.in_(SENT), m.sent_at >= start, m.sent_at < end),
            # max(due, planned) in the window, as computed below.
            and_(m.status == "suppressed", m.reason == HOLD_OUT, m.due_at < end,
                 m.planned_at < end, or_(m.due_at >= start, m.planned_at >= start)))))
    prompts = []
    for kind, subject_id, status, sent_at, due_at, planned_at in rows:
        if status in SENT:
            prompts.append(Prompt(str(kind), int(subject_id), sent_at, False))
            continue
        # Planned late (after its due time), the would-be prompt is when it was planned.
        at = max(due_at, planned_at) if planned_at is not None else due_at
        if start <= at < end:
            prompts.append(Prompt(str(kind), int(subject_id), at, True))
    return prompts


def _filings(session: Session, start: datetime, end: datetime) -> list[tuple[int, datetime]]:
    return [(int(p), at) for p, at in session.execute(
        select(REFILLS.c.prescription_id, REFILLS.c.created_at).where(
            REFILLS.c.created_at >= start, REFILLS.c.created_at < end + FILED_WINDOW))]


def filed_rates(prompts: Iterable[Prompt], filings: Iterable[tuple[int, datetime]],
                now: datetime) -> dict[str, Any]:
    """Prompts followed by a refill or renewal request for that prescription within 7 days,
    over prompts whose 7 days are over (or that were already followed); the others are
    `pending`. Sent against held out; rates None when a group has none."""
    by_rx: dict[int, list[datetime]] = {}
    for rx, at in filings:
        by_rx.setdefault(rx, []).append(at)
    counts = {name: {"prompts": 0, "filed": 0, "pending": 0} for name in ("prompted", "held_out")}
    for p in prompts:
        c = counts["held_out" if p.held_out else "prompted"]
        if any(p.at <= at <= p.at + FILED_WINDOW for at in by_rx.get(p.prescription_id, ())):
            c["prompts"] += 1
            c["filed"] += 1
        elif p.at + FILED_WINDOW <= now:
            c["prompts"] += 1
        else:
            c["pending"] += 1
    return _compared(counts, "filed", "prompts", "prompted")


@dataclass(frozen=True)
class Sent:
    kind: str
    patient_id: int
    phone: str | None
    at: datetime


def _sent_messages(session: Session, start: datetime, end: datetime) -> list[Sent]:
    m = MESSAGE_FACTS.c
    return [Sent(str(kind), int(pid), phone, at) for kind, pid, phone, at in session.execute(
        select(m.kind, m.patient_id, m.phone, m.sent_at).where(
            m.status.in_(SENT), m.sent_at >= start, m.sent_at < end))]


def _stops(session: Session, start: datetime, end: datetime
           ) -> list[tuple[int | None, str | None, datetime]]:
    """STOPs as (patient id, phone, when): outreach's consent withdrawals by STOP, and the
    numbers' opt-outs (recorded even when no consent row was on file)."""
    stops: list[tuple[int | None, str | None, datetime]] = [
        (int(pid), None, at) for pid, at in session.execute(
            select(CONSENTS.c.patient_id, CONSENTS.c.withdrawn_at).where(
                CONSENTS.c.withdrawn_by == STOP_SOURCE, CONSENTS.c.withdrawn_at >= start,
                CONSENTS.c.withdrawn_at < end + OPT_OUT_WINDOW))]
    if inspect(session.get_bind()).has_table("sms_opt_outs"):
        stops += [(None, str(phone), at) for phone, at in session.execute(
            select(SMS_OPT_OUTS.c.phone, SMS_OPT_OUTS.c.opted_out_at).where(
                SMS_OPT_OUTS.c.opted_out_at >= start,
                SMS_OPT_OUTS.c.opted_out_at < end + OPT_OUT_WINDOW))]
    return stops


def opt_outs_caused(sent: Iterable[Sent], stops: Iterable[tuple[int | None, str | None,
                                                                 datetime]]) -> dict[str, Any]:
    """Patients who sent STOP within 24 h after an outreach message to them, over patients
    messaged; each opt-out is put down to the last message before it (by kind)."""
    messages = sorted(sent, key=lambda s: s.at)
    stop_list = list(stops)
    caused: dict[int, str] = {}
    for s in messages:
        for pid, phone, at in stop_list:
            if (pid == s.patient_id or (phone is not None and phone == s.phone)) \
                    and s.at <= at <= s.at + OPT_OUT_WINDOW:
                caused[s.patient_id] = s.kind  # later messages overwrite: the last one wins
                break
    patients = {s.patient_id for s in messages}
    return {"patients_messaged": len(patients), "opted_out": len(caused),
            "rate": rate(len(caused), len(patients)),
            "by_kind": dict(Counter(caused.values()))}
