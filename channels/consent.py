"""The carrier keywords of SMS consent: STOP words opt a number out, START words back in,
HELP words get who we are (bot.backoffice.consent records what they change).

Carriers and Twilio act on the English words themselves; the Spanish ones (PARAR, ALTO,
CANCELAR; AYUDA) are ours to honour, as a reasonable way to say the same thing, and Twilio's
Advanced Opt-Out can be given them too. A keyword in a language is answered in it.
"""

from __future__ import annotations

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
                        "OPTOUT", "PARAR", "ALTO", "CANCELAR"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
HELP_WORDS = frozenset({"HELP", "INFO", "AYUDA"})
# The language a keyword is in, when it is not English (which any patient may use).
KEYWORD_LANGUAGE = {"PARAR": "es", "ALTO": "es", "CANCELAR": "es", "AYUDA": "es"}


def keyword(body: str) -> str:
    """The message as a carrier keyword: one word, any case, surrounding spaces ignored."""
    return body.strip().upper()
