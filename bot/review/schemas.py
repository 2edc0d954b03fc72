"""What the review lists: a patient's turn that went wrong, redacted, with what the engine made
of it. Nothing here holds a sender id or an unredacted word."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class TurnKind(StrEnum):
    """Why a turn is listed; one turn may be several."""

    fallback = "fallback"  # nlu_fallback, or a fallback action answered it
    low_confidence = "low_confidence"  # understood, but the top intent was unsure
    repeat = "repeat"  # the patient said it again, or rephrased it
    handoff_after_fallback = "handoff_after_fallback"  # gave up on the bot for a person
    out_of_scope = "out_of_scope"  # answered "I can't help with that here"
    safety_check = "safety_check"  # the classifier alone asked "are you having an emergency?"
    false_alarm = "false_alarm"  # the patient answered that check "no"


class ReviewTurn(BaseModel):
    # The tracker store's row id of the patient's message: stable, and names no one.
    id: int
    # A keyed hash of the conversation's sender id (`sms:+1555...` never leaves the service).
    ref: str
    channel: str
    at: datetime
    kinds: list[TurnKind]
    text: str
    intent: str | None
    confidence: float | None
    # The best real intent when the engine fell back (nlu_fallback's confidence is its
    # threshold, not a prediction): the usual place to look for the right label.
    guess_intent: str | None = None
    guess_confidence: float | None = None
    reply: str = ""
    # A button's payload (`/inform{...}`), not the patient's wording: no NLU example.
    payload: bool = False
