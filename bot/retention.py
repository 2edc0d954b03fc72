"""Retention: the engine's tracker store and our transcripts hold every message (PHI), so
both expire. Run hourly by the bot service, or once with `python -m bot.retention`."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, inspect, make_url, text
from sqlalchemy.orm import Session

from bot.conversations.models import TranscriptEntry
from bot.db import get_sessionmaker, normalize_url, postgres_connect_args
from bot.leader import claim
from bot.redis import get_async_redis
from bot.settings import Settings, get_settings
from bot.tracker_store import tracker_url

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600


def expire_engine_tracker(url: str, older_than: datetime) -> int:
    """Deletes tracker events older than the cutoff from Rasa's SQL tracker store."""
    location = make_url(normalize_url(url))
    if location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        return 0  # the engine has not written one yet; opening it would create an empty file
    # Connect timeout only: deleting a busy day's events may rightly take longer than a
    # request's statement limit.
    postgres = location.get_backend_name() == "postgresql"
    engine = create_engine(location, connect_args=postgres_connect_args(statement_timeout_ms=0)
                           if postgres else {})
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as conn:
            result = conn.execute(text("DELETE FROM events WHERE timestamp < :cutoff"),
                                  {"cutoff": older_than.timestamp()})
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


def expire_transcripts(session: Session, older_than: datetime) -> int:
    result = session.execute(delete(TranscriptEntry).where(TranscriptEntry.at < older_than))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def run_once(settings: Settings | None = None) -> tuple[int, int]:
    settings = settings or get_settings()
    cutoff = datetime.now(UTC) - timedelta(days=settings.conversation_retention_days)
    events = expire_engine_tracker(tracker_url(settings), cutoff)
    with get_sessionmaker()() as session:
        entries = expire_transcripts(session, cutoff)
    if events or entries:
        log.info("retention: expired %d tracker events and %d transcript entries", events,
                 entries)
    return events, entries


async def run_forever(interval_seconds: float = INTERVAL_SECONDS) -> None:
    """Every worker runs this loop; each interval one of them (the one that claims the run in
    Redis) expires old data, the others skip it."""
    while True:
        try:
            # Held a little less than the interval, so the same worker claims it again next time.
            if await claim(get_async_redis(), "retention", interval_seconds * 0.9):
                await asyncio.to_thread(run_once)
        except Exception:  # retention must never take the service down; it retries next hour
            log.exception("retention run failed")
        await asyncio.sleep(interval_seconds)


if __name__ == "__main__":
    expired_events, expired_entries = run_once()
    print(f"retention: expired {expired_events} tracker events and {expired_entries} "
          "transcript entries")
