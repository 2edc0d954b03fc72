"""Where an episode came from: a reply to an outreach message (F's tables) or inbound.

The one boundary to engineer F's outreach: everything insights knows of outreach goes through
here, and without F's tables every episode is inbound.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.orm import Session

# A patient's message within this long after an outreach message to them answers it.
REPLY_WINDOW = timedelta(hours=24)


def outreach_tables(session: Session) -> bool:
    return bool(inspect(session.get_bind()).has_table("outreach_messages"))


def outreach_origin(session: Session, conversation_id: str, at: datetime
                    ) -> tuple[str, str | None]:
    """("outreach", which message) when the episode answers an outreach message; else
    ("inbound", None)."""
    return "inbound", None


def outreach_counts(session: Session) -> dict[str, int]:
    """Outreach messages sent and suppressed, for /metrics; empty without F's tables."""
    return {}
