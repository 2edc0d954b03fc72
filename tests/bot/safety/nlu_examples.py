"""The NLU examples the safety net is measured on: every intent's examples in data/nlu/*.yml
and the held-out sets under tests/nlu/, read straight from the YAML (entity markup removed).

Emergency examples must all be caught; every other example must not be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
TRAINING_GLOB = "data/nlu/*.yml"
HOLDOUTS = ("tests/nlu/holdout.yml", "tests/nlu/generic_holdout.yml")
# The Spanish hold-out (written beside the Spanish NLU data): measured too once it exists.
SPANISH_HOLDOUTS = ("tests/nlu/holdout_es.yml",)
# Everyday requests from other domains (written by scripts/foreign_requests.py): none is an
# emergency, so none may be caught.
FOREIGN = ("data/nlu/out_of_scope.yml", "tests/nlu/foreign_holdout.yml")

_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    source: str  # path relative to the repository root


def _examples(block: str) -> list[str]:
    lines = [line.strip() for line in block.splitlines()]
    return [_ENTITY.sub(r"\1", line[2:].strip()) for line in lines if line.startswith("- ")]


def load(path: Path) -> list[Example]:
    """Every intent example in one NLU file (regexes, synonyms and lookups are skipped)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    source = path.relative_to(ROOT).as_posix()
    return [Example(text, item["intent"], source)
            for item in data.get("nlu") or [] if "intent" in item
            for text in _examples(item.get("examples") or "")]


def training_files() -> list[Path]:
    """data/nlu/*.yml but the generated foreign requests (see foreign_files)."""
    foreign = {ROOT / p for p in FOREIGN}
    return [p for p in sorted(ROOT.glob(TRAINING_GLOB)) if p not in foreign]


def labelled_examples() -> list[Example]:
    """The training files and the hand-written held-out sets."""
    paths = training_files() + [ROOT / p for p in HOLDOUTS + SPANISH_HOLDOUTS
                                if (ROOT / p).exists()]
    return [example for path in paths for example in load(path)]


def foreign_files() -> list[Path]:
    return [ROOT / p for p in FOREIGN if (ROOT / p).exists()]
