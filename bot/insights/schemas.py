"""The task-outcome message the action server posts (pure: pydantic and our enums only)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.insights.enums import Task


class TaskOutcome(BaseModel):
    """An action finished a request for the patient (`ok`) or the back office failed it."""

    # As the bot service names conversations (the same pattern as a handoff request's).
    conversation_id: str = Field(pattern=r"^(sms:\+?[0-9]{4,15}|web:[A-Za-z0-9_-]{1,64})$")
    task: Task
    ok: bool = True
    intent: str | None = Field(default=None, max_length=100)
    patient_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class Recorded(BaseModel):
    episode_id: int
