"""Shared FastAPI dependencies."""

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from bot.clock import now
from bot.db import get_session
from bot.settings import Settings, get_settings

SessionDep = Annotated[Session, Depends(get_session)]


async def settings() -> Settings:
    """get_settings as a dependency. Async on purpose: FastAPI runs a plain function
    dependency in its thread pool, one thread hop per request for a cached object."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(settings)]

# Database ids in paths: a larger number is a 422, not an overflow inside the database driver.
MAX_DB_ID = 2_147_483_647
DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


async def current_time() -> datetime:
    """Now, as a dependency so tests can move the clock (async: no thread hop)."""
    return now()


NowDep = Annotated[datetime, Depends(current_time)]
