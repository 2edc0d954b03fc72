"""What an agent does to a handoff, with the transcript line each step leaves behind.

The desk sits above the handoff queue and the transcript: it is the one place that joins
them, so neither has to know the other. Each verb runs in one session (`bot.db.in_session`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.conversations import transcript
from bot.conversations.models import TranscriptEntry
from bot.desk.schemas import HandoffDetail
from bot.desk.tools import service as tools
from bot.handoff import service as handoffs
from bot.handoff.models import Disposition, Handoff
from bot.handoff.schemas import FollowUpIn
from bot.insights import record as insights

BACK_TO_BOT = ("Thanks for chatting with our team. I'm the assistant again: "
               "is there anything else I can help with?")


def detail(session: Session, handoff_id: int, agent: Agent) -> HandoffDetail:
    """The handoff as an agent opens it (the read is audited by `handoffs.view`)."""
    handoff = handoffs.view(session, handoff_id, agent)
    owner = session.get(Agent, handoff.accepted_by) if handoff.accepted_by else None
    return HandoffDetail(
        id=handoff.id, status=handoff.status,
        transcript=transcript.read(session, handoff.conversation_id),
        context=handoffs.context(handoff, owner.display_name if owner else None))


def accept(session: Session, handoff_id: int, agent: Agent) -> tuple[Handoff, TranscriptEntry]:
    handoff = handoffs.accept(session, handoff_id, agent)
    notice = transcript.record_entry(
        session, handoff.conversation_id, "system",
        f"You're now chatting with {agent.display_name} from our team.",
        handoff_id=handoff.id, agent_id=agent.id)
    return handoff, notice


def reply(session: Session, handoff_id: int, agent: Agent, text: str
          ) -> tuple[Handoff, TranscriptEntry]:
    """Only the agent who accepted the handoff may write to the patient."""
    handoff = handoffs.require_owner(session, handoff_id, agent)
    entry = transcript.record_entry(session, handoff.conversation_id, "agent", text,
                                    handoff_id=handoff.id, agent_id=agent.id)
    insights.agent_message(session, handoff, text, entry.at)
    return handoff, entry


def close(session: Session, handoff_id: int, agent: Agent, disposition: Disposition,
          follow_up: FollowUpIn | None = None) -> tuple[Handoff, TranscriptEntry]:
    """A follow-up close (desk tools) tells the patient who will get back to them and by when,
    instead of the generic goodbye, and leaves a task in the team's queue."""
    if follow_up is not None:  # refused before the close, so nothing half-happens
        tools.check_follow_up(session, handoffs.get(session, handoff_id), follow_up,
                              tools.now())
    handoff = handoffs.close(session, handoff_id, agent, disposition)
    text = BACK_TO_BOT
    if follow_up is not None:
        _, text = tools.create_follow_up(session, handoff, agent, follow_up, tools.now())
    notice = transcript.record_entry(session, handoff.conversation_id, "system", text,
                                     handoff_id=handoff.id, agent_id=agent.id)
    return handoff, notice
