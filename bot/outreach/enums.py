"""Outreach kinds and states, free of the ORM (routes, schemas and the desk read them)."""

from __future__ import annotations

import enum

# Consent is a patient record (the back office's); outreach reads and names it.
from bot.backoffice.enums import Purpose as Purpose
from bot.backoffice.enums import SuppressReason as SuppressReason


class OutreachKind(enum.StrEnum):
    appointment_reminder = "appointment_reminder"
    no_show_followup = "no_show_followup"
    refill_prompt = "refill_prompt"
    renewal_prompt = "renewal_prompt"
    balance_reminder = "balance_reminder"


class OutreachStatus(enum.StrEnum):
    planned = "planned"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"
    suppressed = "suppressed"


FINAL_STATUSES = frozenset({OutreachStatus.sent, OutreachStatus.delivered, OutreachStatus.failed,
                            OutreachStatus.cancelled, OutreachStatus.suppressed})


# Lower goes first when a patient has several due: reminders before nudges.
PRIORITY = {
    OutreachKind.appointment_reminder: 10,
    OutreachKind.no_show_followup: 20,
    OutreachKind.renewal_prompt: 30,
    OutreachKind.refill_prompt: 40,
    OutreachKind.balance_reminder: 50,
}

# The desk team whose work a kind is (bot.agents.models.Team values): the desk's Outreach view
# shows an agent only their teams' messages, as its queues do; supervisors see every kind.
TEAM = {
    OutreachKind.appointment_reminder: "scheduling",
    OutreachKind.no_show_followup: "scheduling",
    OutreachKind.renewal_prompt: "pharmacy",
    OutreachKind.refill_prompt: "pharmacy",
    OutreachKind.balance_reminder: "billing",
}

PURPOSE = {
    OutreachKind.appointment_reminder: Purpose.care,
    OutreachKind.no_show_followup: Purpose.care,
    OutreachKind.renewal_prompt: Purpose.care,
    OutreachKind.refill_prompt: Purpose.care,
    OutreachKind.balance_reminder: Purpose.billing,
}
