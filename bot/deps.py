"""Shared FastAPI dependencies."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from bot.db import get_session
from bot.settings import Settings, get_settings

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# Database ids in paths: a larger number is a 422, not an overflow inside the database driver.
MAX_DB_ID = 2_147_483_647
DbId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def current_time() -> datetime:
    """Now, as a dependency so tests can move the clock."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(current_time)]
