"""Demo data only where asked: the seeds, run as `make run` runs them (real
processes on a real database), write only with APP_ENV=dev (or test), refuse elsewhere with a
message that says what to do, and never delete data they did not write."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, copy_sqlite


@pytest.fixture
def database(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database (a copy of the one the migrations made for this run)."""
    return copy_sqlite(sqlite_template, tmp_path / "app.db")


def run(module: str, database: str, app_env: str | None, *args: str
        ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env.update({"APP_ENV_FILE": "", "DATABASE_URL": database,
                "DESK_DEMO_PASSWORD": "demo-password-123"})
    if app_env is not None:
        env["APP_ENV"] = app_env
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def count(database: str, table: str) -> int:
    engine = create_engine(database)
    with engine.connect() as conn:
        value = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return int(value)


@pytest.mark.parametrize("app_env", ["prod", None])
def test_outside_dev_the_seeds_refuse_and_touch_nothing(database: str,
                                                        app_env: str | None) -> None:
    assert run("bot.demo.seed", database, "dev").returncode == 0
    patients = count(database, "patients")
    assert patients == 4
    for args in ((), ("--force",)):
        result = run("bot.demo.seed", database, app_env, *args)
        assert result.returncode == 2
        assert result.stderr.startswith("seed: refused, APP_ENV is 'prod'. Demo patients are "
                                        "loaded only with APP_ENV=dev")
        assert count(database, "patients") == patients
    desk = run("bot.demo.desk", database, app_env)
    assert desk.returncode == 2
    assert "python -m bot.desk.agents add" in desk.stderr
    assert count(database, "agents") == 0


def test_in_dev_the_seed_never_deletes_data_it_did_not_write(database: str) -> None:
    engine = create_engine(database)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, phone, zip_code, "
            "sms_consent, payment_plan_eligible) VALUES ('MRN900001', 'Real', 'Person', "
            "'1960-01-01', '+15555559999', '12345', 1, 0)"))
    engine.dispose()
    refused = run("bot.demo.seed", database, "dev")
    assert refused.returncode == 2
    assert "holds patients this seed did not write" in refused.stderr
    assert "--force" in refused.stderr
    assert count(database, "patients") == 1
    forced = run("bot.demo.seed", database, "dev", "--force")
    assert forced.returncode == 0, forced.stderr
    assert count(database, "patients") == 4


def test_in_dev_the_seeds_write_the_demo(database: str) -> None:
    assert run("bot.demo.seed", database, "dev").returncode == 0
    assert run("bot.demo.desk", database, "dev").returncode == 0
    again = run("bot.demo.seed", database, "dev")
    assert "already seeded today" in again.stdout
    assert count(database, "patients") == 4
    assert count(database, "agents") >= 1  # the demo agent (and one per team)
