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
