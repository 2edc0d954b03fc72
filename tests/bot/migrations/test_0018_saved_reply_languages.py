"""Migration 0018: saved replies' texts in other languages, on a database that already holds
saved replies (SQLite, the embedded default; PostgreSQL runs it in the suite's template)."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from tests.bot.migrations.test_0014_preferred_language import config

REVISION = "0018_saved_reply_languages"
BEFORE = "0017_episode_language"


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("saved_replies")}
    finally:
        engine.dispose()


def test_replies_on_file_have_english_only_and_it_reverses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    cfg = config(url)
    command.upgrade(cfg, BEFORE)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO saved_replies (team, shortcut, title, body, created_at) VALUES "
            "(NULL, 'call', 'Call us', 'Call us at {clinic_phone}.', '2026-12-01 10:00:00')"))
    engine.dispose()

    command.upgrade(cfg, REVISION)
    engine = create_engine(url)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT title, body, texts FROM saved_replies "
                                "WHERE shortcut = 'call'")).one()
        assert (row.title, row.body, json.loads(row.texts)) == (
            "Call us", "Call us at {clinic_phone}.", {})
    engine.dispose()

    command.downgrade(cfg, BEFORE)
    assert "texts" not in columns(url)
    command.upgrade(cfg, REVISION)
    assert "texts" in columns(url)
