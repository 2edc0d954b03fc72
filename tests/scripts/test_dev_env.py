import subprocess
import sys
from pathlib import Path

from bot.privacy.secret_strength import secret_problems

ROOT = Path(__file__).resolve().parents[2]


def run(path: Path) -> str:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "dev_env.py"), str(path)],
                          check=True, capture_output=True, text=True).stdout


def settings(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if "=" in line and not line.startswith("#"))


def test_a_new_env_has_every_secret_and_is_private(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert "demo agent" in run(env)
    values = settings(env)
    for name in ("TWILIO_AUTH_TOKEN", "ENGINE_TOKEN", "ACTIONS_TOKEN", "BACKOFFICE_TOKEN",
                 "DESK_DEMO_PASSWORD"):
        assert len(values[name]) >= 16, name
    # The service secrets would pass production's strength check too.
    assert secret_problems({name: values[name] for name in (
        "TWILIO_AUTH_TOKEN", "ENGINE_TOKEN", "ACTIONS_TOKEN", "BACKOFFICE_TOKEN")}) == []
    assert env.stat().st_mode & 0o077 == 0


def test_an_older_env_keeps_its_values_and_gains_what_is_new(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    run(env)
    before = settings(env)
    env.write_text("".join(f"{k}={v}\n" for k, v in before.items() if k != "ACTIONS_TOKEN"))
    assert run(env).strip() == f"added to {env}: ACTIONS_TOKEN (new since it was written)"
    after = settings(env)
    assert {k: v for k, v in after.items() if k != "ACTIONS_TOKEN"} == {
        k: v for k, v in before.items() if k != "ACTIONS_TOKEN"}
    assert after["ACTIONS_TOKEN"] != before["ACTIONS_TOKEN"]
    assert run(env) == ""  # nothing more to add
