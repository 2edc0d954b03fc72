"""What an agent does to a handoff, with the transcript line each step leaves behind.

The desk sits above the handoff queue and the transcript: it is the one place that joins
them, so neither has to know the other. Each verb runs in one session (`bot.db.in_session`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents import service as agents
from bot.agents import teams
from bot.agents.models import Agent, Team
from bot.clock import now
from bot.conversations import transcript
from bot.conversations.models import TranscriptEntry
from bot.desk.schemas import HandoffDetail, NoteOut, TeamInfo
from bot.desk.tools import service as tools
from bot.desk.tools.models import HandoffNote
from bot.handoff import service as handoffs
from bot.handoff.models import Disposition, Handoff, HandoffStatus, Urgency
from bot.handoff.schemas import FollowUpIn
from bot.insights import record as insights
from bot.responses import response_text
from bot.settings import get_settings

BACK_TO_BOT = ("Thanks for chatting with our team. I'm the assistant again: "
               "is there anything else I can help with?")


def detail(session: Session, handoff_id: int, agent: Agent) -> HandoffDetail:
    """The handoff as an agent opens it (the read is audited by `handoffs.view`)."""
    if not handoffs.visible_to(handoffs.get(session, handoff_id), agent):
        raise handoffs.NotYourHandoff(handoff_id)  # another team's: not even opened
    handoff = handoffs.view(session, handoff_id, agent)
    handoffs.refresh_summary(session, handoff)
    owner = session.get(Agent, handoff.accepted_by) if handoff.accepted_by else None
    return HandoffDetail(
        id=handoff.id, status=handoff.status,
        transcript=transcript.read(session, handoff.conversation_id),
        context={**handoffs.context(handoff, owner.display_name if owner else None),
                 "other_conversations": handoffs.other_conversations(session, handoff)},
        notes=[NoteOut(text=n.text, author=n.author, at=n.at, kind=n.kind)
               for n in tools.list_notes(session, handoff.id)],
        transfer=handoffs.last_transfer(handoff))


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
                              now())
    handoff = handoffs.close(session, handoff_id, agent, disposition)
    text = BACK_TO_BOT
    if follow_up is not None:
        _, text = tools.create_follow_up(session, handoff, agent, follow_up, now())
    notice = transcript.record_entry(session, handoff.conversation_id, "system", text,
                                     handoff_id=handoff.id, agent_id=agent.id)
    return handoff, notice



def transfer_notice(target: Agent | None, team: str) -> str:
    """One plain sentence; the patient is never asked again for what is known."""
    who = (f"{target.display_name} from our {teams.label(team)}" if target is not None
           else f"our {teams.label(team)}")
    return (f"I'm passing you to {who}, who can see our whole conversation, so you won't "
            "need to repeat anything.")


def transfer(session: Session, handoff_id: int, agent: Agent, team: str | None,
             to_agent_id: int | None, note: str | None
             ) -> tuple[Handoff, TranscriptEntry, Agent | None, dict[str, Any]]:
    """To another team's queue or a named agent, with a private note for the next agent; the
    transcript, context and path travel with the handoff. One transaction. Also returns who
    saw it before (`handoffs.audience`): their queues must drop it."""
    # Read again by handoffs.transfer; a transfer racing in between at worst leaves one
    # queue stale until its next refresh (`was` only ever asks for a refresh).
    was = handoffs.audience(handoffs.get(session, handoff_id))
    handoff, target = handoffs.transfer(session, handoff_id, agent, team, to_agent_id, note)
    if note:
        session.add(HandoffNote(handoff_id=handoff.id, agent_id=agent.id, kind="transfer",
                                text=note, at=now()))
    notice = transcript.record_entry(session, handoff.conversation_id, "system",
                                     transfer_notice(target, handoff.team),
                                     handoff_id=handoff.id, agent_id=agent.id)
    return handoff, notice, target, was


def callback_notice(handoff: Handoff, at: datetime) -> str:
    """What happens next, plainly, when nobody can take the conversation now."""
    name = teams.label(handoff.team)
    opening = None if teams.is_open(handoff.team, at) else teams.next_opening(handoff.team, at)
    reachable = handoffs.reachable_by_phone(handoff)
    when = teams.when_words(opening, at) if opening else "as soon as someone is free"
    if opening is not None:
        first = f"Our {name} is closed right now and opens {teams.when_words(opening, at)}."
    else:
        first = f"Sorry for the wait: everyone on our {name} is still busy."
    if reachable:
        second = (f" I've saved your request, and someone from our {name} will get back to "
                  f"you at your number on file {when}.")
    else:
        second = (f" I've saved your request; please call us at {get_settings().clinic_phone}"
                  f" {'after it opens' if opening else 'if you would rather not wait'}, and "
                  "they will see what you wrote.")
    text = first + second + " Meanwhile I'm here for anything I can do: just type it."
    if handoff.urgency is Urgency.urgent or handoff.reason == "emergency":
        text = response_text("utter_emergency") + " " + text
    return text


def make_callbacks(session: Session, at: datetime) -> list[tuple[Handoff, TranscriptEntry]]:
    """Nobody waits forever: each waiting handoff whose team is closed, or that has waited
    past DESK_WAIT_LIMIT_MINUTES, becomes a callback task in its team's queue, and the
    patient is told what happens next (the bot answers them again meanwhile)."""
    done = []
    for due in handoffs.due_for_callback(session, at):
        handoff = handoffs.make_callback(session, due.id, at)
        if handoff is None:  # accepted or transferred meanwhile
            continue
        notice = transcript.record_entry(session, handoff.conversation_id, "system",
                                         callback_notice(handoff, at), handoff_id=handoff.id)
        done.append((handoff, notice))
    return done


def sign_out_everywhere(session: Session, agent_id: int) -> None:
    agent = session.get(Agent, agent_id)
    if agent is not None:
        agents.revoke_all_tokens(session, agent)
        session.commit()


def team_infos(session: Session) -> list[TeamInfo]:
    """Each team: open now, how many wait in its queue, how many agents are available."""
    at = now()
    waiting = Counter(h.team for h in session.scalars(
        select(Handoff).where(Handoff.status == HandoffStatus.waiting)))
    return [TeamInfo(team=t.value, label=teams.label(t.value), open=teams.is_open(t.value, at),
                     waiting=waiting.get(t.value, 0),
                     available_agents=agents.available_in_team(session, t.value))
            for t in Team]
