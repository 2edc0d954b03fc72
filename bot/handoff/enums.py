"""Handoff states, free of SQLAlchemy, so the action server can ask for a handoff without
loading the ORM, the settings or the database."""

from __future__ import annotations

import enum


class HandoffStatus(enum.StrEnum):
    waiting = "waiting"
    active = "active"
    closed = "closed"


class Urgency(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


class Disposition(enum.StrEnum):
    resolved = "resolved"
    follow_up = "follow_up"
    transferred = "transferred"
