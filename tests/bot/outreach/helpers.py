"""Running outreach as of a time in tests: the real outbox sender, no engine."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.outreach.models import OutreachMessage
from bot.outreach.service import RunResult, run_due
from bot.settings import Settings
from channels.models import SmsMessage
from channels.sms_sender import OutboxSender


def run(sessions: sessionmaker[Session], now: datetime, settings: Settings,
        worker: str = "test-worker") -> RunResult:
    sender = OutboxSender(sessions, "+15555550100")
    return asyncio.run(run_due(sessions, sender, now, settings, None, worker))


def rows(sessions: sessionmaker[Session]) -> list[OutreachMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutreachMessage).order_by(OutreachMessage.id)))


def by_key(sessions: sessionmaker[Session]) -> dict[tuple[str, int, str], OutreachMessage]:
    """(kind, patient id, offset) -> row."""
    return {(r.kind.value, r.patient_id, r.offset_label): r for r in rows(sessions)}


def texts_to(sessions: sessionmaker[Session], phone: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(SmsMessage.body).where(SmsMessage.to_number == phone)
                                    .order_by(SmsMessage.id)))
