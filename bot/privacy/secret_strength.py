"""How strong a production secret must be, for every process (bot service, outreach worker,
action server, engine launcher). Standard library only: the engine's image and Python run it.

A secret passes when it is at least MIN_LENGTH characters, mixes at least two kinds of
character, its characters carry at least MIN_ENTROPY_BITS (Shannon, over the value itself),
no stretch of REPEAT characters occurs twice, and it holds no word people use as a secret.
`secrets.token_urlsafe(32)` and Twilio's own 32-hex-digit auth token pass; `aaaa...`,
`passwordpassword...` and a sentence of dictionary words do not. The reasons never quote the
value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

MIN_LENGTH = 32
# A random 32-hex-digit token scores 92 bits at worst in 200,000 draws; 32 random url-safe
# characters 119.
MIN_ENTROPY_BITS = 80.0
# Eight: a random 32-hex-digit token repeats a stretch of six about once in 50,000 draws.
REPEAT = 8
# Lower case, with the usual digit-for-letter swaps undone; five letters or more, so that a
# random token holds one by chance about once in a million.
WEAK_WORDS = ("password", "passwd", "secret", "changeme", "change", "replace", "example",
              "default", "letmein", "qwerty", "admin", "welcome", "token", "dummy", "sample",
              "placeholder", "123456", "abcdef", "serving", "stack", "cluster")
_UNSWAP = str.maketrans("013457@$", "oieastas")
GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def entropy_bits(value: str) -> float:
    """The value's length times the Shannon entropy of its own characters."""
    counts = Counter(value)
    return -sum(n * math.log2(n / len(value)) for n in counts.values())


def weakness(value: str) -> str | None:
    """Why `value` is too weak for production (never quoting it), or None."""
    if len(value) < MIN_LENGTH:
        return f"is shorter than {MIN_LENGTH} characters"
    kinds = sum(any(test(c) for c in value) for test in (
        str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()))
    if kinds < 2:
        return "uses one kind of character only"
    if entropy_bits(value) < MIN_ENTROPY_BITS:
        return "repeats too few different characters"
    seen: set[str] = set()
    for start in range(len(value) - REPEAT + 1):
        chunk = value[start:start + REPEAT]
        if chunk in seen:
            return "repeats part of itself"
        seen.add(chunk)
    lower = value.lower()
    if any(word in text for text in (lower, lower.translate(_UNSWAP)) for word in WEAK_WORDS):
        return "holds a common word or sequence"
    return None


def secret_problems(secrets: Mapping[str, str], optional: frozenset[str] = frozenset()
                    ) -> list[str]:
    """One line per secret (by its variable's NAME) that is missing or weak; an `optional`
    name may be empty, but not weak."""
    problems = []
    for name, value in secrets.items():
        if not value:
            if name not in optional:
                problems.append(f"{name} is not set: give it a long random value ({GENERATE}).")
            continue
        why = weakness(value)
        if why:
            problems.append(f"{name} is a weak secret: it {why}. Set a random one of at least "
                            f"{MIN_LENGTH} characters ({GENERATE}).")
    return problems
