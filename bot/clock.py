"""The clinic's calendar: the back office speaks in the clinic's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.settings import get_settings


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(get_settings().clinic_timezone)


def clinic_today() -> date:
    return datetime.now(clinic_tz()).date()
