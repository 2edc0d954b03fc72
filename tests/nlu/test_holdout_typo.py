"""The misspelled hold-out set (tests/nlu/holdout_typo.yml) stays a hold-out.

It covers every intent of the English hold-out, and none of its messages is in the training
data or in another hold-out, also not as a near-copy (same words, ignoring case, accents and
punctuation): `make test-nlu` gates on it to measure how the model reads misspellings it has
never seen, not what it remembers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.nlu.test_holdout_es import HOLDOUT_EN, HOLDOUT_ES, TRAINING, examples, words

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT_TYPO = ROOT / "tests" / "nlu" / "holdout_typo.yml"
OTHER_HOLDOUTS = [HOLDOUT_EN, HOLDOUT_ES, ROOT / "tests" / "nlu" / "generic_holdout.yml",
                  ROOT / "tests" / "nlu" / "foreign_holdout.yml"]


def test_covers_every_intent_of_the_english_holdout() -> None:
    typo = {intent for intent, _ in examples(HOLDOUT_TYPO)}
    english = {intent for intent, _ in examples(HOLDOUT_EN)}
    assert english <= typo, f"missing in holdout_typo.yml: {sorted(english - typo)}"


def test_every_intent_has_enough_lines_and_emergencies_the_most() -> None:
    # Emergency recall must be 1.0 here too: that gate is worth as much as its lines.
    counts = Counter(intent for intent, _ in examples(HOLDOUT_TYPO))
    assert min(counts.values()) >= 8, counts
    assert counts["emergency"] >= 15
    assert counts["emergency"] == max(counts.values())


def test_no_message_is_in_the_training_data_or_another_holdout() -> None:
    known = {words(text): (intent, path.name)
             for path in [*TRAINING, *OTHER_HOLDOUTS] for intent, text in examples(path)}
    known_sets = {frozenset(w): source for w, source in known.items()}
    copies = [(text, known.get(words(text)) or known_sets[frozenset(words(text))])
              for _, text in examples(HOLDOUT_TYPO)
              if words(text) in known or frozenset(words(text)) in known_sets]
    assert copies == []


def test_no_message_is_there_twice() -> None:
    seen = [words(text) for _, text in examples(HOLDOUT_TYPO)]
    assert len(seen) == len(set(seen))
