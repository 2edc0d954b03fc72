"""Where an episode came from (a reply to an outreach message, or inbound) and what outreach
did: the one boundary to engineer F's outreach tables.

Read with plain table constructs, not F's ORM classes, so insights depends only on the columns
named here; without F's tables every episode is inbound and no outreach numbers are reported.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.orm import Session

from bot.db import UTCDateTime

# A patient's message within this long after an outreach message to them answers it.
REPLY_WINDOW = timedelta(hours=24)
SENT = ("sent", "delivered")

MESSAGES = table(
    "outreach_messages", column("id"), column("kind"), column("status"), column("reason"),
    column("phone"), column("patient_id"), column("sent_at", UTCDateTime()),
    column("replied_at", UTCDateTime()), column("reply"), column("planned_at", UTCDateTime()),
)
PATIENTS = table("outreach_patients", column("patient_id"), column("held_out"))
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


def outreach_outcomes(session: Session, start: datetime, end: datetime) -> dict[str, Any] | None:
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
    return {"by_kind": by_kind, "held_out_patients": held_out}
