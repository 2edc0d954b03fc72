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


def test_a_response_in_the_conversations_language() -> None:
    spanish = response_text("utter_emergency", language="es")
    assert "911" in spanish and "marque 988 y oprima 2 para español" in spanish
    assert response_text("utter_emergency", language="en") == response_text("utter_emergency")
    # A language with no variation of its own gets the one without a condition.
    assert response_text("utter_emergency", language="fr") == response_text("utter_emergency")


def test_the_variation_is_chosen_by_its_condition_not_its_place(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text(
        'version: "3.1"\nresponses:\n  utter_greet:\n'
        '    - condition:\n        - type: slot\n          name: language\n          value: es\n'
        '      text: "¡Hola!"\n'
        '    - text: "Hi!"\n')
    assert response_text("utter_greet", domain) == "Hi!"
    assert response_text("utter_greet", domain, "es") == "¡Hola!"
