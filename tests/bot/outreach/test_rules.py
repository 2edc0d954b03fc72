"""Quiet hours at both ends and across daylight-saving changes, caps, the hold-out hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.outreach.rules import cap_wait, holdout_bucket, in_holdout, next_allowed, zone

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")


def ny(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=NY)


def test_inside_the_window_sends_now() -> None:
    assert next_allowed(ny(2026, 11, 30, 8, 0), NY) == ny(2026, 11, 30, 8, 0)
    assert next_allowed(ny(2026, 11, 30, 20, 59), NY) == ny(2026, 11, 30, 20, 59)


def test_before_eight_waits_for_eight_the_same_day() -> None:
    assert next_allowed(ny(2026, 11, 30, 7, 59), NY) == ny(2026, 11, 30, 8, 0)
    assert next_allowed(ny(2026, 11, 30, 0, 0), NY) == ny(2026, 11, 30, 8, 0)


def test_at_nine_pm_waits_for_eight_the_next_day() -> None:
    assert next_allowed(ny(2026, 11, 30, 21, 0), NY) == ny(2026, 12, 1, 8, 0)
    assert next_allowed(ny(2026, 11, 30, 23, 30), NY) == ny(2026, 12, 1, 8, 0)


def test_spring_forward_eight_is_eight_on_the_new_offset() -> None:
    # 2026-03-08: clocks go from 2:00 EST to 3:00 EDT. 22:00 EST on the 7th waits for 8:00 EDT,
    # which is 12:00 UTC (not 13:00, as adding 10 hours would give).
    wait = next_allowed(ny(2026, 3, 7, 22, 0), NY)
    assert wait.astimezone(UTC) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert wait.astimezone(NY).hour == 8
    # At 01:30 EST on the day itself: 8:00 EDT the same day.
    assert next_allowed(datetime(2026, 3, 8, 6, 30, tzinfo=UTC), NY).astimezone(UTC) == (
        datetime(2026, 3, 8, 12, 0, tzinfo=UTC))


def test_fall_back_eight_is_eight_on_the_new_offset() -> None:
    # 2026-11-01: clocks go from 2:00 EDT back to 1:00 EST; 8:00 EST is 13:00 UTC.
    wait = next_allowed(datetime(2026, 11, 1, 5, 30, tzinfo=UTC), NY)  # 1:30 EDT
    assert wait.astimezone(UTC) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)
    # 20:30 EST is allowed, 21:00 EST is not.
    assert next_allowed(datetime(2026, 11, 2, 1, 30, tzinfo=UTC), NY) == datetime(
        2026, 11, 2, 1, 30, tzinfo=UTC)
    assert next_allowed(datetime(2026, 11, 2, 2, 0, tzinfo=UTC), NY).astimezone(NY) == ny(
        2026, 11, 2, 8, 0)


def test_the_patients_own_zone_decides() -> None:
    # 22:30 in New York is 19:30 in Los Angeles: allowed there.
    moment = ny(2026, 11, 30, 22, 30)
    assert next_allowed(moment, LA) == moment
    assert next_allowed(moment, NY) == ny(2026, 12, 1, 8, 0)
    assert zone(None, "America/New_York") == NY
    assert zone("Not/AZone", "America/New_York") == NY


def test_one_a_day() -> None:
    now = ny(2026, 11, 30, 15, 0)
    assert cap_wait(now, NY, [], 1, 3) is None
    assert cap_wait(now, NY, [ny(2026, 11, 30, 9, 0)], 1, 3) == ny(2026, 12, 1, 8, 0)
    # Yesterday's does not count against today.
    assert cap_wait(now, NY, [ny(2026, 11, 29, 20, 0)], 1, 3) is None


def test_three_a_week() -> None:
    now = ny(2026, 11, 30, 15, 0)
    sent = [ny(2026, 11, 25, 10, 0), ny(2026, 11, 27, 10, 0), ny(2026, 11, 29, 10, 0)]
    assert cap_wait(now, NY, sent, 1, 3) == ny(2026, 11, 25, 10, 0) + timedelta(days=7)
    assert cap_wait(now, NY, sent[1:], 1, 3) is None


def test_hold_out_is_stable_and_about_ten_percent() -> None:
    buckets = [holdout_bucket(pid, "salt") for pid in range(1, 20_001)]
    assert buckets == [holdout_bucket(pid, "salt") for pid in range(1, 20_001)]
    held = sum(in_holdout(b, 10.0) for b in buckets)
    assert 1_800 < held < 2_200
    assert not any(in_holdout(b, 0) for b in buckets)
    assert all(in_holdout(b, 100) for b in buckets)
    # Another salt draws another group.
    assert buckets != [holdout_bucket(pid, "other") for pid in range(1, 20_001)]
