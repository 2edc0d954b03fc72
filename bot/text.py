"""Text as people and their phones send it: control characters removed before anything
stores or forwards it (PostgreSQL refuses NUL; nothing shows the others). And amounts as
we show them, in one format for the dialogue and the payment page."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator

# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): one in a
# message turns the rest of a line around on screen ("\u202eevil.exe" shows as "exe.live"),
# so a patient's words could show the desk something they did not say. Right-to-left text
# needs none of them; the marks U+200E/U+200F go with the other invisible characters.
_BIDI = "\u202a-\u202e\u2066-\u2069"
_BIDI_CONTROL = re.compile(f"[\u200e\u200f{_BIDI}]")
_CONTROL = re.compile(
    f"[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u2028\\u2029\\ufeff{_BIDI}]")


def clean_text(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


def without_bidi_controls(value: Any) -> Any:
    """`value` (JSON-like: text, lists, mappings) with every bidirectional control and
    directional mark taken out of its text, keys included, for a screen that shows it."""
    if isinstance(value, str):
        return _BIDI_CONTROL.sub("", value)
    if isinstance(value, dict):
        return {without_bidi_controls(k): without_bidi_controls(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [without_bidi_controls(v) for v in value]
    return value


CleanText = Annotated[str, AfterValidator(clean_text)]


def money(cents: int) -> str:
    """"$1,234.50" from integer cents, exact at any size (no float on the way)."""
    dollars, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${dollars:,}.{rest:02d}"
