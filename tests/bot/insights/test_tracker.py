"""What the engine understood in a turn, read from a Rasa-shaped tracker store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from bot.insights.tracker import engine_for, read_turn
from tests.bot.review.rasa_events import Conversation, create_events_table, store


def test_reads_the_last_turn_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    assert read_turn(url, "web:x") is None  # no tracker store yet: nothing, no file made
    assert not (tmp_path / "tracker.db").exists()
    engine = create_engine(url)
    create_events_table(engine)
    c = Conversation("web:x", datetime(2026, 11, 2, tzinfo=UTC).timestamp())
    c.session_start()
    c.user("how much do I owe", "billing_balance", 0.97).slot("pending_request", "balance")
    c.action("verify_form", "RulePolicy").listen()
    c.user("02139", "inform", 0.52).action("verify_form", "RulePolicy")
    c.slot("verified", True).slot("patient_id", "1").action("action_tell_balance").listen()
    store(engine, c)
    turn = read_turn(url, "web:x")
    assert turn is not None
    assert (turn.intent, turn.confidence, turn.verified, turn.patient_id, turn.fallback) == (
        "inform", 0.52, True, 1, False)
    assert "verify_form" in turn.actions and "action_tell_balance" in turn.actions
    c.user("blorft zzqx", "nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("out_of_scope", 0.22)])
    c.action("action_fallback").listen()
    store(engine, c)
    turn = read_turn(url, "web:x")
    assert turn is not None and turn.fallback and turn.guess == "out_of_scope"
    assert read_turn(url, "web:other") is None
    engine.dispose()
    engine_for(url).dispose()  # type: ignore[union-attr]


def test_the_turns_language_is_what_the_message_was_sent_in_or_verification_set(
        tmp_path: Path) -> None:
    from bot.insights.tracker import parse_turn

    events = [{"event": "user", "text": "hola", "metadata": {"language": "es"},
               "parse_data": {"intent": {"name": "greet", "confidence": 0.9}}},
              {"event": "action", "name": "utter_greet"}]
    turn = parse_turn(events)
    assert turn is not None and turn.language == "es"
    events.append({"event": "slot", "name": "language", "value": "en"})
    turn = parse_turn(events)
    assert turn is not None and turn.language == "en"
    assert parse_turn([{"event": "user", "text": "hi", "parse_data": {}}]).language is None  # type: ignore[union-attr]
