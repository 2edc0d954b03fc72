"""Fails unless every conversation test story ran and passed (Rasa counts 0 of 0 as success)."""

import json
import sys
from pathlib import Path

import yaml


def main() -> int:
    stories_dir, report_path = Path(sys.argv[1]), Path(sys.argv[2])
    expected = sum(
        len((yaml.safe_load(path.read_text()) or {}).get("stories", []))
        for path in sorted(stories_dir.glob("test_*.yml"))
    )
    result = json.loads(report_path.read_text())["conversation_accuracy"]
    print(f"conversation tests: {result['correct']} of {result['total']} passed "
          f"({expected} stories in {stories_dir})")
    if expected == 0 or result["total"] != expected or result["correct"] != expected:
        print("conversation tests did not all run and pass", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
