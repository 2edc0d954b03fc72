"""`python -m bot.outreach run --at <time>`: what is due then goes out; twice sends nothing more."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from bot.outreach.__main__ import main, parse_time
from tests.bot.outreach.conftest import TODAY, at


def test_times_without_an_offset_are_utc() -> None:
    assert parse_time("2026-12-01T15:00:00") == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert parse_time("2026-12-01T10:00:00-05:00") == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert parse_time("2026-12-01T15:00:00Z") == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def test_run_as_of_a_time_twice(demo: Session, capsys: pytest.CaptureFixture[str]) -> None:
    when = at(TODAY, 10, 45).isoformat()
    assert main(["run", "--at", when]) == 0
    first = capsys.readouterr().out
    assert main(["run", "--at", when]) == 0
    second = capsys.readouterr().out
    assert "planned 9 (held out 0); sent 2, failed 0, waiting 1" in first, first
    assert "no_consent 3" in first
    assert "planned 0 (held out 0); sent 0, failed 0, waiting 0, suppressed: none" in second


def test_a_production_worker_refuses_weak_secrets(env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker holds the bot service's secrets, so it checks them the same way."""
    from bot.settings import get_settings

    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "passwordpassword")
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as refused:
        main(["worker"])
    message = str(refused.value.code)
    assert message.startswith("Refusing to start with APP_ENV=prod:")
    assert "TWILIO_AUTH_TOKEN is a weak secret" in message
    assert "passwordpassword" not in message
