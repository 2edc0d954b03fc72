"""Settings of the bot service: one object, read from the environment and `.env`."""

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.privacy.secret_strength import secret_problems

# What `make run` chose when it started (the embedded Redis, the Twilio stand-in, the FHIR
# server), read after .env: commands run beside it (outreach, demo traffic, agent accounts,
# the FHIR loader) then use the same services with no settings of their own.
RUN_ENV_FILE = "var/run.env"


def env_files() -> tuple[str, ...] | None:
    """APP_ENV_FILE names the one file to read ("": the environment only, as in tests)."""
    chosen = os.environ.get("APP_ENV_FILE")
    if chosen is not None:
        return (chosen,) if chosen else None
    return (".env", RUN_ENV_FILE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=env_files(), extra="ignore")

    # Unset means production: dev-only routes and demo data need APP_ENV=dev said out loud
    # (`make run` writes it into .env; tests set "test").
    app_env: Literal["dev", "test", "prod"] = "prod"
    public_base_url: str = "http://localhost:8000"
    database_url: str = "sqlite:///var/app.db"
    # PostgreSQL only: how long opening a connection may take, and how long one statement may
    # run before the server cancels it, so a hung or overloaded database fails a request
    # within seconds instead of holding a worker thread forever (0 turns either off).
    db_connect_timeout_seconds: int = 5
    db_statement_timeout_ms: int = 15000
    redis_url: str = "redis://127.0.0.1:6379/0"

    engine_url: str = "http://127.0.0.1:5005"
    engine_token: str = ""
    engine_timeout_seconds: float = 30.0
    # --- Scale-out: several engines behind Rasa's Redis lock store and a shared
    # tracker store. ENGINE_URLS, comma separated, is the list a turn may go to (ENGINE_URL
    # alone when empty); one that cannot be reached is skipped. Web chat waits
    # ENGINE_WEB_TIMEOUT_SECONDS for the engine before the apology, so a hung engine or action
    # server is said within seconds; SMS waits ENGINE_TIMEOUT_SECONDS (a text can wait).
    engine_urls: str = ""
    engine_web_timeout_seconds: float = 6.0
    actions_url: str = "http://127.0.0.1:5055"

    # Token the action server presents to the back-office API.
    backoffice_token: str = ""

    # Where each back-office domain is answered (bot.backoffice.port): our own tables
    # ("reference") or the health system's EHR over FHIR R4 ("fhir").
    backoffice_identity: Literal["reference", "fhir"] = "reference"
    backoffice_scheduling: Literal["reference", "fhir"] = "reference"
    backoffice_pharmacy: Literal["reference", "fhir"] = "reference"
    backoffice_billing: Literal["reference", "fhir"] = "reference"
    backoffice_insurance: Literal["reference", "fhir"] = "reference"
    backoffice_consent: Literal["reference", "fhir"] = "reference"
    # The FHIR server (bot.backoffice.fhir): SMART Backend Services with a client id and a
    # private key (a PEM file, or the PEM itself in FHIR_PRIVATE_KEY), the token endpoint
    # from its .well-known/smart-configuration; no FHIR_CLIENT_ID: no auth (a test server).
    fhir_base_url: str = ""
    fhir_client_id: str = ""
    fhir_private_key_file: str = ""
    fhir_private_key: str = Field(default="", repr=False)
    fhir_key_id: str = ""
    fhir_scopes: str = (
        "system/Patient.rs system/Practitioner.rs system/Location.rs system/Schedule.rs "
        "system/Slot.rsu system/Appointment.crus system/MedicationRequest.rs "
        "system/MedicationDispense.rs system/Task.crs system/Coverage.rs system/Consent.rs "
        "system/Organization.rs system/Account.rs")
    fhir_profile: Literal["generic", "epic", "oracle"] = "generic"
    fhir_timeout_seconds: float = 5.0
    # The identifier system of the medical record number: it ties an EHR patient to ours.
    fhir_mrn_system: str = "urn:oid:2.16.840.1.113883.3.7777.1"
    # Where refill requests go when the prescriber has no pool of their own: a reference
    # such as "Organization/pharmacy-pool" (empty: the prescriber).
    fhir_refill_owner: str = ""

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
    # --- Production: verification counted per source and per patient as well.
    # Failed checks from one web client address before it is paused (a shared network holds
    # several people), and against one patient from anywhere before web checks for that
    # patient stop quietly (their own number on file is never stopped).
    verification_ip_max_attempts: int = 5
    verification_patient_max_attempts: int = 10
    # Faults: how long one Redis command may wait before it counts as down (no
    # request waits on a paused Redis for long), how often inbound texts kept in the
    # database while Redis or the engine was away are tried again, and how long the SMS
    # webhook (and a web chat message) waits on the database before answering 503 (Twilio's
    # fallback URL then acts; the chat page tries again).
    redis_timeout_seconds: float = 1.0
    inbound_retry_seconds: float = 2.0
    inbound_db_timeout_seconds: float = 3.0
    web_session_idle_seconds: int = 15 * 60
    sms_dedupe_seconds: int = 24 * 3600

    # Outreach (bot.outreach): what goes out, when, and how often. Offsets in hours
    # before the appointment; quiet hours in the patient's own time zone.
    outreach_enabled: bool = True
    outreach_reminder_offsets_hours: str = "72,24"
    outreach_kinds: str = "appointment_reminder,no_show_followup,refill_prompt,balance_reminder"
    outreach_quiet_start_hour: int = 21
    outreach_quiet_end_hour: int = 8
    outreach_max_per_day: int = 1
    outreach_max_per_week: int = 3
    outreach_holdout_percent: float = 10.0
    outreach_holdout_salt: str = "outreach-holdout-v1"
    outreach_interval_seconds: int = 60
    outreach_lease_seconds: int = 120
    outreach_batch_size: int = 200
    # How long "1", "2", "3" answer an outreach message.
    outreach_reply_hours: int = 72

    # Insights (G, outcomes): record episodes and events on every turn (off only to measure
    # its cost: bench/insights.py), and the bearer token /metrics takes from beyond loopback.
    insights_recording: bool = True
    metrics_token: str = Field(default="", repr=False)

    desk_demo_email: str = "agent@example.org"
    desk_demo_password: str = Field(default="", repr=False)

    # Desk teams (routing, transfers, waits). Opening hours per team in the
    # clinic's time zone, as JSON: {"billing": "mon-fri 08:00-17:00", "pharmacy":
    # "mon-fri 08:00-20:00; sat 09:00-13:00"}; a team not listed is open around the clock.
    desk_team_hours: dict[str, str] = {}
    # A waiting patient past this becomes a callback task in the team's queue, and is told so.
    desk_wait_limit_minutes: int = 15
    # An urgent handoff waiting longer than this is flagged to supervisors.
    desk_urgent_alert_minutes: float = 2.0
    # A waiting patient's messages are acknowledged at most once this often.
    desk_ack_every_minutes: int = 5

    # --- Production: who may set proxy headers, and the checks before serving.
    # Comma-separated addresses (or "*") of the load balancers whose X-Forwarded-For and
    # X-Forwarded-Proto we believe; per-IP limits then see the real client behind them.
    forwarded_allow_ips: str = "127.0.0.1"

    # The embeddable chat (/widget.js): the sites whose pages may show it, comma-separated
    # exact origins (scheme://host[:port]); empty: none, /chat works on its own only.
    widget_allowed_origins: str = ""

    @property
    def engine_url_list(self) -> list[str]:
        urls = [u.strip() for u in self.engine_urls.split(",") if u.strip()]
        return urls or [self.engine_url]

    @property
    def is_dev(self) -> bool:
        return self.app_env in ("dev", "test")

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)


# Secrets a production bot service (and outreach worker) must be given, and those it may
# leave empty (REVIEW_SALT falls back to ENGINE_TOKEN; without METRICS_TOKEN /metrics answers
# loopback only); each one set must pass bot.privacy.secret_strength.
PRODUCTION_SECRETS = ("twilio_auth_token", "engine_token", "backoffice_token")
OPTIONAL_SECRETS = ("review_salt", "metrics_token")


def production_problems(settings: Settings) -> list[str]:
    """What keeps `settings` from serving real patients (empty unless APP_ENV=prod): each
    problem says which key and what to do."""
    if settings.app_env != "prod":
        return []
    names = (*PRODUCTION_SECRETS, *OPTIONAL_SECRETS)
    problems = secret_problems({name.upper(): getattr(settings, name) for name in names},
                               optional=frozenset(name.upper() for name in OPTIONAL_SECRETS))
    if not settings.twilio_account_sid:
        problems.append("TWILIO_ACCOUNT_SID is not set: production sends SMS through Twilio.")
    if not settings.public_base_url.startswith("https://"):
        problems.append(f"PUBLIC_BASE_URL must be an https:// address (Twilio signs it, "
                        f"browsers get tokens from it); it is {settings.public_base_url!r}.")
    for name in ("database_url", "redis_url"):
        if name not in settings.model_fields_set:
            problems.append(f"{name.upper()} is not set: production never falls back to the "
                            "development default; point it at the production server.")
    return problems


class UnsafeSettings(SystemExit):
    """Raised at the start of a process with APP_ENV=prod and settings that must not serve
    patients; a SystemExit, so the process stops with this message and no traceback."""


def refuse_unsafe_start(settings: Settings) -> None:
    problems = production_problems(settings)
    if problems:
        raise UnsafeSettings(
            "Refusing to start with APP_ENV=prod:\n  - " + "\n  - ".join(problems)
            + "\nEvery key is described in .env.example and README (Running in production).")


@lru_cache
def get_settings() -> Settings:
    return Settings()
