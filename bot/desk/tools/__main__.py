"""`python -m bot.desk.tools deliver [--at <ISO 8601 time>]`: sends the follow-up messages due
by then (default now) and exits; a second run for the same time sends nothing more.
`python -m bot.desk.tools seed`: the demo saved replies (dev only)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from bot.db import get_sessionmaker
from bot.desk.tools import service
from bot.desk.tools.delivery import deliver_due
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.desk.tools")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("deliver", help="send the follow-up messages due by then")
    run.add_argument("--at", type=datetime.fromisoformat, default=None,
                     help="ISO 8601 time (default now; without an offset, UTC)")
    commands.add_parser("seed", help="add the demo saved replies (APP_ENV=dev only)")
    args = parser.parse_args(argv)
    if args.command == "seed":
        if not get_settings().is_dev:
            print("desk tools: demo saved replies are added only with APP_ENV=dev")
            return
        with get_sessionmaker()() as session:
            print(f"desk tools: {service.seed_demo_replies(session)} demo saved replies added")
        return
    at = args.at
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    sent = asyncio.run(deliver_due(at))
    print(f"desk tools: {sent} follow-up message{'s' if sent != 1 else ''} sent")


if __name__ == "__main__":
    main()
