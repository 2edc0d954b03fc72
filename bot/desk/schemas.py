"""What the desk's API takes and answers."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from bot.agents.models import Availability, Team
from bot.conversations.schemas import TranscriptItem
from bot.handoff.models import HandoffStatus
from bot.handoff.schemas import TransferStep
from bot.text import CleanText


class LoginRequest(BaseModel):
    email: str
    password: str


class LoginResponse(BaseModel):
    token: str
    name: str
    roles: list[str] = []
    teams: list[str] = []
    availability: str = "available"


class LogoutRequest(BaseModel):
    # True: every desk sign-in of this account ends (all tokens revoked), not only this one.
    everywhere: bool = False


class AvailabilityRequest(BaseModel):
    availability: Availability


class DeskAgent(BaseModel):
    """A colleague as the transfer dialog lists them."""

    id: int
    name: str
    teams: list[str]
    availability: str


class TeamInfo(BaseModel):
    team: str
    label: str
    open: bool
    waiting: int
    available_agents: int


class TransferRequest(BaseModel):
    """To a team's queue, or to a named agent (in the given team, or their own)."""

    team: Team | None = None
    agent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    # Private: shown to the next agent, never sent to the patient.
    note: CleanText | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _somewhere(self) -> "TransferRequest":
        if self.team is None and self.agent_id is None:
            raise ValueError("Choose a team or an agent to transfer to.")
        return self


class NoteOut(BaseModel):
    text: str
    author: str | None
    at: datetime
    kind: str = "note"


class HandoffDetail(BaseModel):
    id: int
    status: HandoffStatus
    transcript: list[TranscriptItem]
    context: dict[str, Any]
    # Private notes (a transfer's note among them), oldest first: never sent to the patient.
    notes: list[NoteOut] = []
    # The latest transfer (from, to, by whom, when, its note): what the receiving agent reads
    # first. None when the handoff never moved.
    transfer: TransferStep | None = None
