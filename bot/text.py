"""Text as people and their phones send it: control characters removed before anything
stores or forwards it (PostgreSQL refuses NUL; nothing shows the others)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")


def clean_text(text: str) -> str:
    return _CONTROL.sub("", unicodedata.normalize("NFC", text)).strip()


CleanText = Annotated[str, AfterValidator(clean_text)]
