"""Saved replies, private notes and follow-up tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class SavedReply(Base):
    """A reply a team keeps at hand, with {placeholders} filled from the handoff's context.

    title and body are English, which every reply has; `texts` holds the same reply in other
    languages, each optional: {"es": {"title": ..., "body": ...}}. A JSON column rather than a
    table of texts: a reply is always read, edited (the whole of it), audited and deleted as
    one, and its texts are never looked up on their own.
    """

    __tablename__ = "saved_replies"
    __table_args__ = (Index("ix_saved_replies_team_shortcut", "team", "shortcut"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every team sees it.
    team: Mapped[str | None] = mapped_column(String(40))
    shortcut: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What must hold for the reply to be offered (`tools.service.CONDITIONS`); None: always.
    # Payment-plan placeholders add "plan_eligible" on their own.
    condition: Mapped[str | None] = mapped_column(String(40))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    texts: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict,
                                                             server_default=text("'{}'"))


class HandoffNote(Base):
    """Private to the desk: never sent to the patient, shown to whoever opens the handoff."""

    __tablename__ = "handoff_notes"
    __table_args__ = (Index("ix_handoff_notes_handoff_at", "handoff_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # "note" (written at the desk), "transfer" (the note of a transfer), "follow_up".
    kind: Mapped[str] = mapped_column(String(20), default="note")
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class FollowUp(Base):
    """What was promised to the patient at close, and by when: a task in the team's queue.

    status: open (waiting for the agent's message), scheduled (message written, held until
    the clinic's daytime hours), sent, blocked (the patient cannot be texted: call instead),
    done (closed without a message, e.g. after a call).
    """

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_team_status_due", "team", "status", "due_at"),
                      Index("ix_follow_ups_status_send_at", "status", "send_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"))
    conversation_id: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="open")
    message: Mapped[str | None] = mapped_column(Text)
    # When the message may go out (quiet hours move it to the next morning).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    # Why it was not sent, in words for the agent.
    blocked_reason: Mapped[str | None] = mapped_column(String(200))
