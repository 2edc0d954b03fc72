"""Insights read from the episodes: the summary, series, breakdowns, the episodes behind a
number (audited), their transcripts (audited) and the CSV export."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.audit import service as audit
from bot.backoffice.models import Patient
from bot.conversations.models import TranscriptEntry
from bot.insights import measures
from bot.insights.measures import FCR_WINDOW
from bot.insights.models import Episode, InsightEvent
from bot.insights.outcomes import Facts, outcome
from bot.insights.outreach import outreach_outcomes
from bot.insights.tracker import OUT_OF_SCOPE
from bot.privacy import redact
from bot.settings import get_settings

MAX_RANGE = timedelta(days=92)
MAX_EPISODES = 500
TOP_UNRECOGNISED = 20
# An unrecognised message is listed only once this many conversations sent it: what one
# patient typed (often a name or other detail redaction cannot know to be one) stays out of
# the list, what several patients ask for (the training data's gaps) is in it.
UNRECOGNISED_MIN_CONVERSATIONS = 2
CHUNK = 500


class EpisodeNotFound(LookupError):
    pass


def facts_of(e: Episode, safety: Sequence[str] = ()) -> Facts:
    return Facts(
        id=e.id, conversation_id=e.conversation_id, channel=e.channel, language=e.language,
        started_at=e.started_at, last_message_at=e.last_message_at, origin=e.origin,
        outreach_message=e.outreach_message, patient_id=e.patient_id, verified=e.verified,
        topics=tuple(e.topics or ()), intents=tuple(e.intents or ()), tasks=tuple(e.tasks or ()),
        failed_tasks=tuple(e.failed_tasks or ()), resolved_at=e.resolved_at,
        first_answer_at=e.first_answer_at, handoff_id=e.handoff_id,
        handoff_reason=e.handoff_reason, handoff_requested_at=e.handoff_requested_at,
        accepted_at=e.accepted_at, first_agent_message_at=e.first_agent_message_at,
        closed_at=e.closed_at, disposition=e.disposition, turns=e.turns, fallbacks=e.fallbacks,
        low_confidence=e.low_confidence, repeats=tuple(e.repeats or ()), safety=tuple(safety))


def _safety(session: Session, episode_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each episode's safety events (what its turns did about emergencies), in order."""
    out: dict[int, list[str]] = defaultdict(list)
    ids = list(episode_ids)
    for chunk in range(0, len(ids), CHUNK):
        for episode_id, name in session.execute(
                select(InsightEvent.episode_id, InsightEvent.name)
                .where(InsightEvent.kind == "safety",
                       InsightEvent.episode_id.in_(ids[chunk:chunk + CHUNK]))
                .order_by(InsightEvent.at, InsightEvent.id)).tuples():
            if name:
                out[episode_id].append(name)
    return out


def clinic_day_start(day_moment: datetime) -> datetime:
    tz = ZoneInfo(get_settings().clinic_timezone)
    local = day_moment.astimezone(tz)
    return datetime.combine(local.date(), time(0), tz).astimezone(UTC)


def default_range(now: datetime) -> tuple[datetime, datetime]:
    """Today in the clinic's time zone."""
    start = clinic_day_start(now)
    return start, start + timedelta(days=1)


def load(session: Session, start: datetime, end: datetime, channel: str | None = None,
         topic: str | None = None) -> tuple[list[Facts], list[Facts]]:
    """(the window's episodes, them and every later one the look-aheads need)."""
    rows = session.scalars(
        select(Episode).where(Episode.started_at >= start,
                              Episode.started_at < end + FCR_WINDOW + timedelta(minutes=15))
        .order_by(Episode.started_at, Episode.id)).all()
    safety = _safety(session, [e.id for e in rows])
    universe = [facts_of(e, safety.get(e.id, ())) for e in rows]
    window = [f for f in universe if start <= f.started_at < end
              and (channel is None or f.channel == channel)
              and (topic is None or topic in f.topics)]
    return window, universe


def summary(session: Session, start: datetime, end: datetime, now: datetime,
            channel: str | None = None, topic: str | None = None) -> dict[str, Any]:
    window, universe = load(session, start, end, channel, topic)
    result = measures.summarize(window, universe, now)
    result["quality"] |= quality_detail(session, [f.id for f in window])
    # From F's outreach tables through the one boundary; None until they exist.
    result["outreach"] = outreach_outcomes(session, start, end, now)
    return {"from": start.isoformat(), "to": end.isoformat(),
            "filters": {"channel": channel, "topic": topic}, **result,
            "definitions": "/docs/metrics#measures"}


@dataclass
class _Unrecognised:
    """One message, however its patients spaced or capitalised it."""

    count: int = 0
    conversations: set[str] = field(default_factory=set)
    forms: Counter[str] = field(default_factory=Counter)
    taken_for: Counter[tuple[str, str | None]] = field(default_factory=Counter)

    def row(self) -> dict[str, Any]:
        (intent, guess), _ = self.taken_for.most_common(1)[0]
        # Redacted when recorded; again as shown, so a row recorded before a redaction rule
        # existed is not shown with what the rule now finds.
        return {"text": redact(self.forms.most_common(1)[0][0]),
                "conversations": len(self.conversations), "count": self.count,
                "intent": intent, "guess": guess}


def _unrecognised(event: InsightEvent) -> bool:
    """A patient's message the assistant did not understand, or understood as nothing it
    does: a fallback, or answered as out of scope."""
    data = event.data or {}
    return bool(data.get("text")) and bool(
        data.get("fallback") or data.get("out_of_scope") or event.name == OUT_OF_SCOPE)


def quality_detail(session: Session, episode_ids: Sequence[int]) -> dict[str, Any]:
    """Per intent (turns, fallbacks, low confidence, mean confidence) and the top unrecognised
    messages (redacted): the texts of fallback and out-of-scope turns, by how many
    conversations sent them, each with the intent it was taken for."""
    per_intent: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"turns": 0, "fallbacks": 0, "low_confidence": 0, "confidence_sum": 0.0})
    unrecognised: defaultdict[str, _Unrecognised] = defaultdict(_Unrecognised)
    ids = list(episode_ids)
    for chunk in range(0, len(ids), CHUNK):
        for event, conversation in session.execute(
                select(InsightEvent, Episode.conversation_id)
                .join(Episode, Episode.id == InsightEvent.episode_id)
                .where(InsightEvent.kind == "turn",
                       InsightEvent.episode_id.in_(ids[chunk:chunk + CHUNK]))
                .order_by(InsightEvent.at, InsightEvent.id)).tuples():
            data = event.data or {}
            name = str(data.get("guess") or event.name or "unknown") if data.get("fallback") \
                else str(event.name or "unknown")
            row = per_intent[name]
            row["turns"] += 1
            row["confidence_sum"] += event.confidence or 0.0
            row["fallbacks"] += bool(data.get("fallback"))
            row["low_confidence"] += bool(data.get("low_confidence"))
            if _unrecognised(event):
                text = " ".join(str(data["text"]).split())
                message = unrecognised[text.casefold()]
                message.count += 1
                message.conversations.add(conversation)
                message.forms[text] += 1
                message.taken_for[(str(event.name or "unknown"),
                                   str(data["guess"]) if data.get("guess") else None)] += 1
    shown = sorted((m for m in unrecognised.values()
                    if len(m.conversations) >= UNRECOGNISED_MIN_CONVERSATIONS),
                   key=lambda m: (-len(m.conversations), -m.count,
                                  m.forms.most_common(1)[0][0].casefold()))
    return {
        "per_intent": {name: {"turns": r["turns"], "fallbacks": r["fallbacks"],
                              "low_confidence": r["low_confidence"],
                              "mean_confidence": round(r["confidence_sum"] / r["turns"], 3)}
                       for name, r in sorted(per_intent.items())},
        "top_unrecognised": [m.row() for m in shown[:TOP_UNRECOGNISED]],
    }


def series(session: Session, start: datetime, end: datetime, now: datetime,
           bucket: timedelta, channel: str | None = None, topic: str | None = None
           ) -> list[dict[str, Any]]:
    """The summary's headline numbers per bucket (hour or day), for the time-series charts."""
    window, universe = load(session, start, end, channel, topic)
    points = []
    cursor = start
    while cursor < end:
        upper = min(cursor + bucket, end)
        part = [f for f in window if cursor <= f.started_at < upper]
        s = measures.summarize(part, universe, now)
        points.append({"at": cursor.isoformat(), "episodes": s["episodes"],
                       "outcomes": s["outcomes"], "rates": s["rates"]})
        cursor = upper
    return points


BREAKDOWNS = ("channel", "topic", "outcome", "reason", "origin")


def breakdown(session: Session, start: datetime, end: datetime, now: datetime, by: str
              ) -> dict[str, Any]:
    window, universe = load(session, start, end)
    groups: dict[str, list[Facts]] = defaultdict(list)
    for f in window:
        if by == "channel":
            keys = [f.channel]
        elif by == "topic":
            keys = list(f.topics) or ["none"]
        elif by == "outcome":
            keys = [outcome(f, now).outcome.value]
        elif by == "origin":
            keys = [f.origin]
        else:
            keys = ([measures.REASONS.get(f.handoff_reason or "", f.handoff_reason or "")]
                    if f.handoff_id else [])
        for key in keys:
            groups[key].append(f)
    return {key: {k: v for k, v in measures.summarize(part, universe, now).items()
                  if k in ("episodes", "outcomes", "rates")}
            for key, part in sorted(groups.items())}


def _who(session: Session, facts: Facts) -> str:
    if facts.patient_id:
        patient = session.get(Patient, facts.patient_id)
        if patient is not None:
            return patient.full_name
        return f"Patient {facts.patient_id}"
    if facts.channel == "sms":
        return f"Unverified, SMS …{facts.conversation_id[-4:]}"
    return "Unverified web visitor"


def episode_row(session: Session, facts: Facts, now: datetime) -> dict[str, Any]:
    verdict = outcome(facts, now)
    return {"id": facts.id, "who": _who(session, facts), "channel": facts.channel,
            "origin": facts.origin, "topics": list(facts.topics), "tasks": list(facts.tasks),
            "outcome": verdict.outcome.value, "provisional": verdict.provisional,
            "short_abandon": verdict.short, "handoff_reason": facts.handoff_reason,
            "disposition": facts.disposition, "verified": facts.verified,
            "started_at": facts.started_at.isoformat(),
            "last_message_at": facts.last_message_at.isoformat(),
            "repeats": list(facts.repeats), "transcript": f"/api/insights/episodes/{facts.id}"}


def episodes(session: Session, agent: Agent, start: datetime, end: datetime, now: datetime,
             key: str, channel: str | None = None, topic: str | None = None,
             limit: int = MAX_EPISODES) -> list[dict[str, Any]]:
    """The episodes behind a number: who, topic, outcome, the transcript's link. Audited, one
    row per patient shown."""
    window, universe = load(session, start, end, channel, topic)
    chosen = measures.members(key, window, universe, now)[-limit:][::-1]
    rows = [episode_row(session, f, now) for f in chosen]
    for patient_id in sorted({f.patient_id for f in chosen if f.patient_id}):
        audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=patient_id,
                     action="view_insight_episodes", fields=["who", "topic", "outcome"],
                     reason=f"insights: {key}")
    if any(not f.patient_id for f in chosen):
        audit.record(session, actor_type="agent", actor_id=str(agent.id), patient_id=None,
                     action="view_insight_episodes", fields=["who", "topic", "outcome"],
                     reason=f"insights: {key} (unverified)")
    session.commit()
    return rows


def episode_transcript(session: Session, agent: Agent, episode_id: int, now: datetime
                       ) -> dict[str, Any]:
    """One episode with its transcript, read between its start and its last message (audited)."""
    episode = session.get(Episode, episode_id)
    if episode is None:
        raise EpisodeNotFound(episode_id)
    facts = facts_of(episode)
    entries = session.scalars(
        select(TranscriptEntry).where(
            TranscriptEntry.conversation_id == episode.conversation_id,
            TranscriptEntry.at >= episode.started_at - timedelta(seconds=1),
            TranscriptEntry.at <= episode.last_message_at + timedelta(seconds=1))
        .order_by(TranscriptEntry.at, TranscriptEntry.id)).all()
    audit.record(session, actor_type="agent", actor_id=str(agent.id),
                 patient_id=episode.patient_id, action="view_insight_transcript",
                 fields=["transcript"], reason=f"insights episode {episode.id}")
    session.commit()
    return {**episode_row(session, facts, now),
            "transcript": [{"role": e.role, "text": e.text, "at": e.at.isoformat()}
                           for e in entries]}


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        return  # lists (top unrecognised messages) are not aggregates
    else:
        out.append((prefix, value))


def export_aggregates(summary_: dict[str, Any]) -> str:
    rows: list[tuple[str, Any]] = []
    _flatten("", {k: v for k, v in summary_.items() if k != "filters"}, rows)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["measure", "value"])
    writer.writerows((k, "" if v is None else v) for k, v in rows)
    return out.getvalue()


EPISODE_COLUMNS = ("id", "who", "channel", "origin", "topics", "tasks", "outcome",
                   "provisional", "short_abandon", "handoff_reason", "disposition", "verified",
                   "started_at", "last_message_at", "repeats")


def export_episodes(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EPISODE_COLUMNS)
    for row in rows:
        writer.writerow([" ".join(row[c]) if c in ("topics", "tasks") else
                         ";".join(f"{r['who']}:{r['item']}" for r in row[c]) if c == "repeats"
                         else row[c] for c in EPISODE_COLUMNS])
    return out.getvalue()
