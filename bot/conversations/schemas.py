"""What the engine says back, in the shape every channel formats from."""

from pydantic import BaseModel


class Button(BaseModel):
    title: str
    payload: str


class BotMessage(BaseModel):
    text: str
    buttons: list[Button] = []
