"""Gate on an NLU hold-out evaluation (tests/nlu/holdout.yml, tests/nlu/holdout_es.yml).

Usage:
    python scripts/check_nlu_report.py <results_dir> [--config config.yml] [--name NAME]
        [--min-macro-f1 F] [--no-in-scope-as-out-of-scope]

One call per hold-out: every language's set is held to the same gates (--name only labels
the printout, e.g. "Spanish NLU hold-out"). The misspelled set (tests/nlu/holdout_typo.yml)
is held to a lower macro-F1 (--min-macro-f1 0.93). Every set prints its in-scope lines
answered as out_of_scope; --no-in-scope-as-out-of-scope fails on any (not yet used by `make
test-nlu`: the current model answers a few so). A request that falls to nlu_fallback is
asked to rephrase; one taken as out_of_scope is told "I can't help with that", which sends
a patient away from a task the assistant does.

<results_dir> is the `--out` folder of
    rasa test nlu --nlu tests/nlu/holdout.yml --model <model> --out <results_dir> [--successes]

Reads <results_dir>/intent_report.json and, when present, intent_errors.json and
intent_successes.json (scripts/nlu_predict.py writes only these two; then the report is not
needed). Prints macro-F1, the five worst intents,
the top confusion pairs and the emergency recall. Exits 1 when

  * macro-F1 < 0.95 (or --min-macro-f1), or
  * any `emergency` example is missed (recall < 1.0), or
  * fewer than 20 intents were evaluated (a silently empty or partial run), or
  * with --no-in-scope-as-out-of-scope: any example of another intent is predicted
    out_of_scope at or above the fallback threshold.

Fallback: `rasa test nlu` undoes the FallbackClassifier's `nlu_fallback` before it scores,
so a correct-but-unsure prediction counts as correct in intent_report.json although the
live assistant would answer it with the fallback. When both intent_successes.json and
intent_errors.json are present (run `rasa test nlu` with `--successes`), this script
re-scores every example and counts a prediction below the FallbackClassifier `threshold`
(read from config.yml) as `nlu_fallback`, i.e. as an error for its true intent. (The
ambiguity_threshold cannot be applied: the result files keep only the top intent.)
Without intent_successes.json it scores from intent_report.json as Rasa wrote it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

MIN_MACRO_F1 = 0.95
MIN_EMERGENCY_RECALL = 1.0
MIN_INTENTS = 20
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
AGGREGATE_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg", "samples avg"}


def fallback_threshold(config_path: Path) -> float | None:
    """The FallbackClassifier threshold from config.yml's pipeline, if any."""
    if not config_path.is_file():
        return None
    try:
        import yaml
    except ImportError:  # pragma: no cover - yaml is in both environments
        return None
    config = yaml.safe_load(config_path.read_text()) or {}
    for component in config.get("pipeline") or []:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def load_predictions(results: Path) -> list[dict[str, Any]] | None:
    """Every (intent, predicted, confidence, text) when successes and errors were written."""
    successes, errors = results / "intent_successes.json", results / "intent_errors.json"
    if not (successes.is_file() and errors.is_file()):
        return None
    rows = []
    for path in (successes, errors):
        for item in json.loads(path.read_text()):
            prediction = item.get("intent_prediction") or {}
            rows.append({
                "text": item.get("text", ""),
                "intent": item.get("intent"),
                "predicted": prediction.get("name"),
                "confidence": float(prediction.get("confidence") or 0.0),
            })
    return rows


def score(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per true intent: precision, recall, f1, support (nlu_fallback is only ever an error)."""
    support = Counter(r["intent"] for r in rows)
    predicted = Counter(r["predicted"] for r in rows)
    correct = Counter(r["intent"] for r in rows if r["intent"] == r["predicted"])
    report = {}
    for intent, n in support.items():
        tp = correct[intent]
        precision = tp / predicted[intent] if predicted[intent] else 0.0
        recall = tp / n
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[intent] = {"precision": precision, "recall": recall, "f1-score": f1, "support": n}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--config", type=Path,
                        default=Path(__file__).resolve().parent.parent / "config.yml")
    parser.add_argument("--name", default="NLU hold-out",
                        help="what the printout calls this set (one call per language)")
    parser.add_argument("--min-macro-f1", type=float, default=MIN_MACRO_F1,
                        help=f"macro-F1 gate (default {MIN_MACRO_F1}; the typo set: 0.93)")
    parser.add_argument("--no-in-scope-as-out-of-scope", action="store_true",
                        help="fail when any in-scope example is predicted out_of_scope")
    args = parser.parse_args(argv)
    results: Path = args.results_dir

    # intent_report.json comes from `rasa test nlu`; scripts/nlu_predict.py writes only the
    # predictions, which this script scores itself.
    report_path = results / "intent_report.json"
    rasa_report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    rows = load_predictions(results)
    if not rasa_report and rows is None:
        print(f"NLU check: no results in {results} (did rasa test nlu or "
              "scripts/nlu_predict.py run?)", file=sys.stderr)
        return 1
    rasa_per_intent = {
        k: v for k, v in rasa_report.items()
        if k not in AGGREGATE_KEYS and isinstance(v, dict) and v.get("support", 0) > 0
    }

    threshold = fallback_threshold(args.config)
    if rows is not None:
        if threshold is not None:
            for r in rows:
                if r["confidence"] < threshold:
                    r["predicted"] = FALLBACK
        per_intent = score(rows)
        basis = (f"re-scored {len(rows)} predictions, confidence < {threshold} "
                 f"counted as {FALLBACK}" if threshold is not None
                 else f"re-scored {len(rows)} predictions (no FallbackClassifier in config)")
        confusions = Counter((r["intent"], r["predicted"]) for r in rows
                             if r["intent"] != r["predicted"])
        fallbacks = sum(1 for r in rows if r["predicted"] == FALLBACK)
        missed_emergencies = [(r["text"], r["predicted"]) for r in rows
                              if r["intent"] == "emergency" and r["predicted"] != "emergency"]
        sent_away = [(r["text"], r["intent"]) for r in rows
                     if r["intent"] != OUT_OF_SCOPE and r["predicted"] == OUT_OF_SCOPE]
        in_scope_fallbacks = sum(1 for r in rows
                                 if r["intent"] != OUT_OF_SCOPE and r["predicted"] == FALLBACK)
    else:
        per_intent = {k: v for k, v in rasa_per_intent.items() if k != FALLBACK}
        basis = ("intent_report.json as written by Rasa (fallback not applied: "
                 "run rasa test nlu with --successes to count it)")
        confusions = Counter()
        missed_emergencies = []
        sent_away = []
        errors_path = results / "intent_errors.json"
        if errors_path.is_file():
            for item in json.loads(errors_path.read_text()):
                predicted = (item.get("intent_prediction") or {}).get("name")
                confusions[(item.get("intent"), predicted)] += 1
                if item.get("intent") == "emergency":
                    missed_emergencies.append((item.get("text", ""), predicted))
                if item.get("intent") != OUT_OF_SCOPE and predicted == OUT_OF_SCOPE:
                    sent_away.append((item.get("text", ""), str(item.get("intent"))))
        fallbacks = None
        in_scope_fallbacks = None

    n_intents = len(per_intent)
    total = sum(int(v["support"]) for v in per_intent.values())
    macro_f1 = (sum(v["f1-score"] for v in per_intent.values()) / n_intents) if n_intents else 0.0
    emergency = per_intent.get("emergency")
    emergency_recall = float(emergency["recall"]) if emergency else 0.0

    print(f"{args.name}: {n_intents} intents, {total} examples ({basis})")
    own = (f"   (Rasa's own macro avg: "
           f"{rasa_report.get('macro avg', {}).get('f1-score', float('nan')):.4f}, "
           f"accuracy {rasa_report.get('accuracy', float('nan')):.4f})" if rasa_report else "")
    print(f"  macro-F1: {macro_f1:.4f}{own}")
    if fallbacks is not None:
        print(f"  predictions below the fallback threshold: {fallbacks}")
    print(f"  in-scope examples answered as out_of_scope: {len(sent_away)}"
          + (f", as {FALLBACK}: {in_scope_fallbacks}" if in_scope_fallbacks is not None else ""))
    for text, intent in sent_away:
        print(f"    OUT OF SCOPE: {text!r} ({intent})")
    print("  five worst intents by F1:")
    for intent, v in sorted(per_intent.items(), key=lambda kv: (kv[1]["f1-score"], kv[0]))[:5]:
        print(f"    {intent:26s} f1 {v['f1-score']:.3f}  precision {v['precision']:.3f}  "
              f"recall {v['recall']:.3f}  support {int(v['support'])}")
    print("  top confusions (intent -> predicted: count):")
    if not confusions:
        print("    none")
    for (intent, predicted), count in confusions.most_common(10):
        print(f"    {intent} -> {predicted}: {count}")
    print(f"  emergency recall: {emergency_recall:.3f}")
    for text, predicted in missed_emergencies:
        print(f"    MISSED emergency: {text!r} -> {predicted}")

    failures = []
    if n_intents < MIN_INTENTS:
        failures.append(f"only {n_intents} intents evaluated (need {MIN_INTENTS})")
    if macro_f1 < args.min_macro_f1:
        failures.append(f"macro-F1 {macro_f1:.4f} < {args.min_macro_f1}")
    if emergency_recall < MIN_EMERGENCY_RECALL:
        failures.append(f"emergency recall {emergency_recall:.3f} < {MIN_EMERGENCY_RECALL}")
    if args.no_in_scope_as_out_of_scope and sent_away:
        failures.append(f"{len(sent_away)} in-scope examples answered as {OUT_OF_SCOPE}")
    if failures:
        for failure in failures:
            print(f"NLU check FAILED ({args.name}): {failure}", file=sys.stderr)
        return 1
    print(f"NLU check passed ({args.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
