"""Small helpers every action module shares: who is talking, and how we say numbers and dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker

from actions.settings import get_action_settings


def channel_of(tracker: Tracker) -> str:
    """"sms" or "web": from the message metadata the bot service sends, else the sender id."""
    metadata = tracker.latest_message.get("metadata") or {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    if channel in ("sms", "web"):
        return str(channel)
    return "sms" if tracker.sender_id.startswith("sms:") else "web"


def phone_of(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    phone = metadata.get("phone") if isinstance(metadata, dict) else None
    if phone:
        return str(phone)
    if tracker.sender_id.startswith("sms:"):
        return tracker.sender_id.removeprefix("sms:")
    return None


def clinic_today() -> date:
    return datetime.now(ZoneInfo(get_action_settings().clinic_timezone)).date()


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def say_date(day: date, today: date | None = None) -> str:
    """"Dec 13", with the year only when it is not this year."""
    today = today or clinic_today()
    text = f"{day:%b} {day.day}"
    return text if day.year == today.year else f"{text}, {day.year}"
