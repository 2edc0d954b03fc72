"""scripts/engine.py: every variable endpoints.yml names, from our own settings."""

import re
import sys
from pathlib import Path

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
