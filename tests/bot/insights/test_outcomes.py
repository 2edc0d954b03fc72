"""Each outcome of `docs/metrics.md#outcomes` on hand-built episodes, final and provisional."""

from __future__ import annotations

from datetime import timedelta

from bot.insights.enums import Outcome
from bot.insights.outcomes import outcome
from tests.bot.insights.facts import LATER, T0, episode, handed, resolved


def test_bot_resolved_needs_a_task_and_no_handoff() -> None:
    assert outcome(resolved(), LATER).outcome is Outcome.bot_resolved
    # A task done, then a person asked for: not the bot's.
    both = handed(topics=("billing",), tasks=("balance_told",), disposition="resolved")
    assert outcome(both, LATER).outcome is Outcome.agent_resolved


def test_agent_resolved_and_escalated_by_disposition() -> None:
    assert outcome(handed(disposition="resolved"), LATER).outcome is Outcome.agent_resolved
    for other in ("follow_up", "transferred"):
        verdict = outcome(handed(disposition=other), LATER)
        assert verdict.outcome is Outcome.escalated_unresolved and not verdict.provisional


def test_an_open_handoff_is_provisionally_escalated() -> None:
    open_one = handed(disposition=None)
    verdict = outcome(open_one, open_one.last_message_at + timedelta(minutes=1))
    assert verdict == verdict.__class__(Outcome.escalated_unresolved, provisional=True)


def test_leaving_the_queue_before_an_agent_accepts_is_abandoned() -> None:
    waiting = handed(disposition=None, accepted=False)
    verdict = outcome(waiting, waiting.last_message_at + timedelta(minutes=16))
    assert verdict.outcome is Outcome.abandoned and verdict.in_queue
    # Still within 15 minutes of the last message: waiting, not abandoned.
    soon = outcome(waiting, waiting.last_message_at + timedelta(minutes=5))
    assert soon.outcome is Outcome.escalated_unresolved and soon.provisional


def test_abandoned_mid_task_and_short_abandons() -> None:
    left = episode(topics=("appointments",), length=timedelta(minutes=3))
    verdict = outcome(left, LATER)
    assert verdict.outcome is Outcome.abandoned and not verdict.short and not verdict.provisional
    quick = episode(topics=("refills",), length=timedelta(seconds=20))
    assert outcome(quick, LATER).short
    # Still talking: provisionally abandoned, as it would be if the patient left now.
    assert outcome(left, left.last_message_at + timedelta(minutes=1)).provisional


def test_informational_only() -> None:
    hello = episode(intents=("greet", "bot_capabilities", "out_of_scope"))
    assert outcome(hello, LATER).outcome is Outcome.informational
    assert outcome(hello, T0 + timedelta(minutes=3)).provisional
