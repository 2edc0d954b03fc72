"""What the engine understood in a turn, read from a Rasa-shaped tracker store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from bot.insights.tracker import engine_for, read_turn, safety_of
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


CHECK = "Are you having a medical emergency right now?"


def test_what_a_turn_did_about_an_emergency(tmp_path: Path) -> None:
    """The check asked (the classifier alone), answered no and yes, and the safety net's 911
    at once: told apart by the responses, read by the database without their JSON."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    create_events_table(engine)
    c = Conversation("web:s", datetime(2026, 11, 2, tzinfo=UTC).timestamp())
    c.session_start()
    c.user("roll a die", "emergency", 0.71).action("action_emergency")
    c.bot(CHECK, "utter_safety_check").listen()
    store(engine, c)
    assert read_turn(url, "web:s").safety == "check"  # type: ignore[union-attr]
    c.events.clear()
    c.user("no", "deny", 0.99).action("action_emergency")
    c.bot("Okay, glad to hear it.", "utter_safety_check_clear").listen()
    store(engine, c)
    assert read_turn(url, "web:s").safety == "false_alarm"  # type: ignore[union-attr]
    c.events.clear()
    c.user("hello", "greet", 0.99).action("utter_greet").bot("Hi!", "utter_greet").listen()
    store(engine, c)
    assert read_turn(url, "web:s").safety is None  # type: ignore[union-attr]
    c.events.clear()
    c.user("i feel faint", "emergency", 0.66).action("action_emergency")
    c.bot(CHECK, "utter_safety_check").listen()
    c.user("/emergency", "emergency", 1.0).action("action_emergency")
    c.bot("Call 911 now.", "utter_emergency").action("action_listen")
    store(engine, c)
    assert read_turn(url, "web:s").safety == "confirmed"  # type: ignore[union-attr]
    c.events.clear()
    c.user("/emergency", "emergency", 1.0).action("action_emergency")
    c.bot("Call 911 now.", "utter_emergency").listen()
    store(engine, c)
    assert read_turn(url, "web:s").safety == "safety_net"  # type: ignore[union-attr]
    engine.dispose()
    engine_for(url).dispose()  # type: ignore[union-attr]


def test_safety_of() -> None:
    assert safety_of(["utter_safety_check"], answering_check=False) == "check"
    assert safety_of(["utter_safety_check_clear"], answering_check=True) == "false_alarm"
    assert safety_of(["utter_emergency"], answering_check=True) == "confirmed"
    assert safety_of(["utter_emergency"], answering_check=False) == "safety_net"
    assert safety_of(["utter_greet"], answering_check=True) is None
