"""Each episode's outcome, from its facts and the clock (pure: no database).

Exclusive: every episode has exactly one of the five outcomes (`docs/metrics.md#outcomes`).
While the episode may still change (open, or its handoff not closed) the outcome is the one it
would have if it ended now, and marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.insights.enums import Outcome

IDLE = timedelta(minutes=15)
SHORT_ABANDON = timedelta(seconds=30)


@dataclass(frozen=True)
class Facts:
    """What the measures need of an episode (built from `models.Episode` or by hand in tests)."""

    id: int
    conversation_id: str
    channel: str
    started_at: datetime
    last_message_at: datetime
    origin: str = "inbound"
    language: str = "en"
    outreach_message: str | None = None
    patient_id: int | None = None
    verified: bool = False
    topics: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    failed_tasks: tuple[str, ...] = ()
    resolved_at: datetime | None = None
    first_answer_at: datetime | None = None
    handoff_id: int | None = None
    handoff_reason: str | None = None
    handoff_requested_at: datetime | None = None
    accepted_at: datetime | None = None
    first_agent_message_at: datetime | None = None
    closed_at: datetime | None = None
    disposition: str | None = None
    turns: int = 0
    fallbacks: int = 0
    low_confidence: int = 0
    repeats: tuple[dict[str, str], ...] = field(default_factory=tuple)
    # What its turns did about emergencies, in order: check, false_alarm, confirmed,
    # safety_net (bot.insights.tracker.safety_of).
    safety: tuple[str, ...] = ()

    @property
    def has_task(self) -> bool:
        """Asked for something the assistant does (a billing, appointment or refill topic)."""
        return bool(self.topics) or bool(self.tasks)


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    provisional: bool
    # Abandoned within 30 s of the start: counted apart (a mistaken tap, a wrong number).
    short: bool = False
    # Left the queue before an agent accepted.
    in_queue: bool = False


def is_open(facts: Facts, now: datetime) -> bool:
    """Could still change: a handoff not closed, or a patient who may still write back."""
    if facts.handoff_id is not None and facts.closed_at is None:
        return True
    return facts.closed_at is None and now - facts.last_message_at <= IDLE


def outcome(facts: Facts, now: datetime) -> Verdict:
    provisional = is_open(facts, now)
    if facts.handoff_id is not None:
        if facts.closed_at is not None:
            resolved = facts.disposition == "resolved"
            return Verdict(Outcome.agent_resolved if resolved else Outcome.escalated_unresolved,
                           provisional=False)
        if facts.accepted_at is None and now - facts.last_message_at > IDLE:
            # Nobody took it and the patient has gone quiet: left the queue.
            return Verdict(Outcome.abandoned, provisional=True, in_queue=True,
                           short=facts.last_message_at - facts.started_at < SHORT_ABANDON)
        return Verdict(Outcome.escalated_unresolved, provisional=True)
    if facts.tasks:
        return Verdict(Outcome.bot_resolved, provisional)
    if facts.has_task:
        return Verdict(Outcome.abandoned, provisional,
                       short=facts.last_message_at - facts.started_at < SHORT_ABANDON)
    return Verdict(Outcome.informational, provisional)
