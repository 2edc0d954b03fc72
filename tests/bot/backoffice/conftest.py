"""Fixtures for the back-office tests: the service token, and a fixed now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

AUTH = {"Authorization": "Bearer test-backoffice-token"}


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)
