"""What the bot service says in its own voice, in the designers' words: responses are read
from domain.yml (the engine's source for them), so a wording change is made in one place.
A response has a variation per language, chosen as the engine chooses it: the one whose
condition is the `language` slot's value, else the one with no condition."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"


class MissingResponse(LookupError):
    """The domain lacks a response the bot service must be able to say on its own."""


def _language_of(variation: dict[str, Any]) -> str | None:
    """The `language` a variation's condition asks for; None when it has no condition."""
    for condition in variation.get("condition") or []:
        if isinstance(condition, dict) and condition.get("name") == "language":
            return str(condition.get("value"))
    return None


@lru_cache
def response_text(name: str, domain_file: Path = DOMAIN_FILE, language: str = "en") -> str:
    """The text of response `name` in `language` (the variation without a condition when the
    language has none): read on first use, then kept for the process."""
    try:
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise MissingResponse(
            f"{domain_file} not found: the bot service reads {name} from it") from None
    responses = domain.get("responses") if isinstance(domain, dict) else None
    texts = {_language_of(v): str(v["text"]) for v in reversed((responses or {}).get(name) or [])
             if isinstance(v, dict) and str(v.get("text") or "").strip()}
    text = texts.get(language) or texts.get(None)
    if text is not None:
        return text
    raise MissingResponse(
        f"{domain_file} has no text for {name} under responses: the bot service says it "
        "itself when the engine cannot be asked, so the domain must keep it")
