"""Logging set-up shared by every process: nothing reaches a handler before PHI and
credentials are taken out of it.

The bot service and the action server call `configure`; the engine (another environment,
configured by `rasa run --logging-config-file engine-logging.yml`) gets the same record
factory through `redacting_filter`, which that file names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.privacy.redaction import RedactingFilter, add_log_secrets, redact_all_log_records

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure(level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    """Plain lines on stderr, each record redacted as it is made (PHI, the environment's
    secret values and ``secrets``, token-like URL parameters)."""
    logging.basicConfig(level=level, format=FORMAT)
    redact_all_log_records()
    add_log_secrets(secrets)
    # Python warnings (the engine's malformed-message warning quotes the patient's text)
    # become log records too, so they are redacted like the rest.
    logging.captureWarnings(True)


def redacting_filter() -> RedactingFilter:
    """For `logging.config.dictConfig` (`"()": bot.privacy.logs.redacting_filter`): installs
    the redacting record factory for the whole process, and returns a handler filter."""
    redact_all_log_records()
    logging.captureWarnings(True)
    return RedactingFilter()
