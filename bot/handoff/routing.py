"""Which team's queue a handoff goes to, from its reason and topics, with nobody triaging,
and what urgency does to it: decided here alone, the queue only applies it.

Safety first: an emergency, or anything clinical anywhere in the conversation, goes to the
nurse line. Otherwise the reason decides when it names a team, then what the patient asked a
person about ("my bill"), then the latest topic the patient raised (what they were asking
about when they asked for a person), else general.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.agents.models import Team
from bot.backoffice.enums import DEFAULT_LANGUAGE
from bot.handoff.enums import Urgency

URGENT_TEAM = Team.nurse  # an emergency always goes to the nurse line
_BY_REASON = {"emergency": URGENT_TEAM, "billing_dispute": Team.billing,
              "refill_needs_person": Team.pharmacy}
_CLINICAL_INTENTS = {"emergency", "symptom", "symptoms", "clinical_question", "medical_advice",
                     "side_effects"}
_BY_PREFIX = (("billing_", Team.billing), ("appointment_", Team.scheduling),
              ("refill_", Team.pharmacy))
# The handoff_topic slot's values: what the patient asked a person about, once its help was
# offered ("talk to someone about my bill").
_BY_TOPIC = {"billing": Team.billing, "scheduling": Team.scheduling, "pharmacy": Team.pharmacy}
# The pending_request slot's values (what the patient asked before verification).
_BY_PENDING = {"balance": Team.billing, "charges": Team.billing, "pay": Team.billing,
               "payment_plan": Team.billing, "insurance": Team.billing,
               "appointments": Team.scheduling, "reschedule": Team.scheduling,
               "cancel": Team.scheduling, "refill": Team.pharmacy,
               "refill_status": Team.pharmacy}


def topic_team(name: str) -> Team | None:
    if name in _CLINICAL_INTENTS:
        return Team.nurse
    for prefix, team in _BY_PREFIX:
        if name.startswith(prefix):
            return team
    return None


def urgency_rank(urgency: Urgency) -> int:
    """Where urgency puts a handoff in its queue: urgent ones first."""
    return 1 if urgency is Urgency.urgent else 0


def escalation(*, reroute: bool) -> dict[str, Any]:
    """The columns an emergency changes on a handoff already open: urgent, first in line, and
    to the nurse line when it may still change teams (`reroute`: nobody has it yet)."""
    values: dict[str, Any] = {"urgency": Urgency.urgent,
                              "urgency_rank": urgency_rank(Urgency.urgent)}
    if reroute:
        values["team"] = URGENT_TEAM.value
    return values


def speaker_first(language: str, agent_languages: Iterable[str]) -> int:
    """Where the conversation's language puts a handoff in an agent's queue (within its
    urgency): 0 when it is a language fewer agents speak and this one does (they are the
    ones who can take it), 1 for English, 2 when the agent does not speak it."""
    if language not in set(agent_languages):
        return 2
    return 1 if language == DEFAULT_LANGUAGE else 0


def language_unmatched(language: str, team: str,
                       available: Iterable[tuple[Iterable[str], Iterable[str]]]) -> bool:
    """A conversation in another language than English whose team has no available agent
    who speaks it (`available`: each available agent's teams and languages): it waits for
    the team, flagged, so a supervisor can find someone or an interpreter."""
    if language == DEFAULT_LANGUAGE:
        return False
    return not any(team in set(teams) and language in set(languages)
                   for teams, languages in available)


def route(reason: str, urgency: Urgency, intents: Iterable[str],
          slots: Mapping[str, Any] | None = None) -> Team:
    topics = list(intents)
    if urgency is Urgency.urgent or any(topic_team(t) is URGENT_TEAM for t in topics):
        return URGENT_TEAM
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    asked_about = str((slots or {}).get("handoff_topic") or "")
    if asked_about in _BY_TOPIC:
        return _BY_TOPIC[asked_about]
    pending = str((slots or {}).get("pending_request") or "")
    if pending in _BY_PENDING:
        return _BY_PENDING[pending]
    for topic in reversed(topics):
        team = topic_team(topic)
        if team is not None:
            return team
    return Team.general
