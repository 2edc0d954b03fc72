"""What the bot service says in its own voice, in the designers' words: responses are read
from domain.yml (the engine's source for them), so a wording change is made in one place.

A response has a variation per language, as the engine chooses them: Rasa's conditional
variations on the `language` slot (``condition: [{type: slot, name: language, value: es}]``);
the variation without a condition is the default, said when no language is known or the
language has no variation of its own."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"
LANGUAGE_SLOT = "language"


class MissingResponse(LookupError):
    """The domain lacks a response the bot service must be able to say on its own."""


def _language_of(variation: dict[str, Any]) -> str | None:
    """The language a variation is for; None for the default (no condition). A variation
    with any other condition is for no language: the bot service has no slots to test."""
    condition = variation.get("condition")
    if not condition:
        return None
    if (isinstance(condition, list) and len(condition) == 1 and isinstance(condition[0], dict)
            and condition[0].get("type") == "slot"
            and condition[0].get("name") == LANGUAGE_SLOT):
        return str(condition[0].get("value"))
    return ""


@lru_cache
def response_text(name: str, domain_file: Path = DOMAIN_FILE, language: str | None = None) -> str:
    """The text of response `name` in `language` (its variation for that language, else the
    default one): read on first use, then kept for the process."""
    try:
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise MissingResponse(
            f"{domain_file} not found: the bot service reads {name} from it") from None
    responses = domain.get("responses") if isinstance(domain, dict) else None
    texts: dict[str | None, str] = {}
    for variation in (responses or {}).get(name) or []:
        if isinstance(variation, dict) and str(variation.get("text") or "").strip():
            texts.setdefault(_language_of(variation), str(variation["text"]))
    if language is not None and language in texts:
        return texts[language]
    if None in texts:
        return texts[None]
    raise MissingResponse(
        f"{domain_file} has no text for {name} under responses (a variation without a "
        "condition): the bot service says it itself when the engine cannot be asked, so the "
        "domain must keep it")
