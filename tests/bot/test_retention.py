import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
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


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_old_tracker_events_expire_on_either_tracker_store(
        dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The engine's tracker store is SQLite with one engine and PostgreSQL with several: the
    same settings value (ENGINE_TRACKER_DB, a path or a URL) reaches both."""
    from sqlalchemy import create_engine
    from sqlalchemy import text as sql

    from bot.db import normalize_url
    from bot.settings import Settings
    from bot.tracker_store import tracker_url
    from tests.bot.review.rasa_events import create_events_table

    target = str(tmp_path / "tracker.db") if dialect == "sqlite" \
        else request.getfixturevalue("postgres_url")
    url = tracker_url(Settings(engine_tracker_db=target))
    engine = create_engine(normalize_url(url))
    create_events_table(engine)
    now = datetime.now(UTC)
    try:
        with engine.begin() as conn:
            for age in (40, 1):
                conn.execute(sql("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                 "VALUES ('web:x', 'user', :at, '{}')"),
                             {"at": (now - timedelta(days=age)).timestamp()})
        assert expire_engine_tracker(url, now - timedelta(days=30)) == 1
        with engine.connect() as conn:
            assert conn.execute(sql("SELECT COUNT(*) FROM events")).scalar() == 1
    finally:
        with engine.begin() as conn:
            conn.execute(sql("DROP TABLE events"))
        engine.dispose()


def test_a_silent_tracker_database_gives_up_after_the_connect_timeout(
        monkeypatch: pytest.MonkeyPatch, silent_server: int) -> None:
    """Retention runs in a worker's thread: a hung tracker database must not hold it."""
    import time

    from sqlalchemy.exc import OperationalError

    from tests.conftest import clear_caches

    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "2")
    clear_caches()
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="timeout"):
            expire_engine_tracker(f"postgresql://postgres@127.0.0.1:{silent_server}/tracker",
                                  datetime.now(UTC))
    finally:
        clear_caches()
    assert 1.5 < time.monotonic() - started < 5.0
