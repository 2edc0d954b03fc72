"""A handoff: one conversation waiting for, or talking with, a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime
from bot.handoff.enums import Disposition, HandoffStatus, Urgency  # defined without the ORM


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        # One open handoff per conversation at a time.
        Index(
            "uq_handoffs_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_handoffs_status_urgency", "status", "urgency_rank", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[HandoffStatus] = mapped_column(
        Enum(HandoffStatus, native_enum=False, length=10), default=HandoffStatus.waiting
    )
    urgency: Mapped[Urgency] = mapped_column(Enum(Urgency, native_enum=False, length=10))
    # 1 for urgent, 0 for normal: the queue sorts on it.
    urgency_rank: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(String(40))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verification_method: Mapped[str | None] = mapped_column(String(40))
    # No foreign key: the handoff is a record of what happened, kept when the demo is reseeded.
    patient_id: Mapped[int | None] = mapped_column(Integer)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposition: Mapped[Disposition | None] = mapped_column(
        Enum(Disposition, native_enum=False, length=20)
    )
    # The team's queue it is in (bot.agents.models.Team), routed from its reason and topics.
    team: Mapped[str] = mapped_column(String(20), default="general", server_default="general")
    # The conversation's language ("en", "es"): the desk shows it and offers the handoff
    # first to agents who speak it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # Set by a transfer to a named agent: only they see it in their queue (and supervisors).
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # When it entered its current queue (a transfer re-queues it): wait limits count from here.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The path so far: [{"team", "agent", "by", "at", "note"}], one entry per transfer.
    path: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list,
                                                       server_default=text("'[]'"))
    # The last time a waiting patient was told their message was seen (one a few minutes).
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every transfer: a transfer's conditional update names the count it read, so
    # two racing transfers (or a transfer racing an accept or close) cannot both win.
    transfers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
