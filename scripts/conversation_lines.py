"""The patient's lines of conversation tests, understood as their stories label them.

`rasa test core` takes each story's intent label as given and never runs the NLU on the
line beside it, so a Spanish story would pass even if the model could not read a word of
it. This closes that gap for the stories named on the command line:

    python scripts/conversation_lines.py extract OUT.yml STORY_FILE...
        every `user:` line with its `intent:` (not the `/intent` payloads the bot service
        sends, not lines labelled nlu_fallback) as a Rasa NLU file
    .venv-engine/bin/python scripts/nlu_predict.py --model MODEL OUT.yml:RESULTS_DIR
    python scripts/conversation_lines.py check RESULTS_DIR [--config config.yml]
        exit 1 unless every line was predicted as labelled, at or above the
        FallbackClassifier threshold (what the live assistant would act on)

Standard library and PyYAML only (the bot service's environment).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_nlu_report import fallback_threshold  # noqa: E402

FALLBACK = "nlu_fallback"


def story_lines(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every patient line in a conversation test file."""
    lines = []
    for story in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("stories", []):
        for step in story.get("steps", []):
            text, intent = step.get("user"), step.get("intent")
            if text is None or intent in (None, FALLBACK) or str(text).startswith("/"):
                continue
            lines.append((str(intent), str(text)))
    return lines


def extract(out: Path, stories: list[Path]) -> int:
    by_intent: dict[str, list[str]] = {}
    for path in stories:
        for intent, text in story_lines(path):
            if text not in by_intent.setdefault(intent, []):
                by_intent[intent].append(text)
    if not by_intent:
        print(f"conversation lines: none in {[str(p) for p in stories]}", file=sys.stderr)
        return 1
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"- intent: {intent}", "  examples: |", *(f"    - {t}" for t in texts)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def check(results: Path, config: Path) -> int:
    threshold = fallback_threshold(config) or 0.0
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results / name
        if not path.is_file():
            print(f"conversation lines: no {name} in {results}", file=sys.stderr)
            return 1
        rows += json.loads(path.read_text(encoding="utf-8"))
    wrong = []
    for row in rows:
        predicted = row.get("intent_prediction") or {}
        confidence = float(predicted.get("confidence") or 0.0)
        name = str(predicted.get("name")) if confidence >= threshold else FALLBACK
        if name != row.get("intent"):
            wrong.append((row.get("text"), row.get("intent"), name, confidence))
    print(f"conversation lines: {len(rows) - len(wrong)} of {len(rows)} understood as labelled "
          f"(confidence >= {threshold})")
    for text, intent, name, confidence in wrong:
        print(f"  {text!r}: labelled {intent}, the model says {name} ({confidence:.2f})",
              file=sys.stderr)
    return 1 if wrong or not rows else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ext = sub.add_parser("extract")
    ext.add_argument("out", type=Path)
    ext.add_argument("stories", type=Path, nargs="+")
    chk = sub.add_parser("check")
    chk.add_argument("results", type=Path)
    chk.add_argument("--config", type=Path,
                     default=Path(__file__).resolve().parent.parent / "config.yml")
    args = parser.parse_args(argv)
    if args.command == "extract":
        return extract(args.out, args.stories)
    return check(args.results, args.config)


if __name__ == "__main__":
    raise SystemExit(main())
