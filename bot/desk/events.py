"""Which live desk events each agent's stream carries.

Every service publishes desk events to one Redis channel (`bot.live.DESK_CHANNEL`); each
agent's stream passes on only what the rule guarding the handoff's detail
(`handoffs.visible_to`) lets that agent see, checked against the handoff as it is now: a
transfer moves who hears about it, and a supervisor hears everything. So an event must say
what it is about:

- `handoff_id`: a handoff's messages, queue changes and alerts; a move (a transfer, an
  emergency sent to the nurse line) also carries `was` (`handoffs.audience` before it), so
  the desks that saw it before are told to refresh their queue, and no more;
- `type` "follow_up" with the task's `id`: agents of the task's team;
- `audience` "supervisors": supervisors only;
- `type` in `ANYONE`: nothing about a patient (the agents' availability).

Anything else reaches nobody: an event that forgets to say whose it is leaks nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.desk.tools import service as tools
from bot.desk.tools.models import FollowUp
from bot.handoff import service as handoffs
from bot.handoff.models import Handoff

ANYONE = frozenset({"agents"})
SUPERVISORS = "supervisors"


class StreamRevoked(PermissionError):
    """The agent was disabled, or signed out everywhere, while the stream was open."""


def shown_to(session: Session, agent_id: int, token_version: int, event: dict[str, Any]
             ) -> dict[str, Any] | None:
    """The event as this agent may see it, or None. Reads the agent and the handoff now, so
    a changed team, role or transfer counts from the next event on."""
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active or agent.token_version != token_version:
        raise StreamRevoked(agent_id)
    kind = event.get("type")
    if kind in ANYONE:
        return event
    if event.get("audience") == SUPERVISORS:
        return event if agent.sees_all_teams else None
    if kind == "follow_up":
        return event if _sees_task(session, agent, event.get("id")) else None
    handoff_id = event.get("handoff_id")
    handoff = session.get(Handoff, handoff_id) if isinstance(handoff_id, int) else None
    if handoff is None:
        return None
    if handoffs.visible_to(handoff, agent):
        return {key: value for key, value in event.items() if key != "was"}
    was = event.get("was")
    if isinstance(was, dict) and handoffs.visible_to(Handoff(**was), agent):
        return {"type": kind, "handoff_id": handoff_id}  # gone from their queue: refresh it
    return None


def _sees_task(session: Session, agent: Agent, task_id: object) -> bool:
    task = session.get(FollowUp, task_id) if isinstance(task_id, int) else None
    if task is None:
        return False
    try:
        tools.require_visible(agent, task.team)
    except tools.NotYourTeam:
        return False
    return True
