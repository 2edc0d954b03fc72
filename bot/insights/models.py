"""Episodes (one patient contact each) and the events that built them.

An episode is a conversation session on one channel: a new one starts after 15 minutes idle
or after a closed handoff. Its outcome is not stored: `bot.insights.outcomes` derives it from
these facts and the clock, so a late event (an agent closing the handoff) changes it at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class Episode(Base):
    __tablename__ = "insight_episodes"
    __table_args__ = (
        Index("ix_insight_episodes_conversation_last", "conversation_id", "last_message_at"),
        Index("ix_insight_episodes_started", "started_at"),
        Index("ix_insight_episodes_patient", "patient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    # The conversation's language ("en", "es"), as the engine last had it in the episode.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # "inbound", or "outreach" when the patient answered an outreach message (which one).
    origin: Mapped[str] = mapped_column(String(10), default="inbound")
    outreach_message: Mapped[str | None] = mapped_column(String(80))
    # No foreign key: a record of what happened, kept when the demo back office is reseeded.
    patient_id: Mapped[int | None] = mapped_column(Integer)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verification_method: Mapped[str | None] = mapped_column(String(40))
    # Task areas asked about (billing, appointments, refills) and the intents seen.
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    tasks: Mapped[list[str]] = mapped_column(JSON, default=list)
    failed_tasks: Mapped[list[str]] = mapped_column(JSON, default=list)

    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime)

    handoff_id: Mapped[int | None] = mapped_column(Integer)
    handoff_reason: Mapped[str | None] = mapped_column(String(40))
    handoff_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_agent_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposition: Mapped[str | None] = mapped_column(String(20))

    turns: Mapped[int] = mapped_column(Integer, default=0)
    fallbacks: Mapped[int] = mapped_column(Integer, default=0)
    low_confidence: Mapped[int] = mapped_column(Integer, default=0)
    # Repeat-yourself findings: [{"who": "agent"|"patient", "item": "dob"|..., "at": iso}].
    repeats: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class InsightEvent(Base):
    """One thing that happened in an episode. Texts only for turns that went wrong (a
    fallback, low confidence, out of scope), redacted."""

    __tablename__ = "insight_events"
    __table_args__ = (Index("ix_insight_events_episode_at", "episode_id", "at"),
                      Index("ix_insight_events_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("insight_episodes.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # turn, task, task_failed, handoff_requested, handoff_accepted, agent_message,
    # patient_message, handoff_closed, repeat, safety (name: what a turn did about an
    # emergency, bot.insights.tracker.safety_of)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
