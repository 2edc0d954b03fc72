"""The carrier keywords of SMS consent: STOP words opt a number out, START words back in,
HELP words get who we are (bot.backoffice.consent records what they change)."""

from __future__ import annotations

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def keyword(body: str) -> str:
    """The message as a carrier keyword: one word, any case, surrounding spaces ignored."""
    return body.strip().upper()
