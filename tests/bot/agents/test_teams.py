"""Team opening hours, in the clinic's time zone."""

from datetime import UTC, datetime

import pytest

from bot.agents import teams
from bot.settings import get_settings


@pytest.fixture
def hours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_TEAM_HOURS",
                       '{"billing": "mon-fri 08:00-17:00", "pharmacy": "mon-fri 08:00-20:00; '
                       'sat 09:00-13:00"}')
    monkeypatch.setenv("CLINIC_TIMEZONE", "America/New_York")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_open_hours_are_read_in_the_clinic_zone(hours: None) -> None:
    # Tuesday 2026-12-01, 16:59 and 17:00 in New York.
    assert teams.is_open("billing", at("2026-12-01T16:59:00-05:00"))
    assert not teams.is_open("billing", at("2026-12-01T17:00:00-05:00"))
    assert not teams.is_open("billing", at("2026-12-05T10:00:00-05:00"))  # Saturday
    assert teams.is_open("pharmacy", at("2026-12-05T10:00:00-05:00"))
    # Not listed: open around the clock.
    assert teams.is_open("nurse", at("2026-12-06T03:00:00-05:00"))
    assert teams.next_opening("nurse", at("2026-12-06T03:00:00-05:00")) is None


def test_the_next_opening_in_words(hours: None) -> None:
    friday_evening = at("2026-12-04T18:30:00-05:00")
    opening = teams.next_opening("billing", friday_evening)
    assert opening is not None and opening.isoformat() == "2026-12-07T08:00:00-05:00"
    assert teams.when_words(opening, friday_evening) == "Monday at 8 AM"
    early = at("2026-12-01T06:00:00-05:00")
    first = teams.next_opening("billing", early)
    assert first is not None and teams.when_words(first, early) == "today at 8 AM"
    late = at("2026-12-01T20:00:00-05:00")
    nxt = teams.next_opening("billing", late)
    assert nxt is not None and teams.when_words(nxt, late) == "tomorrow at 8 AM"


def test_unreadable_hours_say_how_to_write_them() -> None:
    with pytest.raises(teams.BadHours, match="mon-fri 08:00-17:00"):
        teams.parse_hours("weekdays 8 to 5")
    with pytest.raises(teams.BadHours, match="unknown day"):
        teams.parse_hours("mon-fry 08:00-17:00")
