"""The measures, over episodes (pure: no database). Each is defined once, in
`docs/metrics.md`; the function names here are the headings there.

`window` is the episodes started in the period asked about; `universe` holds them and every
later episode the 24 h and 7 day look-aheads need.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.insights.enums import Outcome
from bot.insights.outcomes import Facts, Verdict, outcome

CONTAINMENT_WINDOW = timedelta(hours=24)
FCR_WINDOW = timedelta(days=7)
# Handoff reasons in the words of the list.
REASONS = {"requested": "asked", "emergency": "emergency", "verification_locked": "lockout",
           "fallback": "fallbacks", "billing_dispute": "dispute",
           "backoffice_error": "backoffice_failure", "refill_needs_person": "needs_person"}
RESOLVED = (Outcome.bot_resolved, Outcome.agent_resolved)
# Drill-down keys for the safety checks: the episodes with at least one such turn.
SAFETY_KEYS = {"safety_check": "check", "false_alarm": "false_alarm",
               "safety_net": "safety_net"}


def escalation_reason(f: Facts) -> str:
    """The handoff's reason in the issue's words. A patient who asked for a person after the
    back office failed them in the same episode (the apology offers one) escalated because
    of that failure, not of their own accord."""
    reason = REASONS.get(f.handoff_reason or "", f.handoff_reason or "unknown")
    if reason == "asked" and f.failed_tasks:
        return "backoffice_failure"
    return reason


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


class Returns:
    """Whether a patient came back about the same topic within a window after an episode."""

    def __init__(self, universe: Iterable[Facts]) -> None:
        self.by_conversation: dict[str, list[Facts]] = defaultdict(list)
        self.by_patient: dict[int, list[Facts]] = defaultdict(list)
        for facts in universe:
            self.by_conversation[facts.conversation_id].append(facts)
            if facts.patient_id:
                self.by_patient[facts.patient_id].append(facts)

    def came_back(self, facts: Facts, within: timedelta, now: datetime) -> bool | None:
        """True: a same-topic contact started within the window after the episode ended.
        False: none, and the window is over. None: none yet, the window still runs."""
        end = facts.last_message_at
        others = {id(f): f for f in self.by_conversation[facts.conversation_id]}
        if facts.patient_id:
            others.update({id(f): f for f in self.by_patient[facts.patient_id]})
        topics = set(facts.topics)
        for other in others.values():
            if other.id == facts.id or not (end < other.started_at <= end + within):
                continue
            if topics & set(other.topics):
                return True
        return None if now < end + within else False


def _seconds(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"n": len(values), "median": round(statistics.median(ordered), 1), "p90": round(p90, 1)}


def verdicts(episodes: Iterable[Facts], now: datetime) -> dict[int, Verdict]:
    return {f.id: outcome(f, now) for f in episodes}


def containment(window: Sequence[Facts], judged: dict[int, Verdict], returns: Returns,
                now: datetime) -> dict[str, Any]:
    """Resolved by the bot, no same-topic contact within 24 h / episodes with a task."""
    tasked = [f for f in window if f.has_task]
    contained = pending = 0
    for f in tasked:
        if judged[f.id].outcome is not Outcome.bot_resolved:
            continue
        back = returns.came_back(f, CONTAINMENT_WINDOW, now)
        contained += back is not True
        pending += back is None
    return {"rate": rate(contained, len(tasked)), "numerator": contained,
            "denominator": len(tasked), "pending": pending}


def first_contact_resolution(window: Sequence[Facts], judged: dict[int, Verdict],
                             returns: Returns, now: datetime) -> dict[str, Any]:
    """Resolved (bot or agent), no same-topic contact within 7 days / episodes with a task."""
    tasked = [f for f in window if f.has_task]
    resolved = pending = 0
    for f in tasked:
        if judged[f.id].outcome not in RESOLVED:
            continue
        back = returns.came_back(f, FCR_WINDOW, now)
        resolved += back is not True
        pending += back is None
    return {"rate": rate(resolved, len(tasked)), "numerator": resolved,
            "denominator": len(tasked), "pending": pending}


def escalation(window: Sequence[Facts]) -> dict[str, Any]:
    """Episodes with a handoff / episodes; and by reason."""
    handed = [f for f in window if f.handoff_id is not None]
    reasons = Counter(escalation_reason(f) for f in handed)
    return {"rate": rate(len(handed), len(window)), "numerator": len(handed),
            "denominator": len(window),
            "by_reason": {r: {"count": n, "rate": rate(n, len(window))}
                          for r, n in sorted(reasons.items())}}


def repeat_yourself(window: Sequence[Facts]) -> dict[str, Any]:
    """Accepted handoffs where the agent asked for, or the patient re-sent, something the
    context held / accepted handoffs."""
    accepted = [f for f in window if f.accepted_at is not None]
    repeated = [f for f in accepted if f.repeats]
    items = Counter(r.get("item", "") for f in repeated for r in f.repeats)
    by_who = Counter(r.get("who", "") for f in repeated for r in f.repeats)
    return {"rate": rate(len(repeated), len(accepted)), "numerator": len(repeated),
            "denominator": len(accepted), "by_item": dict(sorted(items.items())),
            "by_who": dict(sorted(by_who.items()))}


def queue(window: Sequence[Facts], judged: dict[int, Verdict]) -> dict[str, Any]:
    handed = [f for f in window if f.handoff_requested_at is not None]
    to_accept = [(f.accepted_at - f.handoff_requested_at).total_seconds()
                 for f in handed if f.accepted_at and f.handoff_requested_at]
    to_first = [(f.first_agent_message_at - f.handoff_requested_at).total_seconds()
                for f in handed if f.first_agent_message_at and f.handoff_requested_at]
    handle = [(f.closed_at - f.accepted_at).total_seconds()
              for f in handed if f.closed_at and f.accepted_at]
    left = [f for f in handed if judged[f.id].in_queue]
    return {"handoffs": len(handed), "time_to_accept_seconds": _seconds(to_accept),
            "time_to_first_agent_message_seconds": _seconds(to_first),
            "agent_handle_seconds": _seconds(handle),
            "abandoned_in_queue": {"count": len(left), "rate": rate(len(left), len(handed))}}


def bot_handle(window: Sequence[Facts], judged: dict[int, Verdict]) -> dict[str, Any]:
    """Start to the first task completed, for episodes the bot resolved."""
    return _seconds([(f.resolved_at - f.started_at).total_seconds() for f in window
                     if f.resolved_at and judged[f.id].outcome is Outcome.bot_resolved])


def quality(window: Sequence[Facts]) -> dict[str, Any]:
    turns = sum(f.turns for f in window)
    fallbacks = sum(f.fallbacks for f in window)
    low = sum(f.low_confidence for f in window)
    return {"turns": turns, "fallbacks": fallbacks, "low_confidence": low,
            "fallback_rate": rate(fallbacks, turns), "low_confidence_rate": rate(low, turns)}


def safety_checks(window: Sequence[Facts]) -> dict[str, Any]:
    """Safety checks asked (the classifier alone thought a message an emergency) and how they
    were answered; false alarms / checks asked; and the emergencies the rule-based safety
    net answered with 911 at once (it never asks)."""
    said = Counter(s for f in window for s in f.safety)
    asked = said["check"]
    # A check asked just before the window may be answered in it: the rate stays a share.
    return {"asked": asked, "answered_yes": said["confirmed"],
            "false_alarms": said["false_alarm"],
            "false_alarm_rate": rate(min(said["false_alarm"], asked), asked),
            "safety_net": said["safety_net"]}


def by_language(window: Sequence[Facts], judged: dict[int, Verdict], returns: Returns,
                now: datetime) -> dict[str, dict[str, Any]]:
    """Containment, escalation and repeat-yourself for each language the episodes were held
    in, so a health system sees whether Spanish speakers are served as well."""
    out: dict[str, dict[str, Any]] = {}
    for language in sorted({f.language for f in window}):
        mine = [f for f in window if f.language == language]
        inbound = [f for f in mine if f.origin != "outreach"]
        out[language] = {
            "episodes": len(mine),
            "containment": containment(inbound, judged, returns, now)["rate"],
            "escalation": escalation(inbound)["rate"],
            "repeat_yourself": repeat_yourself(mine)["rate"],
        }
    return out


def summarize(window: Sequence[Facts], universe: Sequence[Facts], now: datetime
              ) -> dict[str, Any]:
    """Every measure over the window, outreach-started episodes reported apart."""
    judged = verdicts(universe, now) | verdicts(window, now)
    returns = Returns(universe)
    inbound = [f for f in window if f.origin != "outreach"]
    outreach = [f for f in window if f.origin == "outreach"]
    counts = Counter(judged[f.id].outcome for f in window)
    provisional = Counter(judged[f.id].outcome for f in window if judged[f.id].provisional)
    contained = containment(inbound, judged, returns, now)
    fcr = first_contact_resolution(inbound, judged, returns, now)
    escalated = escalation(inbound)
    repeats = repeat_yourself(window)
    qual = quality(window)
    checks = safety_checks(window)
    abandoned = [f for f in window if judged[f.id].outcome is Outcome.abandoned]
    return {
        "episodes": len(window),
        "outcomes": {o.value: counts.get(o, 0) for o in Outcome},
        "provisional": {o.value: provisional.get(o, 0) for o in Outcome},
        "abandoned_short": sum(judged[f.id].short for f in abandoned),
        "rates": {
            "containment": contained["rate"],
            "first_contact_resolution": fcr["rate"],
            "escalation": escalated["rate"],
            "repeat_yourself": repeats["rate"],
            "abandonment": rate(len(abandoned), len(window)),
            "fallback": qual["fallback_rate"],
            "false_alarm": checks["false_alarm_rate"],
        },
        "containment": contained,
        "first_contact_resolution": fcr,
        "escalation": escalated,
        "repeat_yourself": repeats,
        "queue": queue(window, judged),
        "bot_handle_seconds": bot_handle(window, judged),
        "quality": qual,
        "safety_checks": checks,
        "by_channel": dict(Counter(f.channel for f in window)),
        "by_language": by_language(window, judged, returns, now),
        "inbound": {"episodes": len(inbound)},
        "outreach_started": {
            "episodes": len(outreach),
            "outcomes": {o.value: sum(judged[f.id].outcome is o for f in outreach)
                         for o in Outcome},
            "containment": containment(outreach, judged, returns, now),
        },
    }


def members(key: str, window: Sequence[Facts], universe: Sequence[Facts], now: datetime
            ) -> list[Facts]:
    """The episodes behind a number (the drill-down): all, an outcome name, or one of contained,
    first_contact_resolved, escalated, repeat_yourself, abandoned_short, abandoned_in_queue,
    fallback, safety_check, false_alarm, safety_net, reason:<reason>, topic:<topic>,
    channel:<channel>, language:<language>, outreach."""
    judged = verdicts(universe, now) | verdicts(window, now)
    returns = Returns(universe)
    inbound = [f for f in window if f.origin != "outreach"]
    if key == "all":
        return list(window)
    if key in Outcome.__members__:
        return [f for f in window if judged[f.id].outcome is Outcome(key)]
    if key == "contained":
        return [f for f in inbound if f.has_task and judged[f.id].outcome is Outcome.bot_resolved
                and returns.came_back(f, CONTAINMENT_WINDOW, now) is not True]
    if key == "first_contact_resolved":
        return [f for f in inbound if f.has_task and judged[f.id].outcome in RESOLVED
                and returns.came_back(f, FCR_WINDOW, now) is not True]
    if key == "escalated":
        return [f for f in inbound if f.handoff_id is not None]
    if key == "repeat_yourself":
        return [f for f in window if f.accepted_at is not None and f.repeats]
    if key == "abandoned_short":
        return [f for f in window if judged[f.id].short]
    if key == "abandoned_in_queue":
        return [f for f in window if judged[f.id].in_queue]
    if key == "fallback":
        return [f for f in window if f.fallbacks]
    if key == "outreach":
        return [f for f in window if f.origin == "outreach"]
    if key in SAFETY_KEYS:
        return [f for f in window if SAFETY_KEYS[key] in f.safety]
    kind, _, value = key.partition(":")
    if kind == "reason":
        return [f for f in inbound if f.handoff_id is not None
                and escalation_reason(f) == value]
    if kind == "topic":
        return [f for f in window if value in f.topics]
    if kind == "channel":
        return [f for f in window if f.channel == value]
    if kind == "language":
        return [f for f in window if f.language == value]
    raise KeyError(key)
