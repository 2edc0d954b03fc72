"""What the bot service says in its own voice, in the designers' words: responses are read
from domain.yml (the engine's source for them), so a wording change is made in one place."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DOMAIN_FILE = Path(__file__).resolve().parents[1] / "domain.yml"


class MissingResponse(LookupError):
    """The domain lacks a response the bot service must be able to say on its own."""


@lru_cache
def response_text(name: str, domain_file: Path = DOMAIN_FILE) -> str:
    """The first text of response `name`: read on first use, then kept for the process."""
    try:
        domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise MissingResponse(
            f"{domain_file} not found: the bot service reads {name} from it") from None
    responses = domain.get("responses") if isinstance(domain, dict) else None
    for variation in (responses or {}).get(name) or []:
        if isinstance(variation, dict) and str(variation.get("text") or "").strip():
            return str(variation["text"])
    raise MissingResponse(
        f"{domain_file} has no text for {name} under responses: the bot service says it "
        "itself when the engine cannot be asked, so the domain must keep it")
