"""The quality detail behind the Insights page: unrecognised messages are listed only when
several conversations sent them, so what one patient typed (a name) never shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.insights import record
from bot.insights.models import Episode
from bot.insights.tracker import TurnParse
from bot.reports.service import quality_detail


def fallback(session: Session, conversation: str, text: str, at: datetime) -> None:
    parse = TurnParse(intent="nlu_fallback", confidence=0.3, guess="out_of_scope",
                      fallback=True)
    assert record.turn(session, conversation, text, at, at, parse) is not None


def test_unrecognised_messages_need_two_conversations(db: Session) -> None:
    at = datetime.now(UTC) - timedelta(hours=1)
    fallback(db, "web:a", "Roll a die please", at)
    fallback(db, "web:b", "roll a die please ", at)
    fallback(db, "web:b", "roll a die please", at + timedelta(seconds=5))
    fallback(db, "web:c", "ava sampleton", at)  # one patient's own words
    fallback(db, "web:c", "ava sampleton", at + timedelta(seconds=5))
    ids = list(db.scalars(select(Episode.id)))
    detail = quality_detail(db, ids)
    assert detail["top_unrecognised"] == [{"text": "roll a die please", "count": 3}]
    assert detail["per_intent"]["out_of_scope"] == {
        "turns": 5, "fallbacks": 5, "low_confidence": 0, "mean_confidence": 0.3}
