"""Reading what patients type: dates of birth, names, ZIP codes."""

from __future__ import annotations

import re
from datetime import date, datetime

from dateutil import parser as dateparser

_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})(?!\d)")
_FILLER = re.compile(r"\b(my|dob|d\.o\.b|date of birth|birthday|born|on|is|it'?s|its|was|i was)\b",
                     re.IGNORECASE)


def parse_date_of_birth(text: str, today: date) -> date | None:
    """03/12/1984, 3-12-84, March 12 1984, 1984-03-12, 12th of March 1984 (month first).

    A date without a year, in the future, or more than 120 years ago is not accepted.
    """
    cleaned = _FILLER.sub(" ", text).strip(" .,:;!?")
    if not cleaned or not _YEAR.search(cleaned):
        return None
    try:
        first = dateparser.parse(cleaned, default=datetime(2000, 1, 1), fuzzy=True)
        second = dateparser.parse(cleaned, default=datetime(2004, 2, 2), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if first != second:  # a part was missing and filled in from the defaults
        return None
    born = first.date()
    if born > today and re.search(r"(?<!\d)\d{2}$", cleaned.split()[-1] if cleaned.split() else ""):
        born = born.replace(year=born.year - 100)  # "3-12-26" in 2026 means 1926
    if born > today or born.year < today.year - 120:
        return None
    return born


def parse_full_name(text: str) -> str | None:
    cleaned = re.sub(r"^(my name is|my name's|name is|i am|i'm|im|it'?s|this is)\s+", "",
                     text.strip(), flags=re.IGNORECASE)
    cleaned = " ".join(re.sub(r"[^\w\s'.-]", " ", cleaned).split())
    words = [w for w in cleaned.split() if any(ch.isalpha() for ch in w)]
    if len(words) < 2 or len(cleaned) > 100 or any(ch.isdigit() for ch in cleaned):
        return None
    return " ".join(words)


def parse_zip_code(text: str) -> str | None:
    match = re.search(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)", text)
    return match.group(1) if match else None
