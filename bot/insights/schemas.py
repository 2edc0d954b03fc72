"""The task-outcome message the action server posts (pure: pydantic and our enums only)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.insights.enums import Task


class TaskOutcome(BaseModel):
    """An action finished a request for the patient (`ok`) or the back office failed it."""

    conversation_id: str = Field(min_length=1, max_length=200)
    task: Task
    ok: bool = True
    intent: str | None = Field(default=None, max_length=100)
    patient_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class Recorded(BaseModel):
    episode_id: int
