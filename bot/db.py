"""Database engine and per-request sessions (SQLite by default, PostgreSQL in production)."""

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from bot.settings import get_settings

T = TypeVar("T")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs, as most hosts hand them out."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def postgres_connect_args(*, statement_timeout_ms: int | None = None) -> dict[str, Any]:
    """psycopg connection arguments that keep a hung PostgreSQL from holding a worker forever:
    libpq's `connect_timeout` and a server-side `statement_timeout` sent in the startup
    packet (no extra round trip; a pooler must pass `options` through). From the settings
    (DB_CONNECT_TIMEOUT_SECONDS, DB_STATEMENT_TIMEOUT_MS); `statement_timeout_ms` overrides
    the latter (0 for migrations, which may rightly run long). 0 leaves either unset."""
    settings = get_settings()
    if statement_timeout_ms is None:
        statement_timeout_ms = settings.db_statement_timeout_ms
    args: dict[str, Any] = {}
    if settings.db_connect_timeout_seconds > 0:
        args["connect_timeout"] = settings.db_connect_timeout_seconds
    if statement_timeout_ms > 0:
        args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return args


def make_engine(url: str, *, statement_timeout_ms: int | None = None) -> Engine:
    """An engine for SQLite or PostgreSQL; on PostgreSQL with the timeouts of
    `postgres_connect_args` (`statement_timeout_ms` as there)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Foreign keys are off by default in SQLite; WAL lets readers run beside a writer.
            # In WAL mode synchronous=NORMAL syncs at checkpoints, not on every commit (the
            # top entry of a turn's profile): a commit survives the process dying;
            # only a power cut may lose the last commits, never corrupt the file. PostgreSQL
            # is the database for a deployment that must survive one (README "Deploying").
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True, connect_args=postgres_connect_args(
            statement_timeout_ms=statement_timeout_ms))
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


async def in_session(fn: Callable[..., T], *args: Any,
                     sessions: sessionmaker[Session] | None = None) -> T:
    """Runs a synchronous service function with its own session in a worker thread, so
    async code (channels, the conversation service) never blocks the event loop on I/O."""
    maker = sessions or get_sessionmaker()

    def run() -> T:
        with maker() as session:
            return fn(session, *args)

    return await asyncio.to_thread(run)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, closed afterwards."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC everywhere; SQLite would otherwise drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (UTC or the clinic's zone)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
