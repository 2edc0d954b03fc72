"""Predicts the intent of every example of one or more NLU files with one model load.

Runs in the engine's environment (it imports rasa):
    .venv-engine/bin/python scripts/nlu_predict.py --model models/x.tar.gz \
        tests/nlu/foreign_holdout.yml:var/results/foreign tests/nlu/generic_holdout.yml:...

Each FILE:DIR pair writes DIR/intent_successes.json and DIR/intent_errors.json in the form
`rasa test nlu --successes` writes them ({"text", "intent", "intent_prediction": {"name",
"confidence"}}), so the same gate scripts read both. Why not `rasa test nlu`: it skips intent
evaluation when a file holds a single intent (the foreign set is all `out_of_scope`), and it
would load the model once per file.

As `rasa test nlu` does, the prediction is the classifier's top intent, not `nlu_fallback`:
the gate scripts apply the FallbackClassifier threshold themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

FALLBACK = "nlu_fallback"


def examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) of every example, as Rasa reads the file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(str(m.get("text")), str(m.get("intent"))) for m in data.intent_examples]


def top_intent(parsed: dict[str, Any]) -> dict[str, Any]:
    for ranked in parsed.get("intent_ranking") or []:
        if ranked.get("name") != FALLBACK:
            return {"name": ranked.get("name"), "confidence": float(ranked.get("confidence", 0))}
    intent = parsed.get("intent") or {}
    return {"name": intent.get("name"), "confidence": float(intent.get("confidence") or 0)}


async def predict(model: str, pairs: list[tuple[Path, Path]]) -> None:
    from rasa.core.agent import Agent

    started = time.perf_counter()
    agent = Agent.load(model)
    print(f"model loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for source, out in pairs:
        started = time.perf_counter()
        successes: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        items = examples(source)
        for index, (text, intent) in enumerate(items, 1):
            parsed = await agent.parse_message(text)
            row = {"text": text, "intent": intent, "intent_prediction": top_intent(parsed)}
            (successes if row["intent_prediction"]["name"] == intent else errors).append(row)
            if index % 250 == 0:
                print(f"  {source.name}: {index}/{len(items)}", file=sys.stderr)
        out.mkdir(parents=True, exist_ok=True)
        (out / "intent_successes.json").write_text(json.dumps(successes, indent=1))
        (out / "intent_errors.json").write_text(json.dumps(errors, indent=1))
        print(f"{source}: {len(items)} examples, {len(errors)} not their label "
              f"({time.perf_counter() - started:.0f} s) -> {out}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("pairs", nargs="+", metavar="FILE:DIR")
    args = parser.parse_args()
    pairs = []
    for pair in args.pairs:
        source, _, out = pair.partition(":")
        if not out or not Path(source).is_file():
            parser.error(f"{pair}: expected an existing NLU file and an output folder, FILE:DIR")
        pairs.append((Path(source), Path(out)))
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # else every parse is logged at debug level
    asyncio.run(predict(args.model, pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
