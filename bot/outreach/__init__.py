"""Proactive outreach: reminders, no-show follow-ups, refill prompts and balance reminders,
planned into a durable schedule and sent under consent, quiet hours, caps and a hold-out."""
