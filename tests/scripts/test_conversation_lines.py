"""scripts/conversation_lines.py: the patient's lines of conversation tests, checked by the NLU."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "conversation_lines.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conversation_lines", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STORIES = """
version: "3.1"
stories:
- story: one
  steps:
  - user: "cuánto debo?"
    intent: billing_balance
  - action: verify_form
  - user: "12 de marzo de 1984"
    intent: inform
  - user: /emergency
    intent: emergency
  - user: "el verde"
    intent: nlu_fallback
  - intent: inform
    entities:
    - slot_id: '42'
- story: two
  steps:
  - user: "cuánto debo?"
    intent: billing_balance
"""


def test_extract_writes_each_labelled_line_once(tmp_path: Path) -> None:
    stories = tmp_path / "test_x_es.yml"
    stories.write_text(STORIES, encoding="utf-8")
    out = tmp_path / "lines.yml"
    assert load_script().main(["extract", str(out), str(stories)]) == 0
    nlu = yaml.safe_load(out.read_text(encoding="utf-8"))["nlu"]
    assert nlu == [
        {"intent": "billing_balance", "examples": "- cuánto debo?\n"},
        {"intent": "inform", "examples": "- 12 de marzo de 1984\n"},
    ]


def test_extract_fails_without_lines(tmp_path: Path) -> None:
    stories = tmp_path / "test_empty_es.yml"
    stories.write_text("version: '3.1'\nstories: []\n", encoding="utf-8")
    assert load_script().main(["extract", str(tmp_path / "o.yml"), str(stories)]) == 1


def write(results: Path, rows: list[tuple[str, str, float]]) -> None:
    results.mkdir(parents=True)
    def item(n: int, intent: str, predicted: str, confidence: float) -> dict[str, Any]:
        return {"text": f"line {n}", "intent": intent,
                "intent_prediction": {"name": predicted, "confidence": confidence}}

    (results / "intent_successes.json").write_text(json.dumps(
        [item(n, *row) for n, row in enumerate(rows) if row[0] == row[1]]))
    (results / "intent_errors.json").write_text(json.dumps(
        [item(n, *row) for n, row in enumerate(rows) if row[0] != row[1]]))


def check(tmp_path: Path, name: str, rows: list[tuple[str, str, float]]) -> int:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.5\n")
    write(tmp_path / name, rows)
    return int(load_script().main(["check", str(tmp_path / name), "--config", str(config)]))


def test_check_passes_when_every_line_is_understood(tmp_path: Path) -> None:
    assert check(tmp_path, "ok", [("emergency", "emergency", 0.99),
                                  ("inform", "inform", 0.7)]) == 0


def test_check_fails_on_a_wrong_or_unsure_line(tmp_path: Path) -> None:
    assert check(tmp_path, "wrong", [("emergency", "stop", 0.9),
                                     ("inform", "inform", 0.9)]) == 1
    # Right but below the fallback threshold: the live assistant would not act on it.
    assert check(tmp_path, "unsure", [("emergency", "emergency", 0.4)]) == 1


def test_check_fails_without_results(tmp_path: Path) -> None:
    assert load_script().main(["check", str(tmp_path / "none")]) == 1
