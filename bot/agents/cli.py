"""Desk accounts at a terminal, against the database in `.env`:

    .venv/bin/python -m bot.desk.agents add EMAIL --name NAME --team billing [--team ...]
                                             [--role agent|supervisor|designer ...]
    .venv/bin/python -m bot.desk.agents disable EMAIL
    .venv/bin/python -m bot.desk.agents reset-password EMAIL
    .venv/bin/python -m bot.desk.agents list

Passwords are never echoed nor taken as arguments: typed at a prompt, or read from the
first line of stdin (--password-stdin), or from the environment variable named by
--password-env. Disabling an account or resetting its password signs it out everywhere.
Every change is written to the audit log with who ran it.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence

from bot.agents import service
from bot.agents.models import Role, Team
from bot.backoffice.enums import LANGUAGES
from bot.db import get_sessionmaker


def _email(sub: argparse.ArgumentParser) -> None:
    """EMAIL, or --email EMAIL (both spellings are in use in the docs)."""
    sub.add_argument("email", nargs="?")
    sub.add_argument("--email", dest="email_option", metavar="EMAIL")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.desk.agents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="a new desk account")
    _email(add)
    add.add_argument("--name", help="the name patients see (default: from the e-mail)")
    add.add_argument("--team", action="append", choices=[t.value for t in Team],
                     help="a team the agent works (repeatable; a supervisor without one gets "
                          "every team)")
    add.add_argument("--role", action="append", choices=[r.value for r in Role],
                     help="a role (repeatable; default agent)")
    add.add_argument("--language", action="append", choices=list(LANGUAGES),
                     help="a language the agent speaks with patients (repeatable; default en): "
                          "conversations in it are offered to the agent first")
    reset = commands.add_parser("reset-password", help="a new password; signs the agent out")
    _email(reset)
    for sub in (add, reset):
        source = sub.add_mutually_exclusive_group()
        source.add_argument("--password-stdin", action="store_true",
                            help="read the password from the first line of stdin")
        source.add_argument("--password-env", metavar="VAR",
                            help="read the password from this environment variable")
    disable = commands.add_parser("disable", help="no more sign-ins; signs the agent out")
    _email(disable)
    commands.add_parser("list", help="every account, with roles, teams and status")
    return parser


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if args.password_env:
        value = os.environ.get(args.password_env, "")
        if not value:
            raise SystemExit(f"error: the environment variable {args.password_env} is empty; "
                             "set it or leave out --password-env to be asked")
        return value
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("error: the two passwords differ; nothing was changed. Run it again.")
    return first


def _actor() -> str:
    try:
        return "cli:" + getpass.getuser()
    except OSError:
        return "cli:unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "list":
        args.email = args.email or args.email_option
        if not args.email:
            parser.error(f"{args.command} needs the account's e-mail")
    with get_sessionmaker()() as session:
        try:
            if args.command == "list":
                for a in service.all_agents(session):
                    print(f"{a.id:>4}  {a.email:<32} {a.display_name:<16} "
                          f"{'active' if a.active else 'disabled':<8} {a.availability:<9} "
                          f"roles={','.join(a.roles or [])} teams={','.join(a.teams or [])} "
                          f"languages={','.join(a.languages or ['en'])}")
                return 0
            if args.command == "add":
                roles = [Role(r) for r in (args.role or [Role.agent.value])]
                if not args.team and Role.supervisor not in roles:
                    print("error: say which team(s) the agent works: --team billing (repeat "
                          "for more); nothing was changed", file=sys.stderr)
                    return 2
                name = args.name or args.email.split("@")[0].replace(".", " ").title()
                agent = service.create(
                    session, args.email, name, _password(args), roles=roles,
                    teams=[Team(t) for t in args.team] if args.team else list(Team),
                    actor=_actor(), languages=args.language or ["en"])
                print(f"added {agent.email} ({agent.display_name}): roles "
                      f"{', '.join(agent.roles)}; teams {', '.join(agent.teams)}")
            elif args.command == "disable":
                agent = service.disable(session, args.email, actor=_actor())
                print(f"disabled {agent.email}; every desk sign-in it had is ended")
            elif args.command == "reset-password":
                agent = service.reset_password(session, args.email, _password(args),
                                               actor=_actor())
                print(f"new password set for {agent.email}; its old sign-ins are ended")
        except service.AgentExists:
            print(f"error: {args.email} already has an account; use reset-password or "
                  "another e-mail", file=sys.stderr)
            return 1
        except service.UnknownAgent:
            print(f"error: no account for {args.email}; see `list`", file=sys.stderr)
            return 1
        except service.WeakPassword as exc:
            print(f"error: {exc}; nothing was changed", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
