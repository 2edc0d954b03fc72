"""The review for designers at a terminal, over the tracker store in `.env`'s
ENGINE_TRACKER_DB; everything goes to stdout, nothing is written to a file:

    .venv/bin/python -m bot.review list [--since DAYS] [--limit N]
    .venv/bin/python -m bot.review nlu TURN_ID --intent NAME
    .venv/bin/python -m bot.review story REF [--fix TURN_ID=INTENT ...]

Each run is written to the audit log, as the desk's Review view is.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import timedelta

from bot.db import get_sessionmaker
from bot.review import service
from bot.review.schemas import ReviewTurn
from bot.settings import get_settings


def _fix(value: str) -> tuple[int, str]:
    turn_id, sep, intent = value.partition("=")
    if not sep or not turn_id.strip().isdigit() or not intent.strip():
        raise argparse.ArgumentTypeError(f"expected TURN_ID=INTENT, got {value!r}")
    return int(turn_id), intent.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the turns that went wrong, newest first")
    listing.add_argument("--since", type=int, default=service.DEFAULT_SINCE.days,
                         metavar="DAYS", help="how many days back (default %(default)s)")
    listing.add_argument("--limit", type=int, default=service.DEFAULT_LIMIT, metavar="N",
                         help="at most this many turns (default %(default)s)")
    nlu = commands.add_parser("nlu", help="a turn as an NLU training example")
    nlu.add_argument("turn_id", type=int, metavar="TURN_ID")
    nlu.add_argument("--intent", required=True, metavar="NAME")
    story = commands.add_parser("story", help="a conversation as a test story")
    story.add_argument("ref", metavar="REF")
    story.add_argument("--fix", type=_fix, action="append", default=[], metavar="TURN_ID=INTENT",
                       help="label that turn with another intent (repeatable)")
    return parser


def _row(turn: ReviewTurn) -> str:
    confidence = f"{turn.confidence:.2f}" if turn.confidence is not None else "-"
    guess = f" ({turn.guess_intent} {turn.guess_confidence:.2f})" if (
        turn.guess_intent and turn.guess_confidence is not None
        and turn.intent == service.FALLBACK_INTENT) else ""
    return (f"{turn.id:>8}  {turn.at:%Y-%m-%d %H:%M}  {','.join(turn.kinds):<34}  "
            f"{turn.intent or '-'} {confidence}{guess}  {turn.ref}  {turn.text}")


def _check_intents(intents: Sequence[str], parser: argparse.ArgumentParser) -> None:
    known = set(service.domain_intents())
    for intent in intents:
        if intent not in known:
            parser.error(f"{intent!r} is not an intent of domain.yml")


def _audit(action: str, patient_id: int | None, reason: str) -> None:
    with get_sessionmaker()() as session:
        service.audit_read(session, actor_type="system", actor_id=f"cli:{getpass.getuser()}",
                           action=action, patient_id=patient_id, reason=reason)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "nlu":
        _check_intents([args.intent], parser)
    if args.command == "story":
        _check_intents([intent for _, intent in args.fix], parser)
    with service.open_review(settings) as review:
        try:
            if args.command == "list":
                turns = service.find_turns(review, since=timedelta(days=args.since),
                                           limit=args.limit)
                _audit("review_turns", None, f"listed {len(turns)} turns")
                print(f"{'TURN':>8}  {'WHEN (UTC)':<16}  {'KINDS':<34}  INTENT  REF  TEXT")
                print("\n".join(_row(turn) for turn in turns))
            elif args.command == "nlu":
                turn = service.get_turn(review, args.turn_id)
                text = service.nlu_example_yaml(turn, args.intent)
                _audit("review_nlu_example", service.conversation_patient(
                    service.conversation_events(review, turn.ref)), f"turn {turn.id}")
                sys.stdout.write(text)
            else:
                text = service.test_story_yaml(review, args.ref, dict(args.fix))
                _audit("review_story", service.conversation_patient(
                    service.conversation_events(review, args.ref)), f"conversation {args.ref}")
                sys.stdout.write(text)
        except service.TurnNotFound:
            print(f"no listed turn {args.turn_id}", file=sys.stderr)
            return 1
        except service.ConversationNotFound:
            print(f"no conversation {args.ref}", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
