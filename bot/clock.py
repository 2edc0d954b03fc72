"""The clock: now (UTC, the one every area uses), and the clinic's calendar (the back office
speaks in the clinic's time zone)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.settings import get_settings


def now() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(get_settings().clinic_timezone)


def clinic_today() -> date:
    return datetime.now(clinic_tz()).date()
