"""Fixtures of the channel tests."""

from tests.support.engine import scripted_conversations  # noqa: F401 (a fixture)
