"""Every response speaks every language of the `language` slot: a designer who adds a
response (or a language) is told here which variations are missing, before a patient gets
English in the middle of a Spanish conversation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.i18n import LANGUAGES

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[1] / "domain.yml").read_text(
    encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def language_of(variation: dict[str, Any]) -> str | None:
    for condition in variation.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def test_the_language_slot_is_set_only_by_code() -> None:
    slot = DOMAIN["slots"]["language"]
    assert slot["type"] == "categorical"
    assert slot["values"] == list(LANGUAGES) and slot["initial_value"] == "en"
    assert slot["influence_conversation"] is False
    assert slot["mappings"] == [{"type": "custom"}]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_a_variation_per_language(name: str) -> None:
    variations = RESPONSES[name]
    default = [v for v in variations if not v.get("condition")]
    assert len(default) == 1, f"{name}: one variation without a condition (English, the default)"
    by_language = {language_of(v): v for v in variations if v.get("condition")}
    missing = [lang for lang in LANGUAGES if lang != "en" and lang not in by_language]
    assert not missing, f"{name} has no variation for {missing}: add one with condition " \
        "[{type: slot, name: language, value: ...}]"
    english = default[0]
    for language, variation in by_language.items():
        assert sorted(PLACEHOLDER.findall(variation["text"])) == sorted(
            PLACEHOLDER.findall(english["text"])), f"{name} ({language}): other placeholders"
        assert [b["payload"] for b in variation.get("buttons") or []] == [
            b["payload"] for b in english.get("buttons") or []], \
            f"{name} ({language}): the buttons must do what the English ones do"


def test_the_emergency_is_answered_in_spanish_with_911_and_988_in_spanish() -> None:
    spanish = next(v["text"] for v in RESPONSES["utter_emergency"] if language_of(v) == "es")
    assert "911" in spanish and "988 y oprima 2 para español" in spanish
