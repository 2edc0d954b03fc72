import pytest
from sqlalchemy.orm import Session

from bot.agents.models import Agent
from bot.agents.service import ensure_agent


@pytest.fixture
def agents(seeded: Session) -> tuple[Agent, Agent]:
    return (ensure_agent(seeded, "ana@example.org", "ana-pass-123", "Ana"),
            ensure_agent(seeded, "ben@example.org", "ben-pass-456", "Ben"))
