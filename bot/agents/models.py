"""Agents who work the desk. Passwords are argon2 hashes."""

from enum import StrEnum

from sqlalchemy import JSON, Boolean, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Role(StrEnum):
    """What an account may do: work the queue, see every team and the insights, or review
    real conversations to improve the bot."""

    agent = "agent"
    supervisor = "supervisor"
    designer = "designer"


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

    def has_role(self, role: Role) -> bool:
        return role.value in (self.roles or [])
