"""Gate on foreign requests (tests/nlu/foreign_holdout.yml) and generic intents (generic_holdout).

Usage:
    python scripts/check_foreign_report.py <foreign_results_dir> <generic_results_dir>
        [--config config.yml] [--foreign-set tests/nlu/foreign_holdout.yml]

Each results dir is the `--out` folder of
    rasa test nlu --nlu <set> --model <model> --out <results_dir> --successes
(or holds the intent_successes.json/intent_errors.json pair in that form). NB: `rasa test
nlu` evaluates no intents at all for a file with a single intent, which the foreign set is
(all out_of_scope): evaluate it in one run together with the generic set (a --nlu folder
holding both files) and pass that one --out folder twice. The foreign figures use only
the out_of_scope examples of a folder, the generic ones only the generic intents'.

Foreign set (every example is labelled out_of_scope): prints and gates
  * kept out of the flows: share NOT predicted as a task-flow intent (billing_*,
    appointment_*, refill_*, human_handoff, emergency)           >= MIN_KEPT_OUT_OF_FLOWS
  * answered as out of scope: share predicted out_of_scope or nlu_fallback
                                                                 >= MIN_ANSWERED_OUT_OF_SCOPE
  * emergency predictions: their count and every such message (printed, not gated here:
    the gate on false 911s lives with the safety checks)
  and, when the foreign set file is readable, the same two shares per domain (from its
  `# domain:` comments).
Generic set (greet, goodbye, thank, affirm, deny, bot_capabilities, human_handoff, stop):
  macro-F1 over those intents >= MIN_GENERIC_MACRO_F1 (every one of them must be present),
  with per-intent F1 and the top confusions.

Fallback: `rasa test nlu` undoes the FallbackClassifier's nlu_fallback before it scores.
With intent_successes.json present (run with --successes) every prediction is re-scored:
one below the FallbackClassifier `threshold` of config.yml counts as nlu_fallback, which
the live assistant would answer (on the foreign set that is a correct out-of-scope answer;
on the generic set an error). Without it the script rebuilds the predictions from
intent_report.json and intent_errors.json and can re-score only the mispredictions (enough
for the foreign set, whose every interesting prediction is an error; on the generic set an
unsure correct prediction then still counts as correct).

Exit status: 0 all gates passed, 1 a gate failed, 2 missing or empty results.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# One reading of config.yml's FallbackClassifier for both gates (this script's folder is on
# sys.path when it runs as a script; the tests load it the same way).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_nlu_report import fallback_threshold  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

MIN_KEPT_OUT_OF_FLOWS = 0.95
MIN_ANSWERED_OUT_OF_SCOPE = 0.85
MIN_GENERIC_MACRO_F1 = 0.90

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
EMERGENCY = "emergency"
TASK_FLOW_PREFIXES = ("billing_", "appointment_", "refill_")
TASK_FLOW_INTENTS = frozenset({"human_handoff", EMERGENCY})
OUT_OF_SCOPE_ANSWERS = frozenset({OUT_OF_SCOPE, FALLBACK})
GENERIC_INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_capabilities",
                   "human_handoff", "stop")
AGGREGATE_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg", "samples avg"}
MAX_LISTED = 40

EXIT_OK, EXIT_FAILED, EXIT_MISSING = 0, 1, 2


@dataclass
class Row:
    """One evaluated example. confidence is None when rebuilt from the report."""

    text: str
    intent: str
    predicted: str
    confidence: float | None
    raw: str = ""  # the prediction before the fallback was applied

    def __post_init__(self) -> None:
        self.raw = self.raw or self.predicted


class MissingResults(Exception):
    """The results folder lacks what `rasa test nlu` writes, or holds no predictions."""


def is_task_flow(intent: str) -> bool:
    return intent.startswith(TASK_FLOW_PREFIXES) or intent in TASK_FLOW_INTENTS


def _items(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    if not isinstance(data, list):
        raise MissingResults(f"{path} is not a list of predictions")
    return [item for item in data if isinstance(item, dict)]


def _row(item: dict[str, Any]) -> Row:
    prediction = item.get("intent_prediction") or {}
    confidence = prediction.get("confidence")
    return Row(text=str(item.get("text", "")), intent=str(item.get("intent")),
               predicted=str(prediction.get("name")),
               confidence=float(confidence) if confidence is not None else None)


def load_rows(results: Path) -> tuple[list[Row], bool]:
    """Every prediction of a `rasa test nlu` run; and whether confidences are known."""
    if not results.is_dir():
        raise MissingResults(f"{results} not found (did rasa test nlu run?)")
    successes = results / "intent_successes.json"
    errors = results / "intent_errors.json"
    report_path = results / "intent_report.json"
    if successes.is_file():
        # Rasa writes each file only when it has something in it.
        rows = [_row(i) for i in _items(successes)] + [_row(i) for i in _items(errors)]
        complete = True
    elif report_path.is_file():
        report = json.loads(report_path.read_text())
        rows = [_row(i) for i in _items(errors)]
        wrong = Counter(r.intent for r in rows)
        for intent, values in report.items():
            if intent in AGGREGATE_KEYS or not isinstance(values, dict):
                continue
            for _ in range(int(values.get("support", 0)) - wrong[intent]):
                rows.append(Row(text="", intent=intent, predicted=intent, confidence=None))
        complete = False
    else:
        raise MissingResults(
            f"neither intent_successes.json nor intent_report.json in {results} (rasa test "
            "nlu evaluates no intents for a file with a single intent: evaluate the foreign "
            "set together with the generic set and pass that --out folder twice)")
    if not rows:
        raise MissingResults(f"no predictions in {results}")
    return rows, complete


def apply_fallback(rows: list[Row], threshold: float | None) -> int:
    """Predictions below the threshold become nlu_fallback; returns how many did."""
    if threshold is None:
        return 0
    n = 0
    for r in rows:
        if r.confidence is not None and r.confidence < threshold:
            r.predicted = FALLBACK
            n += 1
    return n


def foreign_domains(path: Path | None) -> dict[str, str]:
    """text -> domain, from the `# domain: <name>` comments of the foreign set."""
    if path is None or not path.is_file():
        return {}
    domains: dict[str, str] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*domain:\s*(\S+)", line.strip())
        if match:
            current = match.group(1)
            continue
        stripped = line.strip()
        if current and line.startswith((" ", "\t")) and stripped.startswith("-"):
            domains[stripped[1:].strip()] = current
    return domains


def check_foreign(rows: list[Row], complete: bool, threshold: float | None,
                  domains: dict[str, str]) -> list[str]:
    """Print the foreign-set figures; return the failed gates."""
    other = Counter(r.intent for r in rows if r.intent != OUT_OF_SCOPE)
    rows = [r for r in rows if r.intent == OUT_OF_SCOPE]
    if not rows:
        raise MissingResults("no out_of_scope examples in the foreign results "
                             "(were the two folders swapped?)")
    fallbacks = apply_fallback(rows, threshold)
    n = len(rows)
    routed = [r for r in rows if is_task_flow(r.predicted)]
    answered = [r for r in rows if r.predicted in OUT_OF_SCOPE_ANSWERS]
    kept_out = (n - len(routed)) / n
    answered_share = len(answered) / n

    basis = ("no FallbackClassifier in config: no re-scoring" if threshold is None else
             f"re-scored, confidence < {threshold} counted as {FALLBACK}" if complete else
             f"rebuilt from intent_report.json; mispredictions with confidence < "
             f"{threshold} counted as {FALLBACK}")
    print(f"Foreign requests: {n} examples ({basis})")
    if other:
        print(f"  ignored {sum(other.values())} examples labelled otherwise: {dict(other)}")
    print(f"  kept out of the task flows: {kept_out:.4f}   (gate >= {MIN_KEPT_OUT_OF_FLOWS}; "
          f"{len(routed)} routed into billing/appointment/refill/handoff/emergency)")
    print(f"  answered as out of scope:   {answered_share:.4f}   "
          f"(gate >= {MIN_ANSWERED_OUT_OF_SCOPE}; {fallbacks} of them by the fallback)")
    print("  predicted intents:")
    for intent, count in Counter(r.predicted for r in rows).most_common():
        print(f"    {intent:26s} {count:5d}  {count / n:.3f}")

    emergencies = [r for r in rows if r.raw == EMERGENCY]
    live = [r for r in emergencies if r.predicted == EMERGENCY]
    print(f"  emergency predictions: {len(emergencies)} "
          f"({len(live)} at or above the fallback threshold: the classifier alone gets a safety "
          "check, not 911 and an urgent handoff, which only the safety net raises)")
    for r in sorted(emergencies, key=lambda r: -(r.confidence or 0.0)):
        note = "" if r.predicted == EMERGENCY else f"  (live answer: {r.predicted})"
        print(f"    EMERGENCY {_conf(r)}: {r.text!r}{note}")

    if routed:
        print(f"  routed into a task flow (up to {MAX_LISTED}, most confident first):")
        for r in sorted(routed, key=lambda r: -(r.confidence or 0.0))[:MAX_LISTED]:
            print(f"    {r.predicted:24s} {_conf(r)}  {r.text!r}")

    if domains:
        per_domain: dict[str, list[Row]] = defaultdict(list)
        for r in rows:
            per_domain[domains.get(r.text, "(unknown)")].append(r)
        print("  per domain (worst answered-as-out-of-scope first): "
              "kept out / answered / n")
        table = sorted(per_domain.items(), key=lambda kv: (
            sum(r.predicted in OUT_OF_SCOPE_ANSWERS for r in kv[1]) / len(kv[1]), kv[0]))
        for name, drows in table:
            k = 1 - sum(is_task_flow(r.predicted) for r in drows) / len(drows)
            a = sum(r.predicted in OUT_OF_SCOPE_ANSWERS for r in drows) / len(drows)
            print(f"    {name:26s} {k:.3f}  {a:.3f}  {len(drows):4d}")

    failures = []
    if kept_out < MIN_KEPT_OUT_OF_FLOWS:
        failures.append(f"foreign requests kept out of the task flows {kept_out:.4f} "
                        f"< {MIN_KEPT_OUT_OF_FLOWS}")
    if answered_share < MIN_ANSWERED_OUT_OF_SCOPE:
        failures.append(f"foreign requests answered as out of scope {answered_share:.4f} "
                        f"< {MIN_ANSWERED_OUT_OF_SCOPE}")
    return failures


def _conf(r: Row) -> str:
    return f"{r.confidence:.2f}" if r.confidence is not None else "  ? "


def generic_scores(rows: list[Row]) -> dict[str, dict[str, float]]:
    """precision, recall, f1 and support per generic intent present in rows."""
    support = Counter(r.intent for r in rows)
    predicted = Counter(r.predicted for r in rows)
    correct = Counter(r.intent for r in rows if r.intent == r.predicted)
    scores = {}
    for intent in GENERIC_INTENTS:
        if not support[intent]:
            continue
        tp = correct[intent]
        precision = tp / predicted[intent] if predicted[intent] else 0.0
        recall = tp / support[intent]
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[intent] = {"precision": precision, "recall": recall, "f1": f1,
                          "support": float(support[intent])}
    return scores


def check_generic(rows: list[Row], complete: bool, threshold: float | None) -> list[str]:
    """Print the generic-set figures; return the failed gates."""
    other = Counter(r.intent for r in rows if r.intent not in GENERIC_INTENTS)
    rows = [r for r in rows if r.intent in GENERIC_INTENTS]
    if not rows:
        raise MissingResults("no generic-intent examples in the generic results")
    fallbacks = apply_fallback(rows, threshold)
    scores = generic_scores(rows)
    macro_f1 = sum(v["f1"] for v in scores.values()) / len(GENERIC_INTENTS)
    missing = [i for i in GENERIC_INTENTS if i not in scores]

    print(f"Generic intents: {len(rows)} examples, {len(scores)} of {len(GENERIC_INTENTS)} "
          f"intents" + ("" if threshold is None else
                        f" ({fallbacks} below the fallback threshold, counted as {FALLBACK})"
                        if complete else
                        f" (rebuilt from intent_report.json: {fallbacks} mispredictions below "
                        "the fallback threshold; correct ones not re-scored: run with "
                        "--successes)"))
    if other:
        print(f"  ignored {sum(other.values())} examples of other intents: {dict(other)}")
    print(f"  macro-F1: {macro_f1:.4f}   (gate >= {MIN_GENERIC_MACRO_F1}; a missing intent "
          "counts as 0)")
    for intent in GENERIC_INTENTS:
        v = scores.get(intent)
        if v is None:
            print(f"    {intent:18s} MISSING")
            continue
        print(f"    {intent:18s} f1 {v['f1']:.3f}  precision {v['precision']:.3f}  "
              f"recall {v['recall']:.3f}  support {int(v['support'])}")
    confusions = Counter((r.intent, r.predicted) for r in rows if r.intent != r.predicted)
    print("  top confusions (intent -> predicted: count):")
    if not confusions:
        print("    none")
    for (intent, predicted), count in confusions.most_common(10):
        examples = [r.text for r in rows if (r.intent, r.predicted) == (intent, predicted)
                    and r.text][:3]
        print(f"    {intent} -> {predicted}: {count}"
              + (f"   e.g. {', '.join(repr(t) for t in examples)}" if examples else ""))

    failures = []
    if missing:
        failures.append(f"generic intents missing from the results: {', '.join(missing)}")
    if macro_f1 < MIN_GENERIC_MACRO_F1:
        failures.append(f"generic macro-F1 {macro_f1:.4f} < {MIN_GENERIC_MACRO_F1}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("foreign_results_dir", type=Path)
    parser.add_argument("generic_results_dir", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--foreign-set", type=Path,
                        default=ROOT / "tests" / "nlu" / "foreign_holdout.yml",
                        help="the evaluated foreign set, for per-domain figures")
    args = parser.parse_args(argv)

    threshold = fallback_threshold(args.config)
    try:
        foreign_rows, foreign_complete = load_rows(args.foreign_results_dir)
        generic_rows, generic_complete = load_rows(args.generic_results_dir)
        failures = check_foreign(foreign_rows, foreign_complete, threshold,
                                 foreign_domains(args.foreign_set))
        failures += check_generic(generic_rows, generic_complete, threshold)
    except (MissingResults, json.JSONDecodeError) as exc:
        print(f"Foreign/generic check: {exc}", file=sys.stderr)
        return EXIT_MISSING
    if failures:
        for failure in failures:
            print(f"Foreign/generic check FAILED: {failure}", file=sys.stderr)
        return EXIT_FAILED
    print("Foreign/generic check passed")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
