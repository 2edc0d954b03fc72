"""What recording insights costs a turn.

1. In process, on a migrated SQLite database and a Rasa-shaped tracker store, with EPISODES
   earlier episodes already recorded (the lookup of the open episode must stay cheap as they
   pile up): what the turn itself pays now (queueing the report: one Redis RPUSH), what the
   recording worker pays per turn off the path (bot.insights.queue.record_batch, a batch of
   200 in one transaction), and what a turn paid when it recorded inline (tracker read plus
   `record.turn` with its own commit).
2. End to end: bench/flows.py's web flows through two real stacks, one with
   INSIGHTS_RECORDING=true and one with false, run one after the other, ROUNDS rounds each;
   turn latency median and p90 as the patient sees it (`POST /channels/web/messages`).

Usage: .venv/bin/python bench/insights.py [ROUNDS] [EPISODES]   (default 5, 2000)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.flows import FLOWS, pct  # noqa: E402
from tests.support.stack import running_stack  # noqa: E402


def in_process(episodes: int) -> dict[str, float]:
    """Milliseconds per turn: inline median/p90 and its tracker read, queueing median/p90,
    and the worker's batch cost per turn."""
    import asyncio

    import redis.asyncio as aioredis
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from bot.insights import queue, record
    from bot.insights.tracker import read_turn
    from tests.bot.review.rasa_events import Conversation, create_events_table, store

    root = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    url = f"sqlite:///{work / 'app.db'}"
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "bot" / "migrations"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")
    tracker = f"sqlite:///{work / 'tracker.db'}"
    tracker_engine = create_engine(tracker)
    create_events_table(tracker_engine)
    sender = "web:bench0001"
    c = Conversation(sender, time.time())
    c.session_start()
    for i in range(20):  # a session of some length
        c.user(f"message {i}", "billing_balance", 0.93).slot("pending_request", "balance")
        c.action("action_tell_balance", "RulePolicy").bot("Your balance is ...").listen()
    store(tracker_engine, c)
    sessions = sessionmaker(bind=create_engine(url), expire_on_commit=False)
    start = datetime.now(UTC) - timedelta(days=20)
    with sessions() as session:  # earlier episodes, one per conversation, spread over 20 days
        for i in range(episodes):
            at = start + timedelta(minutes=14 * i)
            record.turn(session, f"web:old{i:06d}", "hi", at, at, None)
    total, reads = [], []
    with sessions() as session:
        for _ in range(300):
            t0 = time.perf_counter()
            parse = read_turn(tracker, sender)
            t1 = time.perf_counter()
            now = datetime.now(UTC)
            record.turn(session, sender, "how much do I owe", now, now, parse)
            t2 = time.perf_counter()
            reads.append((t1 - t0) * 1000)
            total.append((t2 - t0) * 1000)

    async def queued() -> tuple[list[float], float]:
        redis = aioredis.Redis.from_url(REDIS, decode_responses=True)
        await redis.delete(queue.QUEUE_KEY)
        submits = []
        for _ in range(queue.BATCH):
            now = datetime.now(UTC)
            t0 = time.perf_counter()
            await queue.turn_taken(redis, sessions, sender, "how much do I owe", now, now,
                                   None)
            submits.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        done = await queue.drain_once(redis, sessions)
        batch = (time.perf_counter() - t0) * 1000 / max(done, 1)
        await redis.aclose()
        return submits, batch

    os.environ["ENGINE_TRACKER_DB"] = tracker
    from bot.settings import get_settings

    get_settings.cache_clear()
    submits, batch = asyncio.run(queued())
    return {"inline": statistics.median(total), "inline_p90": pct(total, 90),
            "read": statistics.median(reads), "queue": statistics.median(submits),
            "queue_p90": pct(submits, 90), "worker": batch}


REDIS = "redis://127.0.0.1:6379/13"


def end_to_end(recording: bool, rounds: int) -> list[float]:
    latencies: list[float] = []
    extra = {"INSIGHTS_RECORDING": "true" if recording else "false"}
    with running_stack(redis_url=REDIS, extra_env=extra) as stack:
        for _ in range(rounds):
            token = stack.web_session()
            for texts in FLOWS.values():
                for text in texts:
                    t0 = time.perf_counter()
                    stack.web_turn(token, text)
                    latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    episodes = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    os.environ.setdefault("APP_ENV_FILE", "")
    f = in_process(episodes)
    print(f"in process, {episodes} earlier episodes, ms per turn:")
    print(f"  on the turn's path now (queue one report): median {f['queue']:.2f}, "
          f"p90 {f['queue_p90']:.2f}")
    print(f"  off the path (recording worker, batches of 200): {f['worker']:.2f}")
    print(f"  inline as before (tracker read + record + commit): median {f['inline']:.2f}, "
          f"p90 {f['inline_p90']:.2f} (of which the tracker-store read {f['read']:.2f})")
    results = {}
    for recording in (True, False):
        values = end_to_end(recording, rounds)
        results[recording] = values
        print(f"end to end, recording {'on ' if recording else 'off'}: {len(values)} web turns, "
              f"median {statistics.median(values):.1f} ms, p90 {pct(values, 90):.1f} ms")
    delta = statistics.median(results[True]) - statistics.median(results[False])
    print(f"difference of medians (on - off): {delta:+.1f} ms per turn")


if __name__ == "__main__":
    main()
