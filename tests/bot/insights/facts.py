"""Hand-built episodes for the definitions' tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.insights.outcomes import Facts

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
# Long after every episode here ended, and every look-ahead window with it.
LATER = T0 + timedelta(days=30)
_ids = iter(range(1, 1_000_000))


def episode(start: timedelta = timedelta(0), length: timedelta = timedelta(minutes=2),
            **fields: Any) -> Facts:
    started = T0 + start
    base = Facts(id=next(_ids), conversation_id=fields.pop("conversation_id", "sms:+15555550101"),
                 channel=fields.pop("channel", "sms"), started_at=started,
                 last_message_at=started + length)
    return replace(base, **fields)


def resolved(start: timedelta = timedelta(0), topic: str = "billing", **fields: Any) -> Facts:
    """Resolved by the bot: the balance told a minute in."""
    return episode(start, topics=(topic,), tasks=("balance_told",),
                   resolved_at=T0 + start + timedelta(minutes=1), **fields)


def handed(start: timedelta = timedelta(0), disposition: str | None = "resolved",
           accepted: bool = True, reason: str = "requested", **fields: Any) -> Facts:
    """A handoff requested a minute in, accepted after 2 minutes, closed 5 minutes later."""
    at = T0 + start
    return episode(start, length=timedelta(minutes=10), handoff_id=next(_ids),
                   handoff_reason=reason, handoff_requested_at=at + timedelta(minutes=1),
                   accepted_at=at + timedelta(minutes=3) if accepted else None,
                   first_agent_message_at=at + timedelta(minutes=4) if accepted else None,
                   closed_at=at + timedelta(minutes=10) if disposition else None,
                   disposition=disposition, **fields)
