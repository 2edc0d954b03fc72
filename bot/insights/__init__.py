"""Outcomes: what every conversation achieved, from events recorded as they happen."""
