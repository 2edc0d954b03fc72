from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations import transcript
from bot.conversations.models import TranscriptEntry


def test_a_turn_is_the_patients_words_then_the_bots_in_order(db: Session) -> None:
    received = datetime.now(UTC) - timedelta(seconds=1)
    transcript.record_turn(db, "sms:+15555550101", "hi", received, ["Hello!", "How can I help?"])
    items = transcript.read(db, "sms:+15555550101")
    assert [(i.role, i.text, i.channel) for i in items] == [
        ("patient", "hi", "sms"), ("bot", "Hello!", "sms"), ("bot", "How can I help?", "sms")]
    assert items[0].at == received


def test_an_entry_knows_its_channel_handoff_and_agent(db: Session) -> None:
    entry = transcript.record_entry(db, "web:abc", "system", "Connected.")
    assert (entry.channel, entry.handoff_id, entry.agent_id) == ("web", None, None)
    assert db.scalars(select(TranscriptEntry)).one().text == "Connected."


def test_reading_looks_back_a_day_unless_told_otherwise(db: Session) -> None:
    now = datetime.now(UTC)
    transcript.record_entry(db, "web:abc", "patient", "yesterday", at=now - timedelta(hours=25))
    transcript.record_entry(db, "web:abc", "patient", "today", at=now)
    transcript.record_entry(db, "web:other", "patient", "someone else", at=now)
    assert [i.text for i in transcript.read(db, "web:abc")] == ["today"]
    assert [i.text for i in transcript.read(db, "web:abc", since=now - timedelta(days=2))] == [
        "yesterday", "today"]
