"""Fixtures for the back-office tests: the seeded patients by last name, and the payment page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import Patient

AUTH = {"Authorization": "Bearer test-backoffice-token"}


@pytest.fixture
def ids(seeded: Session) -> dict[str, int]:
    """{"Lopez": id, "Carter": id, "Khan": id}"""
    return {p.last_name: p.id for p in seeded.scalars(select(Patient))}


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)
