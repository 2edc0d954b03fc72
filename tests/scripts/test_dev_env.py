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


SETTINGS_PROBE = ("from bot.settings import get_settings; s = get_settings(); "
                  "print(s.redis_url, s.twilio_api_base_url, s.engine_token, sep='|')")


def settings_seen_by_a_command(workdir: Path, **env: str) -> list[str]:
    """What a command started in `workdir` (a second terminal beside `make run`) reads."""
    environ = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env}
    out = subprocess.run([sys.executable, "-c", SETTINGS_PROBE], cwd=workdir, env=environ,
                         check=True, capture_output=True, text=True).stdout
    return out.strip().split("|")


def test_commands_beside_make_run_use_the_services_it_chose(tmp_path: Path) -> None:
    run(tmp_path / ".env")  # REDIS_URL unset: make run starts an embedded Redis
    chosen = {"REDIS_URL": "redis://127.0.0.1:6390/0", "TWILIO_ACCOUNT_SID": "ACdevstandin",
              "TWILIO_API_BASE_URL": "http://127.0.0.1:8099",
              "BACKOFFICE_SCHEDULING": "fhir", "BACKOFFICE_TOKEN": "not-written-twice",
              "FHIR_BASE_URL": "http://127.0.0.1:8390/fhir", "UNRELATED": "x"}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "dev_env.py"), "--run-env",
                    str(tmp_path / "var" / "run.env")], env={"PATH": "/usr/bin:/bin", **chosen},
                   check=True)
    written = settings(tmp_path / "var" / "run.env")
    assert written == {k: v for k, v in chosen.items()
                       if k not in ("BACKOFFICE_TOKEN", "UNRELATED")}
    assert (tmp_path / "var" / "run.env").stat().st_mode & 0o077 == 0
    token = settings(tmp_path / ".env")["ENGINE_TOKEN"]
    assert settings_seen_by_a_command(tmp_path) == [
        "redis://127.0.0.1:6390/0", "http://127.0.0.1:8099", token]
    # The environment still wins, and APP_ENV_FILE="" (tests) reads neither file.
    assert settings_seen_by_a_command(tmp_path, REDIS_URL="redis://elsewhere:6379/2")[0] == (
        "redis://elsewhere:6379/2")
    assert settings_seen_by_a_command(tmp_path, APP_ENV_FILE="") == [
        "redis://127.0.0.1:6379/0", "", ""]


def test_make_run_writes_what_it_chose_before_starting_the_processes() -> None:
    script = (ROOT / "scripts" / "run.sh").read_text()
    written = script.index("dev_env.py --run-env var/run.env")
    assert written < script.index("scripts/supervise.py -f Procfile")
