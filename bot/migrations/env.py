"""Alembic environment: the URL comes from the settings (DATABASE_URL), never from alembic.ini."""

from logging.config import fileConfig

from alembic import context

import bot.models  # noqa: F401  (registers every table on Base.metadata)
from bot.db import Base, make_engine
from bot.settings import get_settings

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
