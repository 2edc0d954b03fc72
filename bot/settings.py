"""Settings of the bot service: one object, read from the environment and `.env`."""

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    # APP_ENV_FILE="" (tests) reads the environment only.
    model_config = SettingsConfigDict(env_file=os.environ.get("APP_ENV_FILE", ".env") or None,
                                      extra="ignore")

    app_env: Literal["dev", "test", "prod"] = "dev"
    public_base_url: str = "http://localhost:8000"
    database_url: str = "sqlite:///var/app.db"
    redis_url: str = "redis://127.0.0.1:6379/0"

    engine_url: str = "http://127.0.0.1:5005"
    engine_token: str = ""
    engine_timeout_seconds: float = 30.0
    actions_url: str = "http://127.0.0.1:5055"

    # Token the action server presents to the back-office API.
    backoffice_token: str = ""

    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_api_base_url: str = ""
    # Our own SMS number(s), comma separated; Twilio posts `To` as one of them.
    twilio_phone_number: str = "+15555550100"

    clinic_name: str = "Riverside Health"
    clinic_phone: str = "(555) 555-0199"
    clinic_timezone: str = "America/New_York"

    # The engine's tracker store (a path for SQLite, or a database URL) and how long the
    # conversations it and our transcripts keep are retained.
    engine_tracker_db: str = "var/engine-tracker.db"
    conversation_retention_days: int = 30

    # Review of real traffic (bot.review): a top intent below this confidence is listed, and
    # conversations are named by a keyed hash of the sender id (empty: keyed by ENGINE_TOKEN).
    review_low_confidence: float = 0.6
    review_salt: str = Field(default="", repr=False)

    # Per phone number: more than this many texts in 5 minutes are told once, then dropped.
    sms_messages_per_window: int = 20
    web_messages_per_session_per_minute: int = 20
    web_messages_per_ip_per_minute: int = 120
    web_sessions_per_ip_per_minute: int = 30

    verification_max_attempts: int = 3
    verification_lock_seconds: int = 15 * 60
    web_session_idle_seconds: int = 15 * 60
    sms_dedupe_seconds: int = 24 * 3600

    desk_demo_email: str = "agent@example.org"
    desk_demo_password: str = Field(default="", repr=False)

    @property
    def is_dev(self) -> bool:
        return self.app_env in ("dev", "test")

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


@lru_cache
def get_settings() -> Settings:
    return Settings()
