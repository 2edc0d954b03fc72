"""The rules every send obeys, as pure functions of the clock: quiet hours, caps, the hold-out.

Kept apart from the database so they can be tested at both ends of the window and across a
daylight-saving change without a schedule.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUCKETS = 10_000


def zone(name: str | None, default: str) -> ZoneInfo:
    """The patient's time zone, or the clinic's when none (or an unknown one) is on file."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def local_at(day_moment: datetime, hour: int, tz: ZoneInfo, days: int = 0) -> datetime:
    """`hour`:00 on the local calendar day of `day_moment` (+ `days`), as an aware instant.

    Built from the wall clock, so 8:00 is 8:00 on either side of a daylight-saving change.
    """
    day = day_moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=tz)


def next_allowed(moment: datetime, tz: ZoneInfo, start_hour: int = 8, end_hour: int = 21
                 ) -> datetime:
    """`moment` if it falls in the allowed hours [start_hour, end_hour) of the patient's day,
    else the next start of them."""
    local = moment.astimezone(tz)
    if local.hour < start_hour:
        return local_at(moment, start_hour, tz)
    if local.hour >= end_hour:
        return local_at(moment, start_hour, tz, days=1)
    return moment


def cap_wait(now: datetime, tz: ZoneInfo, sent_times: list[datetime], per_day: int,
             per_week: int, start_hour: int = 8) -> datetime | None:
    """None when one more message now stays within the caps (`per_day` on the patient's local
    day, `per_week` over the last seven days), else the earliest time it would."""
    today_start = local_at(now, 0, tz)
    today = [t for t in sent_times if t >= today_start]
    week = sorted(t for t in sent_times if t > now - timedelta(days=7))
    waits: list[datetime] = []
    if len(today) >= per_day:
        waits.append(local_at(now, start_hour, tz, days=1))
    if len(week) >= per_week:
        # The oldest in the window must fall out of it.
        waits.append(week[len(week) - per_week] + timedelta(days=7))
    return max(waits) if waits else None


def holdout_bucket(patient_id: int, salt: str) -> int:
    """A stable bucket in [0, 10000) per patient: the same on every worker and every run."""
    digest = hashlib.sha256(f"{salt}:{patient_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def in_holdout(bucket: int, percent: float) -> bool:
    return bucket < round(percent * BUCKETS / 100)
