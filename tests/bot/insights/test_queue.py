"""Turns recorded off the patient's path: queued in a real Redis, recorded in order by one
worker at a time, a batch per transaction, with the parse of the turn each report names
(the patient may have sent the next message already)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.insights import queue, record
from bot.insights.models import Episode, InsightEvent
from bot.leader import worker_id
from tests.bot.review.rasa_events import Conversation, create_events_table, store

WEB = "web:queue0001"


@pytest.fixture
async def aredis(env: dict[str, str]) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def sessions(db: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=db.get_bind(), expire_on_commit=False)


@pytest.fixture
def tracker_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Rasa-shaped tracker store with two turns: the balance question, then a fallback the
    patient sent before the first turn was recorded."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    create_events_table(engine)
    c = Conversation(WEB, datetime(2026, 11, 2, tzinfo=UTC).timestamp())
    c.session_start()
    c.user("how much do I owe", "billing_balance", 0.97, message_id="m1")
    c.action("verify_form", "RulePolicy").listen()
    c.user("blorft", "nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("greet", 0.2)],
           message_id="m2")
    c.action("action_fallback").listen()
    store(engine, c)
    engine.dispose()
    monkeypatch.setenv("ENGINE_TRACKER_DB", url)
    from bot.settings import get_settings

    get_settings.cache_clear()
    return url


START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def at(seconds: int) -> datetime:
    return START + timedelta(seconds=seconds)


async def test_a_turn_is_queued_not_recorded_on_its_path(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        redis_client: redis.Redis) -> None:
    await queue.turn_taken(aredis, sessions, WEB, "how much do I owe", at(0), at(1), "m1")
    assert db.scalars(select(Episode)).all() == []
    [raw] = redis_client.lrange(queue.QUEUE_KEY, 0, -1)
    assert queue.Report.loads(raw) == queue.Report("turn", WEB, "how much do I owe", at(0),
                                                   at(1), "m1")


async def test_queued_turns_are_recorded_in_order_with_their_own_parse(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        tracker_store: str, redis_client: redis.Redis) -> None:
    await queue.turn_taken(aredis, sessions, WEB, "how much do I owe", at(0), at(1), "m1")
    await queue.turn_taken(aredis, sessions, WEB, "blorft", at(5), at(6), "m2")
    await queue.turn_taken(aredis, sessions, WEB, "lost", at(8), at(9), "never-stored")
    assert await queue.drain_once(aredis, sessions) == 3
    assert redis_client.llen(queue.QUEUE_KEY) == 0
    assert redis_client.get(f"leader:{queue.JOB}") is None  # released at once
    [episode] = db.scalars(select(Episode)).all()
    assert (episode.turns, episode.intents, episode.topics, episode.fallbacks) == (
        3, ["billing_balance", "nlu_fallback"], ["billing"], 1)
    events = db.scalars(select(InsightEvent).order_by(InsightEvent.id)).all()
    # The first report gets its own turn's parse although the tracker's last turn is the
    # fallback; a turn the engine never stored gets none.
    assert [(e.name, e.confidence) for e in events] == [
        ("billing_balance", 0.97), ("nlu_fallback", 0.3), (None, None)]
    assert events[1].data["text"] == "blorft"


async def test_one_worker_records_at_a_time(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        redis_client: redis.Redis) -> None:
    await queue.turn_taken(aredis, sessions, WEB, "hello", at(0), at(1), "m1")
    redis_client.set(f"leader:{queue.JOB}", "another-worker", px=60_000)
    assert await queue.drain_once(aredis, sessions) == 0
    assert redis_client.llen(queue.QUEUE_KEY) == 1
    assert redis_client.get(f"leader:{queue.JOB}") == "another-worker"  # not ours to release
    redis_client.delete(f"leader:{queue.JOB}")
    assert await queue.drain_once(aredis, sessions) == 1
    assert len(db.scalars(select(Episode)).all()) == 1
    assert worker_id() != "another-worker"


async def test_without_redis_the_report_is_recorded_at_once(
        sessions: sessionmaker[Session], db: Session) -> None:
    gone = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    await queue.turn_taken(gone, sessions, WEB, "hello", at(0), at(1), None)
    [episode] = db.scalars(select(Episode)).all()
    assert episode.turns == 1
    await gone.aclose()


async def test_a_bad_report_costs_only_itself(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = record.add_turn

    def add_turn(session: Session, conversation_id: str, text: str, *args: object
                 ) -> Episode:
        if text == "boom":
            raise RuntimeError("a row the database refused")
        return real(session, conversation_id, text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(record, "add_turn", add_turn)
    for i, text in enumerate(["one", "boom", "three"]):
        await queue.turn_taken(aredis, sessions, f"web:bad{i}", text, at(i), at(i), None)
    assert await queue.drain_once(aredis, sessions) == 2
    assert sorted(e.conversation_id for e in db.scalars(select(Episode))) == [
        "web:bad0", "web:bad2"]


async def test_turned_off_nothing_is_queued(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import get_settings

    monkeypatch.setenv("INSIGHTS_RECORDING", "false")
    get_settings.cache_clear()
    await queue.turn_taken(aredis, sessions, WEB, "hello", at(0), at(1), "m1")
    assert redis_client.llen(queue.QUEUE_KEY) == 0


async def test_flush_records_what_is_left_at_shutdown(
        aredis: aioredis.Redis, sessions: sessionmaker[Session], db: Session,
        redis_client: redis.Redis) -> None:
    for i in range(queue.BATCH + 5):  # more than one batch
        await queue.turn_taken(aredis, sessions, f"web:flush{i}", "hi", at(0), at(0), None)
    await queue.flush(lambda: aredis, sessions)
    assert redis_client.llen(queue.QUEUE_KEY) == 0
    assert len(db.scalars(select(Episode)).all()) == queue.BATCH + 5
