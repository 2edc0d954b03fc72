"""A patient's turns are recorded off the turn's path: the turn pays one Redis RPUSH,
not a tracker-store read and a database commit.

Every bot worker pushes its reports onto one Redis list. One worker at a time (a claim in
Redis, as in bot.leader) takes them in arrival order, a batch at a time, and records each
batch in one transaction. One consumer keeps a conversation's reports in order across
workers, so two workers never open two episodes for one conversation, and a batch costs one
commit, not one per turn. Reports are recorded within about a second.

A report that cannot be queued (Redis away) is recorded at once instead: slower, never lost.
A worker killed while holding a batch loses that batch's reports (at most BATCH turns):
insights are reporting, not care, and a restart must not hold the queue up.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation_ids import channel_of
from bot.insights import metrics, record
from bot.insights.tracker import TurnParse, read_turn
from bot.leader import claim, worker_id
from bot.settings import get_settings
from bot.tracker_store import tracker_url

log = logging.getLogger(__name__)

QUEUE_KEY = "insights:reports"
JOB = "insights-recorder"
BATCH = 200
# The claim outlives any batch; released as soon as the batch is recorded.
HOLD_SECONDS = 60.0
IDLE_SECONDS = 0.25
# A compare-and-delete: release only our own claim (it may have lapsed and been taken).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Report:
    """A patient message to record: a turn the engine answered ("turn"), or a message that
    went to the agent during a handoff ("patient_message")."""

    kind: str
    conversation_id: str
    text: str
    received: datetime
    answered: datetime | None = None
    message_id: str | None = None
    handoff_id: int | None = None
    # A message to the agent the bot service's safety net answered with 911 ("safety_net").
    safety: str | None = None

    def dumps(self) -> str:
        data = asdict(self)
        data["received"] = self.received.isoformat()
        data["answered"] = self.answered.isoformat() if self.answered else None
        return json.dumps(data)

    @classmethod
    def loads(cls, raw: str) -> Report:
        data: dict[str, Any] = json.loads(raw)
        data["received"] = datetime.fromisoformat(data["received"])
        if data.get("answered"):
            data["answered"] = datetime.fromisoformat(data["answered"])
        return cls(**data)


# --------------------------------------------------------------------------- recording


def tracker() -> str:
    return tracker_url(get_settings())


def _parse(report: Report, tracker_store: str) -> TurnParse | None:
    try:
        return read_turn(tracker_store, report.conversation_id, report.message_id)
    except Exception:
        log.exception("insights: could not read the turn from the tracker store")
        return None


def _add(session: Session, report: Report, parse: TurnParse | None) -> None:
    if report.kind == "turn":
        record.add_turn(session, report.conversation_id, report.text, report.received,
                        report.answered or report.received, parse)
    elif report.kind == "patient_message" and report.handoff_id is not None:
        record.add_patient_message(session, report.handoff_id, report.text, report.received,
                                   report.safety)
    else:
        log.warning("insights: unknown report kind %r skipped", report.kind)


def record_batch(sessions: sessionmaker[Session], reports: list[Report],
                 tracker_store: str | None = None) -> int:
    """Records reports in order in one transaction; if the batch fails, each report alone
    (so one bad report costs only itself). Returns how many were recorded."""
    store = tracker_store if tracker_store is not None else tracker()
    parses = [_parse(r, store) if r.kind == "turn" else None for r in reports]
    with sessions() as session:
        try:
            for report, parse in zip(reports, parses, strict=True):
                _add(session, report, parse)
            session.commit()
            return len(reports)
        except Exception:
            log.exception("insights: a batch of %d reports failed; recording one by one",
                          len(reports))
            session.rollback()
    done = 0
    for report, parse in zip(reports, parses, strict=True):
        with sessions() as session:
            try:
                _add(session, report, parse)
                session.commit()
                done += 1
            except Exception:
                log.exception("insights: could not record a %s report", report.kind)
                session.rollback()
    return done


# --------------------------------------------------------------------------- the queue


async def submit(redis: aioredis.Redis, sessions: sessionmaker[Session], report: Report
                 ) -> None:
    """Queues a report; records it at once when Redis cannot take it."""
    try:
        await redis.rpush(QUEUE_KEY, report.dumps())
    except (RedisError, OSError):
        await record_now(sessions, report)


def turn_report(sender: str, text: str, received: datetime, answered: datetime,
                message_id: str | None) -> Report | None:
    """After the engine answered: the latency histogram now; the report to queue (the
    conversation service pushes it with its own after-turn writes, one round trip), unless
    recording is turned off with INSIGHTS_RECORDING=false (bench/insights.py compares)."""
    metrics.TURN_LATENCY.labels(channel=channel_of(sender)).observe(
        (answered - received).total_seconds())
    if not get_settings().insights_recording:
        return None
    return Report("turn", sender, text, received, answered, message_id)


def queue_report(pipe: Pipeline, report: Report) -> None:
    """Adds the report to a pipeline the caller executes."""
    pipe.rpush(QUEUE_KEY, report.dumps())


async def record_now(sessions: sessionmaker[Session], report: Report) -> None:
    """For a report the queue could not take: recorded at once, slower but not lost."""
    log.warning("insights: queue unavailable; recording the report now")
    await asyncio.to_thread(record_batch, sessions, [report])


async def turn_taken(redis: aioredis.Redis, sessions: sessionmaker[Session], sender: str,
                     text: str, received: datetime, answered: datetime,
                     message_id: str | None) -> None:
    """turn_report, queued on its own."""
    report = turn_report(sender, text, received, answered, message_id)
    if report is not None:
        await submit(redis, sessions, report)


async def patient_to_agent(redis: aioredis.Redis, sessions: sessionmaker[Session],
                           sender: str, handoff_id: int, text: str, received: datetime,
                           safety: str | None = None) -> None:
    if get_settings().insights_recording:
        await submit(redis, sessions, Report("patient_message", sender, text, received,
                                             handoff_id=handoff_id, safety=safety))


async def drain_once(redis: aioredis.Redis, sessions: sessionmaker[Session]) -> int:
    """One batch, if there is one and no other worker is recording: how many were recorded."""
    if not await redis.llen(QUEUE_KEY):
        return 0
    if not await claim(redis, JOB, HOLD_SECONDS):
        return 0
    try:
        raw = await redis.lpop(QUEUE_KEY, BATCH)
        reports: list[Report] = []
        for item in raw if isinstance(raw, list) else []:
            try:
                reports.append(Report.loads(str(item)))
            except (ValueError, TypeError, KeyError):
                log.warning("insights: an unreadable report skipped")
        if not reports:
            return 0
        return await asyncio.to_thread(record_batch, sessions, reports)
    finally:
        try:
            await redis.eval(_RELEASE, 1, f"leader:{JOB}", worker_id())
        except (RedisError, OSError):
            pass  # it lapses by itself after HOLD_SECONDS


async def run_forever(redis: Callable[[], aioredis.Redis], sessions: sessionmaker[Session],
                      idle_seconds: float = IDLE_SECONDS) -> None:
    """Every worker runs this loop; one at a time records (bot.main's lifespan)."""
    while True:
        try:
            if await drain_once(redis(), sessions):
                continue
        except asyncio.CancelledError:
            raise
        except Exception:  # recording must never take the service down
            log.exception("insights: recording the queued reports failed; retrying")
        await asyncio.sleep(idle_seconds)


async def flush(redis: Callable[[], aioredis.Redis], sessions: sessionmaker[Session],
                attempts: int = 20) -> None:
    """At shutdown: what is queued is recorded before the worker goes (if no other worker
    holds the queue, which then records it)."""
    for _ in range(attempts):
        try:
            if not await redis().llen(QUEUE_KEY):
                return
            if not await drain_once(redis(), sessions):
                await asyncio.sleep(IDLE_SECONDS)
        except (RedisError, OSError):
            return
