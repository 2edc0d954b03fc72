"""scripts/engine.py: every variable endpoints.yml names, from our own settings."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import engine  # noqa: E402


def endpoint_variables() -> set[str]:
    lines = (ROOT / "endpoints.yml").read_text().splitlines()
    return {name for line in lines if not line.lstrip().startswith("#")
            for name in re.findall(r"\$\{(\w+)\}", line)}


def test_defaults_fill_every_endpoints_variable_sqlite_and_in_memory() -> None:
    env = engine.endpoint_env({"ACTIONS_TOKEN": "t"})
    assert endpoint_variables() <= env.keys()
    assert env["ENGINE_TRACKER_DIALECT"] == "sqlite"
    assert env["ENGINE_TRACKER_DB_NAME"] == "var/engine-tracker.db"
    assert env["ENGINE_LOCK_STORE"] == "in_memory"


def test_postgresql_url_and_redis_url() -> None:
    env = engine.endpoint_env({
        "ENGINE_TRACKER_DB": "postgresql+psycopg://rasa:p%40ss@db.internal:6543/tracker",
        "REDIS_URL": "redis://:secret@cache:6380/3"})
    assert {k: env[k] for k in env if k.startswith("ENGINE_TRACKER_")} == {
        "ENGINE_TRACKER_DB": "postgresql+psycopg://rasa:p%40ss@db.internal:6543/tracker",
        "ENGINE_TRACKER_DIALECT": "postgresql", "ENGINE_TRACKER_HOST": "db.internal",
        "ENGINE_TRACKER_PORT": "6543", "ENGINE_TRACKER_DB_NAME": "tracker",
        "ENGINE_TRACKER_USER": "rasa", "ENGINE_TRACKER_PASSWORD": "p@ss"}
    assert (env["ENGINE_LOCK_STORE"], env["ENGINE_LOCK_HOST"], env["ENGINE_LOCK_PORT"],
            env["ENGINE_LOCK_DB"], env["ENGINE_LOCK_PASSWORD"], env["ENGINE_LOCK_PREFIX"]) == (
        "redis", "cache", "6380", "3", "secret", "engine")


def test_what_is_set_explicitly_wins() -> None:
    env = engine.endpoint_env({"REDIS_URL": "redis://127.0.0.1:6379/0", "ENGINE_LOCK_DB": "5",
                               "ENGINE_LOCK_STORE": "in_memory"})
    assert (env["ENGINE_LOCK_STORE"], env["ENGINE_LOCK_DB"]) == ("in_memory", "5")


RUN = ["run", "--enable-api", "-p", "5005", "--model", "models/patient-assistant.tar.gz"]


def test_run_gets_the_token_from_engine_token() -> None:
    assert engine.rasa_args(RUN, {"ENGINE_TOKEN": "s3cret-token"}) == [
        *RUN, "--auth-token", "s3cret-token"]


def test_other_commands_get_no_token() -> None:
    args = ["shell", "--model", "models/patient-assistant.tar.gz"]
    assert engine.rasa_args(args, {"ENGINE_TOKEN": "s3cret-token"}) == args
    assert engine.rasa_args(["run", "-p", "5005"], {}) == ["run", "-p", "5005"]


@pytest.mark.parametrize("argv", [[*RUN, "--auth-token", "x"], [*RUN, "--auth-token=x"]])
def test_a_token_on_the_command_line_is_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit, match="set ENGINE_TOKEN instead"):
        engine.rasa_args(argv, {"ENGINE_TOKEN": "s3cret-token"})


def test_the_api_without_a_token_is_refused() -> None:
    with pytest.raises(SystemExit, match="ENGINE_TOKEN is not set"):
        engine.rasa_args(RUN, {"ENGINE_TOKEN": ""})


def fake_rasa(tmp_path: Path) -> Path:
    """A stand-in `rasa` package that records what Rasa's CLI would see; returns the record."""
    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import json, os, sys\n"
        "def main():\n"
        "    cmdline = open('/proc/self/cmdline', 'rb').read().decode().split('\\0')\n"
        f"    open({str(tmp_path / 'seen.json')!r}, 'w').write(json.dumps({{\n"
        "        'argv': sys.argv, 'cmdline': cmdline,\n"
        "        'lock_store': os.environ['ENGINE_LOCK_STORE']}))\n")
    return tmp_path / "seen.json"


def run_engine(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "engine.py"), *RUN],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), **env})


def test_rasa_runs_in_the_wrapper_process_with_the_token_out_of_its_command_line(
        tmp_path: Path) -> None:
    """Rasa's sys.argv has the token, the process's command line (what `ps` shows) does not."""
    record = fake_rasa(tmp_path)
    done = run_engine(tmp_path, APP_ENV="dev", ACTIONS_TOKEN="a", ENGINE_TOKEN="s3cret-token")
    assert done.returncode == 0, done.stderr
    seen = json.loads(record.read_text())
    assert seen["argv"] == ["rasa", *RUN, "--auth-token", "s3cret-token"]
    assert not any("s3cret-token" in part for part in seen["cmdline"])
    assert seen["cmdline"][1:-1] == [str(ROOT / "scripts" / "engine.py"), *RUN]
    assert seen["lock_store"] == "in_memory"


STRONG = {"ENGINE_TOKEN": "Zt8qLm3Nv6Rb1Xp4Kw9sJh2Gd5Fc7Ya0Ue",  # pragma: allowlist secret
          "ACTIONS_TOKEN": "Hq2Wn7Lt4Vm9Xs1Kp6RdBj3Ze8Tc0Qf5Ng"}  # pragma: allowlist secret


@pytest.mark.parametrize(("app_env", "weak"), [
    ({}, {"ACTIONS_TOKEN": "aaaaaaaaaaaaaaaa"}),  # APP_ENV unset means production
    ({"APP_ENV": "prod"}, {"ENGINE_TOKEN": "passwordpassword"}),
    ({"APP_ENV": "prod"}, {"ACTIONS_TOKEN": "not-for-serving"}),
])
def test_a_production_engine_refuses_weak_secrets_before_rasa_starts(
        tmp_path: Path, app_env: dict[str, str], weak: dict[str, str]) -> None:
    record = fake_rasa(tmp_path)
    done = run_engine(tmp_path, **{**STRONG, **app_env, **weak})
    assert done.returncode != 0
    [(name, value)] = weak.items()
    assert done.stderr.startswith("Refusing to start the engine with APP_ENV=prod:\n"
                                  f"  - {name} is a weak secret: it ")
    assert value not in done.stderr and "Traceback" not in done.stderr
    assert not record.exists()
    # Strong secrets: it starts.
    assert run_engine(tmp_path, **STRONG, APP_ENV="prod").returncode == 0
    assert record.exists()


LAUNCHERS = ["Procfile", "deploy/Dockerfile.engine", "deploy/compose.yaml",
             "scripts/run_cluster.py", "tests/support/stack.py", "Makefile"]


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_no_launcher_puts_the_token_on_a_command_line(launcher: str) -> None:
    assert "--auth-token" not in (ROOT / launcher).read_text()


TELEMETRY_PROBE = "from rasa import telemetry; print(telemetry.is_telemetry_enabled())"


def engine_python() -> Path:
    python = ROOT / ".venv-engine" / "bin" / "python"
    if not python.exists():
        pytest.skip("the engine environment is not built (make setup)")
    return python


def home_that_enables_telemetry(tmp_path: Path) -> dict[str, str]:
    """A clean environment whose user config asks Rasa for telemetry, as a first `rasa init`
    on a developer's machine leaves it."""
    config = tmp_path / ".config" / "rasa"
    config.mkdir(parents=True)
    (config / "global.yml").write_text("metrics:\n  enabled: true\n  rasa_user_id: probe\n")
    return {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}


def test_every_engine_process_has_telemetry_off_whatever_the_user_config_says(
        tmp_path: Path) -> None:
    # The bare interpreter of the engine's environment: train, test, shell and the CLI.
    probe = subprocess.run([str(engine_python()), "-c", TELEMETRY_PROBE],
                           env=home_that_enables_telemetry(tmp_path), capture_output=True,
                           text=True, timeout=120, check=True)
    assert probe.stdout.strip() == "False"


def test_the_engine_launcher_turns_telemetry_off_even_when_asked_on() -> None:
    assert engine.endpoint_env({"RASA_TELEMETRY_ENABLED": "true"})["RASA_TELEMETRY_ENABLED"] \
        == "false"


def test_the_engine_image_has_telemetry_off() -> None:
    assert "RASA_TELEMETRY_ENABLED=false" in (ROOT / "deploy" / "Dockerfile.engine").read_text()
