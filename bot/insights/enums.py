"""Names the insights share with the action server, free of the ORM (like `bot.handoff.enums`)."""

from __future__ import annotations

import enum


class Outcome(enum.StrEnum):
    """Exclusive per episode; `docs/metrics.md#outcomes` defines each."""

    bot_resolved = "bot_resolved"
    agent_resolved = "agent_resolved"
    escalated_unresolved = "escalated_unresolved"
    abandoned = "abandoned"
    informational = "informational"


class Task(enum.StrEnum):
    """A request the bot finished by itself: what makes an episode resolved by the bot."""

    balance_told = "balance_told"
    charges_explained = "charges_explained"
    payment_link_sent = "payment_link_sent"
    plan_set_up = "plan_set_up"
    appointment_moved = "appointment_moved"
    appointment_cancelled = "appointment_cancelled"
    appointment_confirmed = "appointment_confirmed"
    appointments_told = "appointments_told"
    refill_filed = "refill_filed"
    renewal_filed = "renewal_filed"
    refill_status_told = "refill_status_told"
    insurance_told = "insurance_told"


# The area a task belongs to: "same topic" in the 24 h and 7 day windows means the same area.
TASK_TOPIC: dict[Task, str] = {
    Task.balance_told: "billing", Task.charges_explained: "billing",
    Task.payment_link_sent: "billing", Task.plan_set_up: "billing",
    Task.insurance_told: "billing",
    Task.appointment_moved: "appointments", Task.appointment_cancelled: "appointments",
    Task.appointment_confirmed: "appointments", Task.appointments_told: "appointments",
    Task.refill_filed: "refills", Task.renewal_filed: "refills",
    Task.refill_status_told: "refills",
}

TOPICS = ("billing", "appointments", "refills")


def topic_of_intent(intent: str | None) -> str | None:
    """billing_* -> billing, appointment_* -> appointments, refill_* -> refills; else None
    (greetings, capabilities, out of scope, a person, an emergency are not task topics)."""
    if not intent:
        return None
    if intent.startswith("billing_"):
        return "billing"
    if intent.startswith("appointment_"):
        return "appointments"
    if intent.startswith("refill_"):
        return "refills"
    return None
