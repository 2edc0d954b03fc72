"""Keeping protected health information out of logs, transcripts and analytics."""

from bot.privacy.redaction import (
    CARD_NUMBER,
    Finding,
    RedactingFilter,
    find_phi,
    install_log_redaction,
    redact,
)

__all__ = [
    "CARD_NUMBER", "Finding", "RedactingFilter", "find_phi", "install_log_redaction", "redact",
]
