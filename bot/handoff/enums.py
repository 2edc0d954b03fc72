"""Handoff states, free of SQLAlchemy, so the action server can ask for a handoff without
loading the ORM, the settings or the database."""

from __future__ import annotations

import enum


class HandoffStatus(enum.StrEnum):
    waiting = "waiting"
    active = "active"
    # Nobody could take it in time (team closed, or past the wait limit): a task in the team's
    # queue to call the patient back, while the bot answers the patient again.
    callback = "callback"
    closed = "closed"


class Urgency(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


class Disposition(enum.StrEnum):
    resolved = "resolved"
    follow_up = "follow_up"
    transferred = "transferred"
