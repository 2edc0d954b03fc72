"""The one small recording module: the bot service and the action server report what happened
here, and each report lands on its episode as it happens (no nightly batch).

Recording never breaks the caller: a failure is logged and rolled back, the turn or handoff
goes on. The verbs are synchronous (a session each). A patient's turns are not recorded on the
turn's path: the conversation service queues them (bot.insights.queue), and one worker records
them a moment later, in order, a batch per transaction with `add_turn` and
`add_patient_message`.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, ParamSpec, Protocol, TypeVar

from sqlalchemy import JSON, column, select, table
from sqlalchemy.orm import Session

from bot.backoffice.service import patient_name_words
from bot.clock import now
from bot.conversation_ids import channel_of
from bot.db import UTCDateTime
from bot.insights import metrics, repeat
from bot.insights.enums import TASK_TOPIC, topic_of_intent
from bot.insights.models import Episode, InsightEvent
from bot.insights.outreach import outreach_origin
from bot.insights.schemas import TaskOutcome
from bot.insights.tracker import OUT_OF_SCOPE, TurnParse
from bot.settings import get_settings

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

IDLE = timedelta(minutes=15)
VERIFICATION_METHOD = {"sms": "number on file + date of birth",
                       "web": "full name + date of birth + ZIP code"}
# Turns answering a form's question are not scored on intent confidence (the form takes them).
FORMS = frozenset({"verify_form", "reschedule_form"})
MAX_TEXT = 200


class HandoffFacts(Protocol):
    """What an episode and its repeats read of a handoff. Recording sits below the handoff
    queue (which calls it), so it reads the queue's rows through this, not its model."""

    @property
    def id(self) -> int: ...
    @property
    def conversation_id(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def verified(self) -> bool: ...
    @property
    def intents(self) -> list[str]: ...
    @property
    def slots(self) -> dict[str, Any]: ...
    @property
    def summary(self) -> dict[str, Any] | None: ...


class HandoffRecord(HandoffFacts, Protocol):
    """A handoff as the queue hands it over (bot.handoff.models.Handoff)."""

    @property
    def reason(self) -> str: ...
    @property
    def patient_id(self) -> int | None: ...
    @property
    def urgency(self) -> Enum: ...
    @property
    def accepted_at(self) -> datetime | None: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def disposition(self) -> Enum | None: ...


# The handoff queue's table, read by id when only the id came with a report.
HANDOFFS = table("handoffs", column("id"), column("conversation_id"),
                 column("created_at", UTCDateTime()), column("verified"),
                 column("intents", JSON()), column("slots", JSON()), column("summary", JSON()))


@dataclass(frozen=True)
class StoredHandoff:
    id: int
    conversation_id: str
    created_at: datetime
    verified: bool
    intents: list[str]
    slots: dict[str, Any]
    summary: dict[str, Any] | None


def _stored_handoff(session: Session, handoff_id: int) -> StoredHandoff | None:
    row = session.execute(select(HANDOFFS).where(HANDOFFS.c.id == handoff_id)).one_or_none()
    if row is None:
        return None
    return StoredHandoff(id=row.id, conversation_id=row.conversation_id,
                         created_at=row.created_at, verified=bool(row.verified),
                         intents=list(row.intents or []), slots=dict(row.slots or {}),
                         summary=row.summary)


def never_raises(fn: Callable[P, R]) -> Callable[P, R | None]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("insights: could not record %s", fn.__name__)
            session = args[0] if args and isinstance(args[0], Session) else None
            if session is not None:
                session.rollback()
            return None
    return wrapper


# --------------------------------------------------------------------------- episodes


def current_episode(session: Session, conversation_id: str, at: datetime) -> Episode | None:
    """The conversation's episode still open at `at`: not idle 15 minutes (an open handoff
    keeps it open however long the wait) and its handoff not closed."""
    episode = session.scalar(
        select(Episode).where(Episode.conversation_id == conversation_id)
        .order_by(Episode.last_message_at.desc(), Episode.id.desc()).limit(1))
    if episode is None:
        return None
    if episode.closed_at is not None and episode.closed_at <= at:
        return None
    waiting_on_person = episode.handoff_id is not None and episode.closed_at is None
    if at - episode.last_message_at > IDLE and not waiting_on_person:
        return None
    return episode


def _episode(session: Session, conversation_id: str, at: datetime) -> Episode:
    episode = current_episode(session, conversation_id, at)
    if episode is not None:
        if at < episode.started_at:  # a report that raced ahead of the turn it belongs to
            episode.started_at = at
        return episode
    origin, message = outreach_origin(session, conversation_id, at)
    episode = Episode(conversation_id=conversation_id, channel=channel_of(conversation_id),
                      origin=origin, outreach_message=message, verified=False, topics=[],
                      intents=[], tasks=[], failed_tasks=[], repeats=[], started_at=at,
                      last_message_at=at, turns=0, fallbacks=0, low_confidence=0)
    session.add(episode)
    session.flush()
    return episode


def _add(values: list[str], *new: str | None) -> list[str]:
    out = list(values)
    for value in new:
        if value and value not in out:
            out.append(value)
    return out


def _touch(episode: Episode, at: datetime) -> None:
    if at > episode.last_message_at:
        episode.last_message_at = at


def _verified(episode: Episode, patient_id: int | None) -> None:
    if patient_id:
        episode.patient_id = patient_id
        episode.verified = True
        episode.verification_method = VERIFICATION_METHOD.get(episode.channel)


def _event(session: Session, episode: Episode, at: datetime, kind: str, name: str | None = None,
           **extra: Any) -> InsightEvent:
    event = InsightEvent(episode_id=episode.id, at=at, kind=kind, name=name,
                         confidence=extra.pop("confidence", None),
                         latency_ms=extra.pop("latency_ms", None), data=extra)
    session.add(event)
    return event


def _without_names(session: Session, text: str) -> str:
    """A name typed on its own is no pattern redaction knows: the words of it that are a
    patient's name on file become [NAME]."""
    names = patient_name_words(session, text)
    if not names:
        return text
    return re.sub(r"[^\W\d_]+", lambda m: "[NAME]" if m.group(0).lower() in names
                  else m.group(0), text)


# --------------------------------------------------------------------------- the verbs


@never_raises
def turn(session: Session, conversation_id: str, text: str, received: datetime,
         answered: datetime, parse: TurnParse | None) -> Episode:
    """A patient's message the engine answered."""
    episode = add_turn(session, conversation_id, text, received, answered, parse)
    session.commit()
    return episode


def add_turn(session: Session, conversation_id: str, text: str, received: datetime,
             answered: datetime, parse: TurnParse | None) -> Episode:
    """`turn` without the commit, for a batch recorded in one transaction (bot.insights.queue)."""
    episode = _episode(session, conversation_id, received)
    episode.turns += 1
    if episode.first_answer_at is None:
        episode.first_answer_at = answered
    _touch(episode, answered)
    extra: dict[str, Any] = {}
    if parse is not None:
        if parse.language:
            episode.language = parse.language[:8]
        episode.intents = _add(episode.intents, parse.intent)
        episode.topics = _add(episode.topics, topic_of_intent(parse.intent),
                              topic_of_intent(parse.guess) if parse.fallback else None)
        if parse.verified:
            _verified(episode, parse.patient_id)
        answering_form = bool(FORMS & set(parse.actions))
        low = (not parse.fallback and not answering_form and parse.confidence is not None
               and parse.confidence < get_settings().review_low_confidence)
        # Answered as out of scope: understood as nothing the assistant does (a form's
        # answer is the form's, a tapped choice is our words).
        out_of_scope = (parse.intent == OUT_OF_SCOPE and not answering_form
                        and not text.startswith("/"))
        episode.fallbacks += parse.fallback
        episode.low_confidence += low
        if parse.fallback or low or out_of_scope:
            from bot.privacy import redact  # spaCy: loaded only when a turn went wrong

            extra = {"text": _without_names(session, redact(text))[:MAX_TEXT],
                     "guess": parse.guess, "fallback": parse.fallback, "low_confidence": low,
                     "out_of_scope": out_of_scope}
    _event(session, episode, received, "turn", parse.intent if parse else None,
           confidence=parse.confidence if parse else None,
           latency_ms=(answered - received).total_seconds() * 1000, **extra)
    if parse is not None and parse.safety:
        _event(session, episode, received, "safety", parse.safety)
    return episode


@never_raises
def task(session: Session, outcome: TaskOutcome, at: datetime | None = None) -> Episode:
    """The action server finished (or the back office failed) a request."""
    at = at or now()
    episode = _episode(session, outcome.conversation_id, at)
    episode.topics = _add(episode.topics, TASK_TOPIC[outcome.task])
    episode.intents = _add(episode.intents, outcome.intent)
    _verified(episode, outcome.patient_id)
    if outcome.ok:
        episode.tasks = _add(episode.tasks, outcome.task.value)
        episode.resolved_at = episode.resolved_at or at
    else:
        episode.failed_tasks = _add(episode.failed_tasks, outcome.task.value)
        metrics.BACKOFFICE_ERRORS.labels(task=outcome.task.value).inc()
    _touch(episode, at)
    _event(session, episode, at, "task" if outcome.ok else "task_failed", outcome.task.value)
    session.commit()
    return episode


def _handoff_episode(session: Session, handoff: HandoffFacts) -> Episode:
    episode = session.scalar(select(Episode).where(Episode.handoff_id == handoff.id)
                             .order_by(Episode.id.desc()).limit(1))
    return episode if episode is not None else _episode(session, handoff.conversation_id,
                                                        handoff.created_at)


@never_raises
def handoff_requested(session: Session, handoff: HandoffRecord) -> Episode:
    episode = _episode(session, handoff.conversation_id, handoff.created_at)
    episode.handoff_id = handoff.id
    episode.handoff_reason = handoff.reason
    episode.handoff_requested_at = handoff.created_at
    episode.intents = _add(episode.intents, *handoff.intents)
    episode.topics = _add(episode.topics, *(topic_of_intent(i) for i in handoff.intents))
    if handoff.verified:
        _verified(episode, handoff.patient_id)
    _touch(episode, handoff.created_at)
    _event(session, episode, handoff.created_at, "handoff_requested", handoff.reason,
           urgent=handoff.urgency.value == "urgent")
    session.commit()
    return episode


@never_raises
def handoff_accepted(session: Session, handoff: HandoffRecord) -> Episode | None:
    if handoff.accepted_at is None:
        return None
    episode = _handoff_episode(session, handoff)
    episode.accepted_at = handoff.accepted_at
    _touch(episode, handoff.accepted_at)
    _event(session, episode, handoff.accepted_at, "handoff_accepted")
    session.commit()
    return episode


def _repeats(session: Session, episode: Episode, handoff: HandoffFacts, who: str, text: str,
             at: datetime) -> None:
    ctx = repeat.context_of(handoff.verified, handoff.summary, list(handoff.intents or []),
                            handoff.slots)
    items = (repeat.agent_repeats if who == "agent" else repeat.patient_repeats)(text, ctx)
    found = [{"who": who, "item": item, "at": at.isoformat()} for item in items]
    if found:
        episode.repeats = [*episode.repeats, *found]
        for item in items:
            _event(session, episode, at, "repeat", item, who=who)


@never_raises
def agent_message(session: Session, handoff: HandoffFacts, text: str, at: datetime) -> Episode:
    episode = _handoff_episode(session, handoff)
    if episode.first_agent_message_at is None:
        episode.first_agent_message_at = at
    _touch(episode, at)
    _event(session, episode, at, "agent_message")
    _repeats(session, episode, handoff, "agent", text, at)
    session.commit()
    return episode


@never_raises
def patient_message(session: Session, handoff_id: int, text: str, at: datetime,
                    safety: str | None = None) -> Episode | None:
    """A patient's message that went to the desk instead of the engine (`safety`:
    "safety_net" when the bot service's safety net answered it with 911)."""
    episode = add_patient_message(session, handoff_id, text, at, safety)
    session.commit()
    return episode


def add_patient_message(session: Session, handoff_id: int, text: str, at: datetime,
                        safety: str | None = None) -> Episode | None:
    """`patient_message` without the commit (bot.insights.queue)."""
    handoff = _stored_handoff(session, handoff_id)
    if handoff is None:
        return None
    episode = _handoff_episode(session, handoff)
    _touch(episode, at)
    _event(session, episode, at, "patient_message")
    if safety:
        _event(session, episode, at, "safety", safety)
    _repeats(session, episode, handoff, "patient", text, at)
    return episode


@never_raises
def handoff_closed(session: Session, handoff: HandoffRecord) -> Episode:
    episode = _handoff_episode(session, handoff)
    closed = handoff.closed_at or now()
    episode.closed_at = closed
    episode.disposition = handoff.disposition.value if handoff.disposition else None
    _touch(episode, closed)
    _event(session, episode, closed, "handoff_closed", episode.disposition)
    session.commit()
    return episode


