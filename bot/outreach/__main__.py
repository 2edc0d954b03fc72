"""Outreach from a terminal or the Procfile.

    python -m bot.outreach run [--at 2026-12-01T09:00:00-05:00]   # what is due as of then
    python -m bot.outreach worker                                  # every OUTREACH_INTERVAL_SECONDS

Running `run` twice for the same time sends nothing more: planning is keyed, sending claimed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime

from bot.conversations.deps import get_conversations
from bot.db import get_sessionmaker
from bot.outreach.service import RunResult, run_due, worker_name
from bot.settings import get_settings, refuse_unsafe_start
from channels.sms_sender import make_sender

log = logging.getLogger("bot.outreach")


def parse_time(text: str) -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summary(result: RunResult) -> str:
    sent = result.sent
    suppressed = ", ".join(f"{k} {v}" for k, v in sorted(sent.suppressed.items())) or "none"
    return (f"outreach: planned {result.planned.planned} (held out {result.planned.held_out}); "
            f"sent {sent.sent}, failed {sent.failed}, waiting {sent.waiting}, "
            f"suppressed: {suppressed}")


async def run_once(at: datetime | None) -> RunResult:
    settings = get_settings()
    sessions = get_sessionmaker()
    conversations = get_conversations()
    try:
        return await run_due(sessions, make_sender(settings, sessions), at or datetime.now(UTC),
                             settings, conversations, worker_name())
    finally:
        await conversations.engine.aclose()


async def work_forever() -> None:
    settings = get_settings()
    sessions = get_sessionmaker()
    sender = make_sender(settings, sessions)
    conversations = get_conversations()
    while True:
        try:
            result = await run_due(sessions, sender, datetime.now(UTC), settings, conversations,
                                   worker_name())
            if result.planned.planned or result.sent.claimed:
                log.info(summary(result))
        except Exception:  # a bad pass must not end the worker; the next one tries again
            log.exception("outreach pass failed")
        await asyncio.sleep(settings.outreach_interval_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.outreach", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="plan and send what is due as of a time, then exit")
    run.add_argument("--at", type=parse_time, help="ISO 8601 time (default: now)")
    sub.add_parser("worker", help="plan and send on a schedule until stopped")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # It holds the same secrets as the bot service (Twilio, the engine's token).
    refuse_unsafe_start(get_settings())
    if not get_settings().outreach_enabled:
        print("outreach: disabled (OUTREACH_ENABLED=false)", file=sys.stderr)
        return 0
    if args.command == "worker":
        asyncio.run(work_forever())
        return 0
    print(summary(asyncio.run(run_once(args.at))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
