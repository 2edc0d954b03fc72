"""The transcript: every turn of every conversation, written and read here only.

Written by the turn (patient and bot), the desk (agent, notices) and the SMS status callback
(a failed delivery); read by the desk and the web chat's history.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import cast

from sqlalchemy import Insert, Table, insert, select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.clock import now
from bot.conversation_ids import channel_of
from bot.conversations.models import TranscriptEntry
from bot.conversations.schemas import TranscriptItem

# How far back the desk and the chat history look.
WINDOW = timedelta(hours=24)


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


@cache
def _insert_entries() -> Insert:
    return insert(cast(Table, TranscriptEntry.__table__))


def record_turn(session: Session, conversation_id: str, patient_text: str, received: datetime,
                bot_texts: list[str], answered: datetime | None = None) -> None:
    """A patient's message and the bot's replies (`answered`: when they were given, default
    now), written in one transaction."""
    channel = channel_of(conversation_id)
    answered = answered or now()
    # One INSERT for the rows (executemany) on the table, built once: not the unit of work's
    # per-object bookkeeping, nor the ORM's bulk path. This runs on every turn.
    rows = [{"conversation_id": conversation_id, "channel": channel, "role": "patient",
             "text": patient_text, "at": received}]
    rows += [{"conversation_id": conversation_id, "channel": channel, "role": "bot",
              "text": text, "at": answered} for text in bot_texts]
    session.execute(_insert_entries(), rows)
    session.commit()


def read(session: Session, conversation_id: str, since: datetime | None = None
         ) -> list[TranscriptItem]:
    """The conversation in order, from `since` (default: the last 24 hours); an agent's
    message with the agent's name."""
    since = since or now() - WINDOW
    rows = session.execute(
        select(TranscriptEntry, Agent.display_name)
        .outerjoin(Agent, Agent.id == TranscriptEntry.agent_id)
        .where(TranscriptEntry.conversation_id == conversation_id, TranscriptEntry.at >= since)
        .order_by(TranscriptEntry.at, TranscriptEntry.id)
    )
    return [TranscriptItem(role=r.role, text=r.text, at=r.at, channel=r.channel,
                           agent=name if r.role == "agent" else None) for r, name in rows]
