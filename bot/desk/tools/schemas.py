"""What the desk tools' API takes and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from bot.handoff.enums import Disposition
from bot.text import CleanText


class NoteIn(BaseModel):
    text: CleanText = Field(min_length=1, max_length=2000)


class NoteItem(BaseModel):
    id: int
    text: str
    author: str | None
    at: datetime
    kind: str


# What must hold for a saved reply to be offered in a conversation (None: always).
ReplyCondition = Literal["verified", "has_balance", "has_appointment", "plan_eligible"]


# A language as conversations name theirs ("es").
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


class ReplyText(BaseModel):
    """A saved reply in one language other than English."""

    title: CleanText = Field(min_length=1, max_length=120)
    body: CleanText = Field(min_length=1, max_length=1600)


class SavedReplyIn(BaseModel):
    """A new saved reply, or the whole of an edited one."""

    # Typed after "/" in the reply box: one word of letters, digits, - or _.
    shortcut: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    # English: every reply has it.
    title: CleanText = Field(min_length=1, max_length=120)
    body: CleanText = Field(min_length=1, max_length=1600)
    # None: every team.
    team: str | None = Field(default=None, max_length=40)
    condition: ReplyCondition | None = None
    # The reply in other languages, each optional: {"es": {"title": ..., "body": ...}}.
    texts: dict[LanguageCode, ReplyText] = Field(default={}, max_length=10)

    @field_validator("texts")
    @classmethod
    def english_is_title_and_body(cls, texts: dict[str, ReplyText]) -> dict[str, ReplyText]:
        if "en" in texts:
            raise ValueError("English is the title and body, not one of the other texts")
        return texts


class SavedReplyItem(BaseModel):
    id: int
    shortcut: str
    # In `language`: English, or with ?handoff_id= the conversation's language when the reply
    # has a text in it.
    title: str
    body: str
    team: str | None
    language: str = "en"
    # With ?handoff_id=: the conversation's language when the reply has no text in it, so it
    # would go in English (the desk says so before the agent sends it).
    language_missing: str | None = None
    # The reply in languages other than English, as saved (what the desk edits).
    texts: dict[str, ReplyText] = {}
    # With ?handoff_id=: the body with its placeholders filled from that handoff's context.
    text: str | None = None
    # Placeholders the context could not fill (left as "{name}" for the agent to complete).
    missing: list[str] = []
    condition: str | None = None
    # With ?handoff_id=: False when the reply's condition does not hold for this patient (e.g.
    # a payment plan they cannot have): it is not offered, and the reason says why.
    available: bool = True
    unavailable_reason: str | None = None


class FollowUpItem(BaseModel):
    id: int
    handoff_id: int
    team: str
    patient: str
    channel: str
    what: str
    due_at: datetime
    due: bool
    status: str
    message: str | None
    send_at: datetime | None
    sent_at: datetime | None
    blocked_reason: str | None
    created_by: str | None


class FollowUpMessage(BaseModel):
    text: CleanText = Field(min_length=1, max_length=1600)


class HistorySearch(BaseModel):
    """Closed conversations. A patient is named by name and date of birth, or by phone: the
    look-up is audited with the reason given."""

    name: str | None = Field(default=None, max_length=120)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()-]{4,20}$")
    reason: str | None = Field(default=None, max_length=200)
    closed_from: date | None = None
    closed_to: date | None = None
    team: str | None = Field(default=None, max_length=40)
    disposition: Disposition | None = None
    limit: int = Field(default=50, ge=1, le=200)


class HistoryItem(BaseModel):
    id: int
    patient: str
    channel: str
    reason: str
    team: str | None
    disposition: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None


class ClosedConversation(BaseModel):
    id: int
    status: Literal["closed"]
    read_only: Literal[True] = True
    transcript: list[dict[str, object]]
    notes: list[NoteItem]
    follow_ups: list[FollowUpItem]
    context: dict[str, object]
