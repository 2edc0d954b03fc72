"""Outreach tests run on a demo back office seeded for a fixed day, with the clock injected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice.models import Patient
from bot.settings import Settings

NY = ZoneInfo("America/New_York")
# A Monday; Maria's appointment is Thursday 10:30, so her 72 h reminder is due today 10:30.
TODAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NY)


@pytest.fixture
def outreach_env(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """No hold-out unless a test asks (ids on PostgreSQL differ from run to run)."""
    from tests.conftest import clear_caches

    monkeypatch.setenv("OUTREACH_HOLDOUT_PERCENT", "0")
    clear_caches()
    return env


@pytest.fixture
def settings(outreach_env: dict[str, str]) -> Settings:
    from bot.settings import get_settings

    return get_settings()


@pytest.fixture
def sessions(outreach_env: dict[str, str]) -> sessionmaker[Session]:
    from bot.db import get_sessionmaker

    return get_sessionmaker()


@pytest.fixture
def demo(sessions: sessionmaker[Session]) -> Iterator[Session]:
    from bot.demo.seed import seed

    with sessions() as session:
        seed(session, TODAY, NY)
        session.commit()
        yield session


@pytest.fixture
def people(demo: Session) -> dict[str, Patient]:
    return {p.first_name: p for p in demo.scalars(select(Patient))}
