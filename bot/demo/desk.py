"""Creates the demo agent from DESK_DEMO_EMAIL / DESK_DEMO_PASSWORD. Run by `make run`."""

import sys

from bot.agents import service
from bot.agents.models import Role, Team
from bot.db import get_sessionmaker
from bot.desk.tools import service as tools
from bot.settings import get_settings

DEMO_TEAM_AGENTS = {Team.billing: "Bea", Team.scheduling: "Sol", Team.pharmacy: "Phil",
                    Team.nurse: "Nora", Team.general: "Gus"}


def main() -> int:
    settings = get_settings()
    if not settings.is_dev:  # APP_ENV dev or test only: no demo account in production
        print(f"desk: refused, APP_ENV is {settings.app_env!r}; the demo agent exists only with "
              "APP_ENV=dev. Create real accounts with: python -m bot.desk.agents add",
              file=sys.stderr)
        return 2
    if not settings.desk_demo_password:
        print("desk: DESK_DEMO_PASSWORD is not set in .env; no demo agent created")
        return 0
    with get_sessionmaker()() as session:
        # In dev the demo agent has every role (DESIGN.md); elsewhere it keeps what it has.
        service.ensure_agent(session, settings.desk_demo_email, settings.desk_demo_password,
                             display_name="Sam", roles=list(Role) if settings.is_dev else None,
                             teams=list(Team), languages=["en", "es"])
        # One demo agent per team (desk teams), same password, to try routing and transfers:
        # billing@example.org, scheduling@..., pharmacy@..., nurse@..., general@...
        for team, name in DEMO_TEAM_AGENTS.items():
            service.ensure_agent(session, f"{team.value}@example.org",
                                 settings.desk_demo_password, display_name=name,
                                 roles=[Role.agent], teams=[team])
        # A few saved replies to try "/" with in the reply box (desk tools).
        replies = tools.seed_demo_replies(session)
    print(f"desk: demo agent {settings.desk_demo_email} is ready (password in .env); "
          f"{replies} demo saved replies added")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
