"""SMS consent as carriers require: STOP words opt a number out, START words back in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.backoffice import consent as purposes
from bot.backoffice.service import set_sms_consent
from channels.models import SmsOptOut

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def keyword(body: str) -> str:
    """The message as a carrier keyword: one word, any case, surrounding spaces ignored."""
    return body.strip().upper()


def is_opted_out(session: Session, phone: str) -> bool:
    return session.get(SmsOptOut, phone) is not None


def opt_out(session: Session, phone: str) -> None:
    """Records the opt-out and withdraws the patient's SMS consent in the back office, for
    every purpose at once (care and billing outreach)."""
    now = datetime.now(UTC)
    if session.get(SmsOptOut, phone) is None:
        session.add(SmsOptOut(phone=phone, opted_out_at=now))
    set_sms_consent(session, phone, False)
    purposes.on_stop(session, phone, now)
    session.commit()


def opt_in(session: Session, phone: str) -> None:
    """START: messages again, and the purposes STOP withdrew are restored (not others)."""
    session.execute(delete(SmsOptOut).where(SmsOptOut.phone == phone))
    set_sms_consent(session, phone, True)
    purposes.on_start(session, phone, datetime.now(UTC))
    session.commit()


def opted_out_numbers(session: Session) -> set[str]:
    return set(session.scalars(select(SmsOptOut.phone)))
