"""Recording on a real database (SQLite and PostgreSQL): episodes split where a contact ends,
task reports land on their episode, and a handoff's life through the real handoff and desk
verbs, with repeat-yourself found in the agent's and patient's messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import Role
from bot.agents.service import ensure_agent
from bot.clock import clinic_today
from bot.desk import service as desk
from bot.handoff import service as handoffs
from bot.handoff.models import Disposition
from bot.handoff.schemas import HandoffRequest
from bot.insights import record
from bot.insights.enums import Task
from bot.insights.models import Episode, InsightEvent
from bot.insights.schemas import TaskOutcome
from bot.insights.tracker import TurnParse

SMS = "sms:+15555550101"


def turn(session: Session, at: datetime, intent: str | None = "greet", **parse: object
         ) -> Episode:
    episode = record.turn(session, SMS, "hello", at, at + timedelta(milliseconds=150),
                          TurnParse(intent=intent, confidence=0.95, **parse))  # type: ignore[arg-type]
    assert episode is not None
    return episode


def test_a_new_episode_after_15_minutes_idle(db: Session) -> None:
    t0 = datetime.now(UTC) - timedelta(hours=2)
    first = turn(db, t0)
    assert turn(db, t0 + timedelta(minutes=14)).id == first.id
    second = turn(db, t0 + timedelta(minutes=14 + 16), intent="billing_balance")
    assert second.id != first.id
    db.refresh(first)
    assert (first.turns, first.topics, second.topics) == (2, [], ["billing"])
    events = db.scalars(select(InsightEvent).where(InsightEvent.episode_id == first.id)).all()
    assert [(e.kind, e.name, e.latency_ms) for e in events] == [("turn", "greet", 150.0)] * 2


def test_task_reports_land_on_the_open_episode(db: Session) -> None:
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    episode = turn(db, t0, intent="billing_balance", verified=True, patient_id=3)
    done = record.task(db, TaskOutcome(conversation_id=SMS, task=Task.balance_told,
                                       intent="billing_balance", patient_id=3),
                       t0 + timedelta(seconds=40))
    assert done is not None and done.id == episode.id
    db.refresh(episode)
    assert (episode.tasks, episode.topics, episode.patient_id, episode.verified) == (
        ["balance_told"], ["billing"], 3, True)
    assert episode.resolved_at == t0 + timedelta(seconds=40)
    assert episode.verification_method == "number on file + date of birth"


def test_a_fallback_turn_keeps_its_text_redacted(db: Session) -> None:
    at = datetime.now(UTC)
    episode = record.turn(db, SMS, "blorft my number is 617-555-0199", at, at,
                          TurnParse(intent="nlu_fallback", confidence=0.3, fallback=True,
                                    guess="out_of_scope"))
    assert episode is not None and episode.fallbacks == 1
    event = db.scalars(select(InsightEvent)).one()
    assert "617" not in event.data["text"] and event.data["guess"] == "out_of_scope"


def test_an_out_of_scope_turn_keeps_its_text_redacted_a_forms_answer_does_not(
        db: Session) -> None:
    at = datetime.now(UTC)
    record.turn(db, SMS, "Can you book me a table? I'm at 617-555-0199", at, at,
                TurnParse(intent="out_of_scope", confidence=0.93))
    record.turn(db, SMS, "peter nobody", at + timedelta(seconds=5), at + timedelta(seconds=5),
                TurnParse(intent="out_of_scope", confidence=0.93, actions=["verify_form"]))
    record.turn(db, SMS, "hello", at + timedelta(seconds=9), at + timedelta(seconds=9),
                TurnParse(intent="greet", confidence=0.93))
    assert [e.data for e in db.scalars(select(InsightEvent).order_by(InsightEvent.id))] == [
        {"text": "Can you book me a table? I'm at [PHONE]", "guess": None, "fallback": False,
         "low_confidence": False, "out_of_scope": True}, {}, {}]


def test_a_turns_safety_check_is_an_event_of_its_episode(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    turn(db, at, intent="emergency", safety="check")
    episode = turn(db, at + timedelta(seconds=20), intent="deny", safety="false_alarm")
    events = db.scalars(select(InsightEvent).where(InsightEvent.episode_id == episode.id)
                        .order_by(InsightEvent.id)).all()
    assert [(e.kind, e.name) for e in events] == [
        ("turn", "emergency"), ("safety", "check"), ("turn", "deny"), ("safety", "false_alarm")]


def test_a_name_typed_on_its_own_is_kept_without_it(seeded: Session) -> None:
    """Seeded patients include Maria Lopez and James Carter; "Lopez" inside a sentence is
    left to pattern redaction, a bare name is not."""
    fallback = TurnParse(intent="nlu_fallback", confidence=0.3, fallback=True)
    texts = ["maria LOPEZ", "James  carter", "roll a die please", "Carter the lopez thing"]
    for i, text in enumerate(texts):
        at = datetime.now(UTC) + timedelta(seconds=i)
        record.turn(seeded, f"web:names{i}", text, at, at, fallback)
    kept = [e.data["text"] for e in seeded.scalars(select(InsightEvent).order_by(InsightEvent.id))]
    assert kept == ["[NAME] [NAME]", "[NAME]  [NAME]", "roll a die please",
                    "[NAME] the [NAME] thing"]


def test_a_handoff_from_request_to_close(seeded: Session, ids: dict[str, int]) -> None:
    db = seeded
    agent = ensure_agent(db, "sue@example.org", "sue-pass-123", "Sue",
                         roles=[Role.agent, Role.supervisor])
    turn(db, datetime.now(UTC) - timedelta(seconds=30), intent="billing_balance")
    handoff, created = handoffs.request_handoff(db, HandoffRequest(
        conversation_id=SMS, reason="requested", verified=True, patient_id=ids["Lopez"],
        intents=["billing_balance", "human_handoff"], slots={"pending_request": "balance"}),
        clinic_today())
    assert created
    episode = db.scalars(select(Episode)).one()
    assert (episode.handoff_id, episode.handoff_reason, episode.patient_id) == (
        handoff.id, "requested", ids["Lopez"])
    desk.accept(db, handoff.id, agent)
    desk.reply(db, handoff.id, agent, "Hi, I'm Sue. Can you confirm your date of birth?")
    record.patient_message(db, handoff.id, "sure it's 03/12/1984", datetime.now(UTC))
    # The safety net answered a message to the agent with 911: an event of the episode.
    record.patient_message(db, handoff.id, "i took too many pills", datetime.now(UTC),
                           safety="safety_net")
    desk.reply(db, handoff.id, agent, "Thanks! Your balance is $125.40.")
    desk.close(db, handoff.id, agent, Disposition.resolved)
    db.expire_all()
    episode = db.scalars(select(Episode)).one()
    assert episode.accepted_at is not None and episode.first_agent_message_at is not None
    assert (episode.disposition, episode.closed_at is not None) == ("resolved", True)
    assert [(r["who"], r["item"]) for r in episode.repeats] == [("agent", "dob"),
                                                                ("patient", "dob")]
    kinds = [e.kind for e in db.scalars(select(InsightEvent).order_by(InsightEvent.id))]
    assert kinds == ["turn", "handoff_requested", "handoff_accepted", "agent_message", "repeat",
                     "patient_message", "repeat", "patient_message", "safety", "agent_message",
                     "handoff_closed"]
    # After the close the bot answers again: a new episode.
    assert turn(db, datetime.now(UTC) + timedelta(seconds=1)).id != episode.id


def test_recording_never_breaks_the_caller(db: Session, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    def broken(*args: object) -> Episode:
        raise RuntimeError("database went away")

    monkeypatch.setattr(record, "_episode", broken)
    outcome = TaskOutcome(conversation_id=SMS, task=Task.balance_told)
    assert record.task(db, outcome) is None  # logged and rolled back, not raised
    monkeypatch.undo()
    assert record.task(db, outcome) is not None  # the session still works
