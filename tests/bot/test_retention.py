import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot.conversations import transcript
from bot.retention import expire_engine_tracker, expire_transcripts

RASA_EVENTS = """CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255),
    type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255),
    action_name VARCHAR(255), data TEXT)"""


def test_old_tracker_events_expire(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    now = datetime.now(UTC)
    with sqlite3.connect(path) as conn:
        conn.execute(RASA_EVENTS)
        conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, data) "
                         "VALUES (?, 'user', ?, '{}')",
                         [("sms:+15555550101", (now - timedelta(days=40)).timestamp()),
                          ("sms:+15555550101", (now - timedelta(days=1)).timestamp())])
    assert expire_engine_tracker(f"sqlite:///{path}", now - timedelta(days=30)) == 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM events").fetchone() == (1,)


def test_no_tracker_yet_is_fine(tmp_path: Path) -> None:
    assert expire_engine_tracker(f"sqlite:///{tmp_path / 'none.db'}", datetime.now(UTC)) == 0
    assert not (tmp_path / "none.db").exists()  # not created as a side effect
    # Nor is a missing folder an error (a fresh clone before the first `make run`).
    missing = tmp_path / "var" / "tracker.db"
    assert expire_engine_tracker(f"sqlite:///{missing}", datetime.now(UTC)) == 0


def test_old_transcripts_expire(db: Session) -> None:
    now = datetime.now(UTC)
    transcript.record_entry(db, "web:old", "patient", "old words", at=now - timedelta(days=45))
    transcript.record_entry(db, "web:new", "patient", "new words", at=now)
    assert expire_transcripts(db, now - timedelta(days=30)) == 1
    assert [i.text for i in transcript.read(db, "web:new")] == ["new words"]
