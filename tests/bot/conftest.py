"""Fixtures shared by the bot service's areas."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backoffice.models import Patient


@pytest.fixture
def ids(seeded: Session) -> dict[str, int]:
    """The seeded patients' ids by last name: {"Lopez": id, "Carter": id, "Khan": id}."""
    return {p.last_name: p.id for p in seeded.scalars(select(Patient))}
