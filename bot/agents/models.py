"""Agents who work the desk. Passwords are argon2 hashes."""

from enum import StrEnum

from sqlalchemy import JSON, Boolean, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Role(StrEnum):
    """What an account may do: work the queue, see every team and the insights, or review
    real conversations to improve the bot."""

    agent = "agent"
    supervisor = "supervisor"
    designer = "designer"


class Team(StrEnum):
    """The contact center's queues: a handoff is routed to one, an agent works one or more."""

    billing = "billing"
    scheduling = "scheduling"
    pharmacy = "pharmacy"
    nurse = "nurse"
    general = "general"


class Availability(StrEnum):
    """Only available agents count toward the wait a patient is told."""

    available = "available"
    away = "away"


ALL_TEAMS_JSON = '\'["billing", "scheduling", "pharmacy", "nurse", "general"]\''


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Role names (Role values); a new account, and every account made before roles, is an agent.
    roles: Mapped[list[str]] = mapped_column(JSON, default=lambda: [Role.agent.value],
                                             server_default=text("'[\"agent\"]'"))
    # Team names (Team values). Accounts made before teams saw every handoff, so they keep
    # every team; `python -m bot.desk.agents add` asks for the teams of a new one.
    teams: Mapped[list[str]] = mapped_column(JSON, default=lambda: [t.value for t in Team],
                                             server_default=text(ALL_TEAMS_JSON))
    # The languages the agent speaks with patients (ISO 639-1 codes).
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["en"],
                                                 server_default=text("'[\"en\"]'"))
    availability: Mapped[str] = mapped_column(String(10), default=Availability.available.value,
                                              server_default=Availability.available.value)
    # Every desk token carries the version it was issued under: bumping it (disable, password
    # reset, "sign out everywhere") revokes them all at once.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def has_role(self, role: Role) -> bool:
        return role.value in (self.roles or [])

    def speaks(self, language: str) -> bool:
        return language in (self.languages or ["en"])

    def in_team(self, team: str) -> bool:
        return team in (self.teams or [])

    @property
    def sees_all_teams(self) -> bool:
        return self.has_role(Role.supervisor)
