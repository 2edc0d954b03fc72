"""Settings of the action server process."""

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.privacy.secret_strength import secret_problems


class ActionSettings(BaseSettings):
    # APP_ENV_FILE="" (tests) reads the environment only.
    model_config = SettingsConfigDict(env_file=os.environ.get("APP_ENV_FILE", ".env") or None,
                                      extra="ignore")

    # Unset means production, as for the bot service.
    app_env: Literal["dev", "test", "prod"] = "prod"
    backoffice_url: str = "http://127.0.0.1:8000"
    backoffice_token: str = Field(default="", repr=False)
    backoffice_timeout_seconds: float = 5.0
    clinic_timezone: str = "America/New_York"
    # The token the engine presents (rasa_sdk_plugins checks it on every call).
    actions_token: str = Field(default="", repr=False)


def production_problems(settings: ActionSettings) -> list[str]:
    """With APP_ENV=prod, what keeps the action server from serving: its two secrets."""
    if settings.app_env != "prod":
        return []
    return secret_problems({"ACTIONS_TOKEN": settings.actions_token,
                            "BACKOFFICE_TOKEN": settings.backoffice_token})


@lru_cache
def get_action_settings() -> ActionSettings:
    return ActionSettings()
