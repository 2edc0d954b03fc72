"""What the engine says back, in the shape every channel formats from; and the transcript as
the desk and the chat history read it."""

from datetime import datetime

from pydantic import BaseModel


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str
    buttons: list[Button] = []


class TranscriptItem(BaseModel):
    role: str
    text: str
    at: datetime
    channel: str
    # An agent's message: who wrote it (the desk shows the name; two agents may reply).
    agent: str | None = None
