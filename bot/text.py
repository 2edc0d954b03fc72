"""Text as people and their phones send it: control characters removed before anything
stores or forwards it (PostgreSQL refuses NUL; nothing shows the others). And amounts as
we show them, in one format for the dialogue and the payment page."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def clean_text(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


CleanText = Annotated[str, AfterValidator(clean_text)]


def money(cents: int) -> str:
    """"$1,234.50" from integer cents, exact at any size (no float on the way)."""
    dollars, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}${dollars:,}.{rest:02d}"
