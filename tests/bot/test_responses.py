from pathlib import Path

import pytest

from bot.conversations.deps import emergency_text
from bot.responses import MissingResponse, response_text


def test_the_emergency_words_are_the_domains() -> None:
    text = emergency_text()
    assert text == response_text("utter_emergency")
    assert "911" in text and "988" in text


def test_a_response_missing_from_the_domain_is_a_clear_error(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text('version: "3.1"\nresponses:\n  utter_greet:\n    - text: "Hi!"\n')
    assert response_text("utter_greet", domain) == "Hi!"
    with pytest.raises(MissingResponse, match=r"no text for utter_emergency under responses"):
        response_text("utter_emergency", domain)


def test_a_missing_domain_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingResponse, match=r"domain\.yml not found"):
        response_text("utter_emergency", tmp_path / "domain.yml")


def test_the_emergency_words_in_spanish_name_911_and_988_in_spanish() -> None:
    text = emergency_text("es")
    assert text == response_text("utter_emergency", language="es") != emergency_text()
    assert "911" in text and "988 y oprima 2 para español" in text and "AYUDA" in text
    # a language without a variation of its own gets the default one
    assert emergency_text("fr") == emergency_text() == emergency_text(None)


CONDITIONAL = """version: "3.1"
responses:
  utter_hello:
    - condition:
        - type: slot
          name: language
          value: es
      text: "¡Hola!"
    - condition:
        - type: slot
          name: verified
          value: true
      text: "Hi again, verified!"
    - text: "Hi!"
    - text: "Hello!"
  utter_only_spanish:
    - condition:
        - type: slot
          name: language
          value: es
      text: "Solo en español"
"""


def test_a_variation_is_chosen_by_the_language_slot_with_the_default_as_fallback(
        tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(CONDITIONAL, encoding="utf-8")
    assert response_text("utter_hello", domain, "es") == "¡Hola!"
    # the first variation without a condition, never one on another slot
    assert response_text("utter_hello", domain) == "Hi!"
    assert response_text("utter_hello", domain, "en") == "Hi!"
    assert response_text("utter_only_spanish", domain, "es") == "Solo en español"
    with pytest.raises(MissingResponse, match="a variation without a condition"):
        response_text("utter_only_spanish", domain, "en")
