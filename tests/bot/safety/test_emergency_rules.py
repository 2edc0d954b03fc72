"""The emergency rules file: every piece and set it names resolves, and every pattern compiles
(the phrases in phrases.py check what the rules catch)."""

import re
from pathlib import Path

import pytest

from bot.safety.emergency import RULES_FILE, compile_pattern, rule_book, rule_books, rule_files


def test_the_rules_file_resolves_and_compiles() -> None:
    book = rule_book()
    assert len(book.rules) > 50
    kinds = [rule.kind for rule in book.rules]
    assert set(kinds) == {"mental_health", "medical"}
    assert kinds.index("medical") > kinds.index("mental_health")  # mental health first
    for rule in book.rules:
        for pattern in rule.patterns:
            assert not re.search(r"\{[A-Z_]+\}", pattern), pattern
            assert compile_pattern(pattern)
        for words in (rule.not_followed_by, rule.not_preceded_by, rule.clause_end_or or (),
                      rule.needs_before or ()):
            assert not any(word.startswith("$") for word in words), rule.reason
    assert "car" in book.sets["THINGS"] and "911" in book.sets["ALARM_FILLERS"]


def test_a_misspelled_piece_name_fails_loudly(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yml"
    broken.write_text(RULES_FILE.read_text(encoding="utf-8").replace("{SELF}", "{SELFF}", 1),
                      encoding="utf-8")
    with pytest.raises(KeyError, match="SELFF"):
        rule_book(broken)


def test_every_language_is_a_rules_file_that_compiles() -> None:
    """A language is data: each emergency_rules*.yml names its language, carries its profile
    and compiles; the context checks' sets the matcher reads are there."""
    books = rule_books()
    assert list(books)[:2] == ["en", "es"]
    assert [p.name for p in rule_files()][:2] == ["emergency_rules.yml", "emergency_rules.es.yml"]
    for language, book in books.items():
        assert book.language.code == language
        assert {"THINGS", "ALARM_FILLERS"} <= set(book.sets)
        kinds = [rule.kind for rule in book.rules]
        assert kinds.index("medical") > max(i for i, k in enumerate(kinds) if k == "mental_health")
        for rule in book.rules:
            for pattern in rule.patterns:
                assert not re.search(r"\{[A-Z_]+\}", pattern), pattern
                assert compile_pattern(pattern, language)
    # the same reason codes in every language: logs and the answer do not depend on it
    reasons = {language: {rule.reason for rule in book.rules} for language, book in books.items()}
    assert reasons["es"] <= reasons["en"]
