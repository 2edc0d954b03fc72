"""Every turn of every conversation, as the agent desk shows it (PHI: access-controlled)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class TranscriptEntry(Base):
    __tablename__ = "transcript_entries"
    __table_args__ = (Index("ix_transcript_conversation_at", "conversation_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    # "patient", "bot", "agent" or "system" (notices such as "connected to an agent").
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
