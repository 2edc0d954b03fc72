"""Agents who work the desk. Passwords are argon2 hashes."""

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
