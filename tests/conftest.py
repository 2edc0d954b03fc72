"""Shared fixtures: a real Redis, real databases (SQLite and PostgreSQL), settings per test."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

os.environ["APP_ENV_FILE"] = ""  # never read a developer's .env in tests

import pytest
import redis
from alembic import command
from alembic.config import Config
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent

# `make test` is a gate: the property tests and the API fuzzer draw the same examples on every
# run, so a red build means a change broke something, not that the dice rolled. `make fuzz`
# explores fresh examples (HYPOTHESIS_PROFILE=explore); what it finds becomes a fixed test.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def worker_redis_url(base_url: str, worker: str) -> str:
    """`make unit` runs the suite in pytest-xdist worker processes (gw0, gw1, ...), which
    share nothing: each flushes its own Redis db, the base db minus the worker's number
    (15 and 14 by default; TEST_REDIS_URL=.../9 gives 9 and 8), on the same server."""
    parts = urlsplit(base_url)
    base = int(parts.path.lstrip("/") or 0)
    index = int(worker.removeprefix("gw")) if worker else 0
    if index > base:
        raise ValueError(f"TEST_REDIS_URL {base_url}: no Redis db left for xdist worker {worker}")
    return urlunsplit(parts._replace(path=f"/{base - index}"))


# Set by pytest-xdist in each worker process before this file is imported; "" when serial.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_REDIS_URL = worker_redis_url(
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), XDIST_WORKER)
TEST_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

TEST_ENV = {
    "APP_ENV": "test",
    "PUBLIC_BASE_URL": "https://assistant.example.org",
    "TWILIO_AUTH_TOKEN": "test-auth-token-0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "",
    "TWILIO_API_BASE_URL": "",
    "TWILIO_PHONE_NUMBER": "+15555550100",
    "ENGINE_URL": "http://127.0.0.1:9",  # nothing listens: unit tests never reach an engine
    "ENGINE_TOKEN": "test-engine-token",
    "ENGINE_TIMEOUT_SECONDS": "2",
    "ACTIONS_URL": "http://127.0.0.1:9",
    "BACKOFFICE_TOKEN": "test-backoffice-token",
    "BACKOFFICE_URL": "http://backoffice.test",
}


def clear_caches() -> None:
    """Every lazily built client, so a test's settings take effect."""
    from actions.settings import get_action_settings
    from bot.conversations.deps import get_conversations
    from bot.db import get_engine, get_sessionmaker
    from bot.redis import get_async_redis, get_redis
    from bot.settings import get_settings
    from channels.sms import get_sms_sender

    for cached in (get_settings, get_action_settings, get_engine, get_sessionmaker, get_redis,
                   get_async_redis, get_conversations, get_sms_sender):
        cached.cache_clear()


def migrate(url: str) -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (one per xdist worker: the worker's name
    is in it), dropped afterwards."""
    name = f"pa_test_{XDIST_WORKER or 'serial'}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(TEST_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # make the cause plain: PostgreSQL must run for the suite
        pytest.fail(f"PostgreSQL at {TEST_POSTGRES_URL} is not reachable ({exc}); start it "
                    "(pg_ctlcluster <version> main start) or set TEST_POSTGRES_URL")
    url = TEST_POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated to head once per run (per worker); each test gets a copy,
    which is the same database the migrations make, without running them ~1,000 times."""
    path = tmp_path_factory.mktemp("sqlite-template") / "app.db"
    migrate(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """A new database at `path` with the template's content; its URL. The backup API copies
    every page consistently (the template is in WAL mode)."""
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "app.db")
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    import bot.models  # noqa: F401  (every table)
    from bot.db import Base, normalize_url

    engine = create_engine(normalize_url(url))
    with Session(engine) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    engine.dispose()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.fail(f"Redis at {TEST_REDIS_URL} is not reachable; start redis-server or set "
                    "TEST_REDIS_URL")
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_client: redis.Redis
        ) -> Iterator[dict[str, str]]:
    values = {**TEST_ENV, "DATABASE_URL": database_url, "REDIS_URL": TEST_REDIS_URL}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    clear_caches()
    yield values
    from bot.db import get_engine

    get_engine().dispose()
    clear_caches()


@pytest.fixture
def db(env: dict[str, str]) -> Iterator[Session]:
    from bot.db import get_sessionmaker

    with get_sessionmaker()() as session:
        yield session


@pytest.fixture
def seeded(db: Session) -> Session:
    from bot.clock import clinic_today, clinic_tz
    from bot.demo.seed import seed

    seed(db, clinic_today(), clinic_tz())
    db.commit()
    return db


@pytest.fixture
def app(env: dict[str, str]):  # type: ignore[no-untyped-def]
    from bot.main import create_app

    return create_app()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


# Two sites allowed to embed the chat (the widget's tests); the test client's own address is
# same-origin.
WIDGET_ALLOWED = "https://www.example.org"
OWN_ORIGIN = "http://testserver"


@pytest.fixture
def widget_client(env: dict[str, str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f"{WIDGET_ALLOWED}, http://localhost:8080")
    clear_caches()
    from bot.main import create_app

    with TestClient(create_app()) as client:
        yield client
