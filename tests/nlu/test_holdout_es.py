"""The Spanish hold-out set (tests/nlu/holdout_es.yml) stays a hold-out.

It must cover every intent the English hold-out covers, and none of its messages may be in
the training data, also not as a near-copy (same words, ignoring case, accents and
punctuation): a copied line would make the macro-F1 gate of `make test-nlu` measure memory.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT_ES = ROOT / "tests" / "nlu" / "holdout_es.yml"
HOLDOUT_EN = ROOT / "tests" / "nlu" / "holdout.yml"
TRAINING = sorted((ROOT / "data" / "nlu").glob("*.yml"))


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every example in a Rasa NLU file."""
    rows = []
    for block in (yaml.safe_load(path.read_text()) or {}).get("nlu", []):
        if "intent" not in block:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if line.startswith("- "):
                rows.append((block["intent"], line[2:].strip()))
    return rows


def words(text: str) -> tuple[str, ...]:
    """Lower-cased words without accents or punctuation ("¿Cuánto?" -> ("cuanto",))."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return tuple(re.findall(r"\w+", plain))


def test_covers_every_intent_of_the_english_holdout() -> None:
    spanish = {intent for intent, _ in examples(HOLDOUT_ES)}
    english = {intent for intent, _ in examples(HOLDOUT_EN)}
    assert english <= spanish, f"missing in holdout_es.yml: {sorted(english - spanish)}"


def test_emergencies_are_the_largest_share() -> None:
    # The gate is emergency recall 1.0: it is only worth as much as the crisis phrasings.
    counts: dict[str, int] = {}
    for intent, _ in examples(HOLDOUT_ES):
        counts[intent] = counts.get(intent, 0) + 1
    assert counts["emergency"] >= 20
    assert counts["emergency"] == max(counts.values())


def test_no_message_is_in_the_training_data() -> None:
    trained = {words(text): (intent, path.name)
               for path in TRAINING for intent, text in examples(path)}
    trained_sets = {frozenset(w): source for w, source in trained.items()}
    copies = [(text, trained.get(words(text)) or trained_sets[frozenset(words(text))])
              for _, text in examples(HOLDOUT_ES)
              if words(text) in trained or frozenset(words(text)) in trained_sets]
    assert copies == []


def test_no_message_is_there_twice() -> None:
    seen = [words(text) for _, text in examples(HOLDOUT_ES)]
    assert len(seen) == len(set(seen))
