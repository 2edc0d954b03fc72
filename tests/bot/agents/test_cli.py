"""The agents CLI (python -m bot.desk.agents): passwords never echoed nor taken as arguments."""

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents import cli, service
from bot.audit.models import AuditEvent


def test_add_list_reset_disable(seeded: Session, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("bea-secret-password\n"))
    assert cli.main(["add", "bea@example.org", "--name", "Bea", "--team", "billing",
                     "--team", "pharmacy", "--password-stdin"]) == 0
    monkeypatch.setenv("NEW_DESK_PASSWORD", "bea-second-password")
    assert cli.main(["reset-password", "--email", "bea@example.org",
                     "--password-env", "NEW_DESK_PASSWORD"]) == 0
    assert cli.main(["list"]) == 0
    assert cli.main(["disable", "bea@example.org"]) == 0
    out = capsys.readouterr()
    assert "added bea@example.org (Bea): roles agent; teams billing, pharmacy" in out.out
    assert "disabled bea@example.org" in out.out
    assert "billing,pharmacy" in out.out
    assert "secret" not in out.out + out.err and "second-password" not in out.out + out.err
    seeded.expire_all()
    agent = service.by_email(seeded, "bea@example.org")
    assert agent is not None and not agent.active and agent.token_version == 2
    actions = seeded.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["agent_add", "agent_reset_password", "agent_disable"]


def test_prompted_passwords_must_match_and_errors_say_what_to_do(
        seeded: Session, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["first-password-1", "other-password-2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    with pytest.raises(SystemExit, match="the two passwords differ"):
        cli.main(["add", "sol@example.org", "--team", "scheduling"])
    assert service.by_email(seeded, "sol@example.org") is None
    assert cli.main(["add", "sol@example.org"]) == 2  # no team: refused, nothing changed
    assert "--team billing" in capsys.readouterr().err
    assert cli.main(["disable", "nobody@example.org"]) == 1
    assert "no account for nobody@example.org" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["add", "sol@example.org", "--team", "scheduling",
                     "--password-stdin"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
