"""The handoff contract: what the action server asks for, what the desk shows."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from bot.handoff.enums import Disposition, HandoffStatus, Urgency
from bot.text import CleanText

HandoffReason = Literal[
    "requested", "fallback", "verification_locked", "emergency", "billing_dispute",
    "refill_needs_person", "backoffice_error",
]


# The custom payload key the handoff action puts on its message once a handoff is open: the
# bot service then knows the turn left the chat waiting for a person without asking the
# database after every turn. Its value is the handoff's id.
HANDOFF_OPENED = "handoff_opened"


class HandoffRequest(BaseModel):
    # "sms:<E.164 number>" or "web:<session id>", as the bot service names conversations.
    conversation_id: str = Field(pattern=r"^(sms:\+?[0-9]{4,15}|web:[A-Za-z0-9_-]{1,64})$")
    reason: HandoffReason
    urgency: Urgency = Urgency.normal
    verified: bool = False
    patient_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    intents: list[str] = Field(default=[], max_length=50)
    slots: dict[str, Any] = Field(default={}, max_length=20)
    language: str = Field(default="en", pattern=r"^[a-z]{2}$")


class HandoffTicket(BaseModel):
    handoff_id: int
    position: int
    wait_minutes: int
    urgent: bool
    # The team it was routed to, and whether that team is open now.
    team: str = "general"
    team_open: bool = True
    # A closed team: when it opens next (clinic time), and whether it can call the patient
    # back (a texting number, or one on file); the request is then already a callback task.
    opens_at: datetime | None = None
    callback_by_phone: bool = False


class QueueItem(BaseModel):
    id: int
    status: HandoffStatus
    channel: str
    urgency: Urgency
    reason: str
    patient: str
    waiting_since: datetime
    accepted_by: str | None = None
    # The team's queue it is in, and the named agent a transfer gave it to.
    team: str = "general"
    assigned_to: str | None = None
    # When it entered this queue (a transfer re-queues it), and how many transfers so far.
    queued_at: datetime | None = None
    transfers: int = 0
    # Urgent and waiting past DESK_URGENT_ALERT_MINUTES: supervisors are alerted.
    overdue: bool = False
    # The conversation's language, and whether no available agent of its team speaks it.
    language: str = "en"
    language_unmatched: bool = False
    # After a transfer: the team it came from (the queue says so instead of the first reason).
    transferred_from: str | None = None


class TransferStep(BaseModel):
    """The latest transfer, as the receiving agent reads it first: from which team to which,
    by whom, when, and the private note that came with it."""

    from_team: str
    to_team: str
    by: str
    at: datetime
    note: str | None = None
    from_agent: str | None = None
    # A transfer to a named colleague.
    to_agent: str | None = None


class SummaryAppointment(BaseModel):
    starts_at: datetime
    provider: str
    location: str


class SummaryPrescription(BaseModel):
    medication: str
    refills_left: int


class OpenRequest(BaseModel):
    reference: str
    status: str
    # In words an agent reads at a glance: what, about what, where it stands.
    what: str


class PatientSummary(BaseModel):
    """What the desk shows of a verified patient. Stored as JSON on the handoff (the desk page
    reads these keys), so it is the record as it stood when the patient asked for a person."""

    name: str
    date_of_birth: date
    phone: str
    mrn: str
    # None: the billing system did not answer when the card was read.
    balance_cents: int | None
    balance_overdue: bool
    # What an agent needs next about the bill (desk tools); None in summaries made before.
    balance_due_date: date | None = None
    payment_plan_eligible: bool | None = None
    # In words: "Eligible: 3, 6 or 12 months", "Not eligible: in collections", ...
    payment_plan: str | None = None
    upcoming_appointments: list[SummaryAppointment]
    active_prescriptions: list[SummaryPrescription]
    open_requests: list[OpenRequest]
    # When it was read from the back office: at the handoff, again each time an agent opens
    # it (None in summaries made before).
    as_of: datetime | None = None


class AgentMessage(BaseModel):
    text: CleanText = Field(min_length=1, max_length=1600)


class FollowUpIn(BaseModel):
    """What a "follow-up needed" close promises: what will be done, and by when."""

    what: CleanText = Field(min_length=3, max_length=500)
    # Aware, or read in the clinic's time zone (what a datetime-local field sends).
    due_at: datetime


class CloseRequest(BaseModel):
    disposition: Disposition = Disposition.resolved
    # Required with disposition follow_up, refused with any other.
    follow_up: FollowUpIn | None = None

    @model_validator(mode="after")
    def _follow_up_needs_what_and_when(self) -> "CloseRequest":
        if self.disposition is Disposition.follow_up and self.follow_up is None:
            raise ValueError("A follow-up close needs what will be done and by when "
                             "(follow_up: {what, due_at}).")
        if self.disposition is not Disposition.follow_up and self.follow_up is not None:
            raise ValueError("follow_up goes only with disposition follow_up.")
        return self
