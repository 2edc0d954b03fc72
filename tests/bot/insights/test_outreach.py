"""Outreach through its one boundary: an SMS episode that answers an outreach message within
24 h is outreach-started (and which message); web chat and later replies are inbound; counts
and reply rates from outreach's table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.insights import record
from bot.insights.outreach import outreach_counts, outreach_origin, outreach_outcomes
from bot.insights.tracker import TurnParse
from bot.outreach.enums import OutreachKind, OutreachStatus, Purpose
from bot.outreach.models import OutreachMessage

MARIA = "+15555550101"


def sent(session: Session, patient_id: int, at: datetime, status: OutreachStatus,
         reply: str | None = None, key: str = "a") -> None:
    session.add(OutreachMessage(
        dedupe_key=key, patient_id=patient_id, kind=OutreachKind.appointment_reminder,
        purpose=Purpose.care, subject_type="appointment", subject_id=1, offset_label="24h",
        subject_at=at + timedelta(days=1), priority=1, due_at=at, not_before=at,
        expires_at=at + timedelta(hours=6), status=status, attempts=1, planned_at=at,
        phone=MARIA, sent_at=at if status is not OutreachStatus.suppressed else None,
        replied_at=at + timedelta(minutes=5) if reply else None, reply=reply))
    session.commit()


def test_a_reply_within_24h_is_outreach_started(seeded: Session, ids: dict[str, int]) -> None:
    t0 = datetime.now(UTC) - timedelta(hours=30)
    sent(seeded, ids["Lopez"], t0, OutreachStatus.delivered, reply="confirm")
    sent(seeded, ids["Lopez"], t0, OutreachStatus.suppressed, key="b")
    assert outreach_origin(seeded, f"sms:{MARIA}", t0 + timedelta(hours=2)) == (
        "outreach", "appointment_reminder")
    assert outreach_origin(seeded, f"sms:{MARIA}", t0 + timedelta(hours=25)) == ("inbound", None)
    assert outreach_origin(seeded, "web:abc", t0 + timedelta(hours=2)) == ("inbound", None)
    episode = record.turn(seeded, f"sms:{MARIA}", "1", t0 + timedelta(minutes=5),
                          t0 + timedelta(minutes=5), TurnParse(intent="affirm"))
    assert episode is not None and (episode.origin, episode.outreach_message) == (
        "outreach", "appointment_reminder")
    assert outreach_counts(seeded) == {"delivered": 1, "suppressed": 1}
    outcomes = outreach_outcomes(seeded, t0 - timedelta(hours=1), t0 + timedelta(hours=1))
    assert outcomes is not None
    reminder = outcomes["by_kind"]["appointment_reminder"]
    assert (reminder["sent"], reminder["replied"], reminder["confirmation_rate"]) == (1, 1, 1.0)
    assert reminder["suppressed"] == {"unknown": 1}
