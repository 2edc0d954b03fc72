"""The language of a conversation: what the patient writes in, what they ask for, and what
the record says once they are verified.

A conversation starts in English. Until a language is on file for it (the record's, found at
verification, or the patient's own choice) the bot follows what the patient writes, but only
on a few words: "no", "ok" or a name ("Maria Lopez") never change it. The patient can switch
at any time by sending just the language's name ("español", "English"). The words and the
languages are data (SWITCH_WORDS, DETECTED): a third language is a line in each.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.backoffice.enums import DEFAULT_LANGUAGE, LANGUAGES, LanguageSource
from bot.responses import DOMAIN_FILE

# A whole message that asks for a language (compared without case, accents or punctuation).
SWITCH_WORDS: dict[str, str] = {
    "espanol": "es", "spanish": "es", "en espanol": "es", "castellano": "es",
    "english": "en", "ingles": "en", "in english": "en", "en ingles": "en",
}
# lingua's names of the languages the assistant speaks.
DETECTED: dict[str, str] = {"ENGLISH": "en", "SPANISH": "es"}
# A decision needs three words or more and this much confidence; two words need more, and
# not two capitalised ones (a name: "Maria Lopez", "Rosa Martínez"); one word never decides.
MIN_WORDS = 3
MIN_CONFIDENCE = 0.8
TWO_WORD_CONFIDENCE = 0.9
WORD = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z ]", " ", folded).split())


def switch_to(text: str) -> str | None:
    """The language a message asks for when the whole message is its name, else None."""
    return SWITCH_WORDS.get(fold(text))


@cache
def detector() -> LanguageDetector:
    """Built once per process, on first use, for our languages only. Its models load as they
    are first needed (about 1.7 s once, in a worker thread), not at start-up."""
    return LanguageDetectorBuilder.from_languages(
        *(getattr(Language, name) for name in DETECTED)).build()


def warm_up() -> None:
    """Builds the detector and loads its models (about 1.7 s, once), so the first patient
    message does not wait for them: run in a worker thread when the service starts."""
    detector().compute_language_confidence_values("warm up the models, por favor")


def detect(text: str) -> str | None:
    """The language of the message when a few words say it clearly, else None."""
    words = WORD.findall(text)
    if len(words) < 2:
        return None
    if len(words) == 2 and words[1][:1].isupper():
        return None
    values = detector().compute_language_confidence_values(text)
    if not values:
        return None
    best = values[0]
    needed = MIN_CONFIDENCE if len(words) >= MIN_WORDS else TWO_WORD_CONFIDENCE
    if best.value < needed:
        return None
    return DETECTED.get(best.language.name)


@dataclass(frozen=True)
class ConversationLanguage:
    """A conversation's language, where it came from (None: the default, nothing said yet)
    and when the engine last saw a patient message of it (epoch seconds; None: unknown)."""

    language: str = DEFAULT_LANGUAGE
    source: LanguageSource | None = None
    seen: float | None = None

    @property
    def settled(self) -> bool:
        """On file (the record's, at verification) or chosen by the patient: what they write
        no longer changes it."""
        return self.source in (LanguageSource.record, LanguageSource.patient)


def decide(current: ConversationLanguage, detected: str | None) -> ConversationLanguage:
    """The language for the next message: a settled one stays; else what was detected."""
    if current.settled or detected is None or detected == current.language:
        return current
    return ConversationLanguage(detected, LanguageSource.detected, current.seen)


def dumps(state: ConversationLanguage) -> str:
    return json.dumps({"language": state.language,
                       "source": state.source.value if state.source else None,
                       "seen": state.seen})


def loads(stored: str | bytes | None) -> ConversationLanguage:
    """What dumps wrote; the default for nothing (or anything unreadable)."""
    try:
        values = json.loads(stored) if stored else {}
    except ValueError:
        values = {}
    if not isinstance(values, dict):
        values = {}
    language, source, seen = values.get("language"), values.get("source"), values.get("seen")
    return ConversationLanguage(
        language if language in LANGUAGES else DEFAULT_LANGUAGE,
        LanguageSource(str(source)) if source in LanguageSource.__members__ else None,
        float(seen) if isinstance(seen, (int, float)) else None)


@cache
def session_expiry_seconds(domain_file: Path = DOMAIN_FILE) -> float:
    """After this long without a patient message the engine starts a new session, with no
    slots kept (domain.yml's session_config): the language must then be set again."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    config = domain.get("session_config") or {} if isinstance(domain, dict) else {}
    return float(config.get("session_expiration_time", 60)) * 60
