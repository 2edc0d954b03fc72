"""The quality detail and safety checks behind the Insights page: unrecognised messages
(fallbacks and out-of-scope answers) are listed redacted, by how many conversations sent
them, and only when several did, so what one patient typed (a name) never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights import record
from bot.insights.models import Episode, InsightEvent
from bot.insights.tracker import TurnParse
from bot.reports.service import quality_detail, summary


def fallback(session: Session, conversation: str, text: str, at: datetime,
             guess: str = "out_of_scope") -> None:
    parse = TurnParse(intent="nlu_fallback", confidence=0.3, guess=guess, fallback=True)
    assert record.turn(session, conversation, text, at, at, parse) is not None


def out_of_scope(session: Session, conversation: str, text: str, at: datetime) -> None:
    parse = TurnParse(intent="out_of_scope", confidence=0.91)
    assert record.turn(session, conversation, text, at, at, parse) is not None


def detail(session: Session) -> dict[str, object]:
    return quality_detail(session, list(session.scalars(select(Episode.id))))


def test_unrecognised_messages_need_two_conversations(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    fallback(db, "web:a", "Roll a die please", at)
    fallback(db, "web:b", "roll a die please ", at)
    fallback(db, "web:b", "roll a die please", at + timedelta(seconds=5))
    fallback(db, "web:c", "ava sampleton", at)  # one patient's own words
    fallback(db, "web:c", "ava sampleton", at + timedelta(seconds=5))
    found = detail(db)
    assert found["top_unrecognised"] == [
        {"text": "roll a die please", "conversations": 2, "count": 3,
         "intent": "nlu_fallback", "guess": "out_of_scope"}]
    assert found["per_intent"]["out_of_scope"] == {  # type: ignore[index]
        "turns": 5, "fallbacks": 5, "low_confidence": 0, "mean_confidence": 0.3}


def test_out_of_scope_answers_are_listed_with_fallbacks_by_conversations(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    for i, conversation in enumerate(["web:a", "web:b", "web:c"]):
        out_of_scope(db, conversation, "Can I bring my dog?", at + timedelta(seconds=i))
    fallback(db, "web:a", "blorft", at, guess="billing_balance")
    fallback(db, "web:d", "Blorft", at, guess="billing_balance")
    fallback(db, "web:d", "blorft", at + timedelta(seconds=9), guess="billing_balance")
    fallback(db, "web:d", "blorft", at + timedelta(seconds=19), guess="billing_balance")
    out_of_scope(db, "web:e", "what's the weather", at)  # one conversation: not listed
    assert detail(db)["top_unrecognised"] == [
        {"text": "Can I bring my dog?", "conversations": 3, "count": 3,
         "intent": "out_of_scope", "guess": None},
        {"text": "blorft", "conversations": 2, "count": 4,
         "intent": "nlu_fallback", "guess": "billing_balance"}]


def test_names_dates_and_phones_are_redacted_before_they_are_counted(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    fallback(db, "sms:+15555550101",
             "my name is Ana Ruiz, born 3/12/1984, call me at 617-555-0134 about parking", at)
    fallback(db, "sms:+15555550102",
             "my name is Tom Webb, born 7/4/1990, call me at 617-555-0188 about parking", at)
    texts = [e.data["text"] for e in db.scalars(select(InsightEvent))]
    assert texts == ["my name is [NAME], born [DATE], call me at [PHONE] about parking"] * 2
    assert detail(db)["top_unrecognised"] == [
        {"text": "my name is [NAME], born [DATE], call me at [PHONE] about parking",
         "conversations": 2, "count": 2, "intent": "nlu_fallback", "guess": "out_of_scope"}]


def test_a_text_stored_unredacted_is_redacted_when_shown(db: Session) -> None:
    """A row recorded before a redaction rule existed is shown with the rule applied."""
    at = datetime.now(UTC) - timedelta(hours=1)
    for conversation in ("web:a", "web:b"):
        out_of_scope(db, conversation, "parking", at)
    for event in db.scalars(select(InsightEvent)):
        event.data = {**event.data, "text": "call 617-555-0134 about parking"}
    db.commit()
    assert [u["text"] for u in detail(db)["top_unrecognised"]] == [  # type: ignore[attr-defined]
        "call [PHONE] about parking"]


def test_the_summary_counts_safety_checks_and_false_alarms(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    for i, said in enumerate([["check", "false_alarm"], ["check", "confirmed"], ["safety_net"],
                              ["check"]]):
        conversation = f"web:s{i}"
        for j, safety in enumerate(said):
            moment = at + timedelta(minutes=i, seconds=j)
            assert record.turn(db, conversation, "text", moment, moment, TurnParse(
                intent="emergency", confidence=0.8, safety=safety)) is not None
    found = summary(db, at - timedelta(minutes=1), at + timedelta(hours=1),
                    at + timedelta(hours=2))
    assert found["safety_checks"] == {"asked": 3, "answered_yes": 1, "false_alarms": 1,
                                      "false_alarm_rate": 0.3333, "safety_net": 1}
    assert found["rates"]["false_alarm"] == 0.3333
