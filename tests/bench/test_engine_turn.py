"""bench/engine_turn.py's English-only training data: the Spanish sections of an NLU file (from
a "# es:" comment to the next top-level comment) are left out, everything else is kept."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.engine_turn import without_spanish, write_english_only

NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello

# es: Spanish, as patients write it.
- intent: greet
  examples: |
    - hola
    - buenas tardes

# Shapes of what patients type.
- regex: zip_code
  examples: |
    - \\b\\d{5}\\b
"""


def test_the_spanish_sections_are_left_out() -> None:
    kept = yaml.safe_load(without_spanish(NLU))["nlu"]
    assert kept == [{"intent": "greet", "examples": "- hi\n- hello\n"},
                    {"regex": "zip_code", "examples": "- \\b\\d{5}\\b\n"}]


def test_the_projects_training_data_without_its_spanish_sections(tmp_path: Path) -> None:
    write_english_only(tmp_path)
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "data" / "nlu").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        english = (tmp_path / "data" / "nlu" / path.name).read_text(encoding="utf-8")
        assert english == without_spanish(text)
        if "\n# es:" not in text:
            assert english == text
        else:
            assert "\n# es:" not in english and len(english) < len(text)
            assert yaml.safe_load(english)["nlu"]  # still a valid NLU file
    assert (tmp_path / "domain.yml").read_text() == (root / "domain.yml").read_text()
