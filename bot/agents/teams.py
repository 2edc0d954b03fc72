"""Team settings: names people read, opening hours, and when a closed team opens next.

Hours come from `DESK_TEAM_HOURS` (JSON, per team, in the clinic's time zone):
"mon-fri 08:00-17:00; sat 09:00-13:00". A team without hours is open around the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.agents.models import Team
from bot.settings import get_settings

LABELS = {Team.billing: "billing office", Team.scheduling: "scheduling team",
          Team.pharmacy: "pharmacy team", Team.nurse: "nurse line",
          Team.general: "patient support team"}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPAN = re.compile(r"^\s*(?P<days>[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
                   r"(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})\s*$")


class BadHours(ValueError):
    """DESK_TEAM_HOURS has a span we cannot read; the message says which and how to write it."""


@dataclass(frozen=True)
class Span:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time


def label(team: str) -> str:
    try:
        return LABELS[Team(team)]
    except ValueError:
        return "team"


def parse_hours(text: str) -> list[Span]:
    spans = []
    for part in filter(None, (p.strip().lower() for p in text.split(";"))):
        match = _SPAN.match(part)
        if not match:
            raise BadHours(f"cannot read opening hours {part!r}: write them like "
                           "'mon-fri 08:00-17:00; sat 09:00-13:00'")
        days: set[int] = set()
        for group in match["days"].split(","):
            first, _, last = group.partition("-")
            if first not in DAYS or (last and last not in DAYS):
                raise BadHours(f"unknown day in {part!r}: use mon, tue, wed, thu, fri, sat, sun")
            a, b = DAYS.index(first), DAYS.index(last or first)
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        start, end = (time.fromisoformat(match[k].zfill(5)) for k in ("start", "end"))
        spans.append(Span(frozenset(days), start, end))
    return spans


def hours(team: str) -> list[Span] | None:
    """None: open around the clock."""
    text = get_settings().desk_team_hours.get(team, "").strip()
    return parse_hours(text) if text else None


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(get_settings().clinic_timezone))


def is_open(team: str, moment: datetime) -> bool:
    spans = hours(team)
    if spans is None:
        return True
    local = _local(moment)
    return any(local.weekday() in s.days and s.start <= local.time() < s.end for s in spans)


def next_opening(team: str, moment: datetime) -> datetime | None:
    """The next time the team opens (clinic time), None when it is open around the clock."""
    spans = hours(team)
    if spans is None:
        return None
    local = _local(moment)
    for offset in range(8):
        day = (local + timedelta(days=offset)).date()
        starts = sorted(datetime.combine(day, s.start, local.tzinfo) for s in spans
                        if day.weekday() in s.days)
        for start in starts:
            if start > local:
                return start
    return None


def when_words(opening: datetime, moment: datetime) -> str:
    """'today at 8 AM', 'tomorrow at 8 AM', 'Monday at 8 AM': what a patient reads."""
    local = _local(moment)
    clock = opening.strftime("%-I:%M %p").replace(":00 ", " ")
    days = (opening.date() - local.date()).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"{opening.strftime('%A')} at {clock}"
