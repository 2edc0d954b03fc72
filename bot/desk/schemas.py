"""What the desk's API takes and answers."""

from typing import Any

from pydantic import BaseModel

from bot.conversations.schemas import TranscriptItem
from bot.handoff.models import HandoffStatus


class LoginRequest(BaseModel):
    email: str
    password: str


class LoginResponse(BaseModel):
    token: str
    name: str


class HandoffDetail(BaseModel):
    id: int
    status: HandoffStatus
    transcript: list[TranscriptItem]
    context: dict[str, Any]
