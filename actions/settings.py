"""Settings of the action server process."""

import os
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class ActionSettings(BaseSettings):
    # APP_ENV_FILE="" (tests) reads the environment only.
    model_config = SettingsConfigDict(env_file=os.environ.get("APP_ENV_FILE", ".env") or None,
                                      extra="ignore")

    backoffice_url: str = "http://127.0.0.1:8000"
    backoffice_token: str = ""
    backoffice_timeout_seconds: float = 5.0
    clinic_timezone: str = "America/New_York"


@lru_cache
def get_action_settings() -> ActionSettings:
    return ActionSettings()
