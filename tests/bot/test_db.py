"""bot.db: PostgreSQL engines carry a connect timeout and a statement timeout, so a hung
database fails a request within seconds instead of holding a worker thread forever."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from bot.db import make_engine, postgres_connect_args
from tests.conftest import TEST_POSTGRES_URL, clear_caches


@pytest.fixture
def timeouts(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read from the environment set here; caches cleared before and after."""
    monkeypatch.delenv("DB_CONNECT_TIMEOUT_SECONDS", raising=False)
    monkeypatch.delenv("DB_STATEMENT_TIMEOUT_MS", raising=False)
    clear_caches()
    yield monkeypatch
    clear_caches()


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def postgres_engine(engines: list[Engine], **kwargs: int) -> Engine:
    engine = make_engine(TEST_POSTGRES_URL, **kwargs)
    engines.append(engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL at {TEST_POSTGRES_URL} is not reachable ({exc}); start it or "
                    "set TEST_POSTGRES_URL")
    return engine


def test_connect_args_default_to_five_seconds_and_fifteen_second_statements(
        timeouts: pytest.MonkeyPatch) -> None:
    assert postgres_connect_args() == {"connect_timeout": 5,
                                       "options": "-c statement_timeout=15000"}


def test_connect_args_follow_the_settings_and_zero_turns_each_off(
        timeouts: pytest.MonkeyPatch) -> None:
    timeouts.setenv("DB_CONNECT_TIMEOUT_SECONDS", "7")
    timeouts.setenv("DB_STATEMENT_TIMEOUT_MS", "2500")
    clear_caches()
    assert postgres_connect_args() == {"connect_timeout": 7,
                                       "options": "-c statement_timeout=2500"}
    assert postgres_connect_args(statement_timeout_ms=0) == {"connect_timeout": 7}
    assert postgres_connect_args(statement_timeout_ms=40) == {
        "connect_timeout": 7, "options": "-c statement_timeout=40"}
    timeouts.setenv("DB_CONNECT_TIMEOUT_SECONDS", "0")
    timeouts.setenv("DB_STATEMENT_TIMEOUT_MS", "0")
    clear_caches()
    assert postgres_connect_args() == {}


def test_postgres_connections_carry_both_timeouts(timeouts: pytest.MonkeyPatch,
                                                  engines: list[Engine]) -> None:
    engine = postgres_engine(engines)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "15s"
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, psycopg.Connection)
        assert dbapi.info.get_parameters()["connect_timeout"] == "5"


def test_a_statement_beyond_the_limit_is_cancelled_and_the_pool_recovers(
        timeouts: pytest.MonkeyPatch, engines: list[Engine]) -> None:
    timeouts.setenv("DB_STATEMENT_TIMEOUT_MS", "300")
    clear_caches()
    engine = postgres_engine(engines)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "300ms"
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            conn.execute(text("SELECT pg_sleep(5)"))
        elapsed = time.monotonic() - started
        assert isinstance(raised.value.orig, psycopg.errors.QueryCanceled)
        assert elapsed < 3.0
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_migrations_get_no_statement_limit(timeouts: pytest.MonkeyPatch,
                                           engines: list[Engine]) -> None:
    engine = postgres_engine(engines, statement_timeout_ms=0)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"


def test_sqlite_engines_are_not_given_postgres_arguments(timeouts: pytest.MonkeyPatch,
                                                         engines: list[Engine],
                                                         tmp_path: Path) -> None:
    # sqlite3.connect() would refuse connect_timeout/options with a TypeError.
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    engines.append(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_connecting_to_a_silent_server_gives_up_after_the_connect_timeout(
        timeouts: pytest.MonkeyPatch, engines: list[Engine], silent_server: int) -> None:
    timeouts.setenv("DB_CONNECT_TIMEOUT_SECONDS", "2")
    clear_caches()
    engine = make_engine(f"postgresql://postgres@127.0.0.1:{silent_server}/postgres")
    engines.append(engine)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="timeout"):
        engine.connect()
    elapsed = time.monotonic() - started
    assert 1.5 < elapsed < 5.0


def test_sqlite_is_wal_with_foreign_keys_and_no_fsync_per_commit(tmp_path: Path) -> None:
    """Each connection: foreign keys on, WAL, synchronous=NORMAL (1), synced at checkpoints."""
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1
    engine.dispose()
