"""Fixtures of the conversation service's tests."""

from tests.support.engine import scripted_conversations  # noqa: F401 (a fixture)
