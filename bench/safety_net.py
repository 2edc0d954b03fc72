"""How the emergency safety net does on the phrase lists and the NLU data, and what it costs
per message.

Prints caught / missed / false alarms on tests/bot/safety/phrases.py (with every miss and
false alarm spelled out), then on the NLU examples (every `emergency` example must be caught,
no other one, nor any generated foreign request, may alarm), then the time per message:
over the phrase lists repeated 20 times, and over every NLU example seen once (words the
typo comparison has not met yet). The first call builds the matchers; that one-off cost is
printed on its own.
Usage: .venv/bin/python bench/safety_net.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.safety import detect_emergency  # noqa: E402
from tests.bot.safety import phrases, phrases_es  # noqa: E402
from tests.bot.safety.nlu_examples import (  # noqa: E402
    Example,
    foreign_files,
    labelled_examples,
    load,
)
from tests.bot.safety.phrases import MUST_CATCH, MUST_NOT_CATCH  # noqa: E402

REPEATS = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timed(messages: list[str], repeats: int) -> list[float]:
    times: list[float] = []
    for _ in range(repeats):
        for text in messages:
            start = time.perf_counter()
            detect_emergency(text)
            times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.3f} ms, p95 {percentile(times, 95):.3f} ms, "
            f"max {max(times):.3f} ms")


def phrase_lists() -> None:
    for module in (phrases, phrases_es):
        print(f"{module.__name__}:")
        phrase_list(module.MUST_CATCH, module.MUST_NOT_CATCH, module.NOT_HEALTH)


def phrase_list(must_catch: list[tuple[str, str]], must_not_catch: list[str],
                not_health: list[str]) -> None:
    missed = [(text, kind) for text, kind in must_catch if detect_emergency(text) is None]
    wrong_kind = [(text, kind, found) for text, kind in must_catch
                  if (found := detect_emergency(text)) is not None and found.kind != kind]
    caught = len(must_catch) - len(missed)
    print(f"caught       {caught}/{len(must_catch)} "
          f"({len(wrong_kind)} of them with the wrong kind)")
    print(f"missed       {len(missed)}")
    for text, kind in missed:
        print(f"  - {text!r} ({kind})")
    for text, kind, found in wrong_kind:
        print(f"  ~ {text!r}: expected {kind}, got {found}")
    for name, texts in (("MUST_NOT_CATCH", must_not_catch), ("NOT_HEALTH", not_health)):
        alarms = [(text, found) for text in texts if (found := detect_emergency(text))]
        print(f"false alarms {len(alarms)}/{len(texts)} ({name})")
        for text, found in alarms:
            print(f"  ! {text!r}: {found}")


def typo(text: str, rng: random.Random) -> str | None:
    """One slip in a word of five letters or more: two neighbours swapped, one dropped or
    one doubled (None when there is no such word)."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    if not candidates:
        return None
    i = rng.choice(candidates)
    w, j = words[i], rng.randrange(1, len(words[i]) - 2)
    words[i] = [w[:j] + w[j + 1] + w[j] + w[j + 2:], w[:j] + w[j + 1:], w[:j] + w[j] + w[j:]][
        rng.randrange(3)]
    return " ".join(words)


def typo_variants() -> None:
    """MUST_CATCH and the emergency examples with a slip each, four times over: how much a
    typo costs (some slips turn a word into another word, so 100% is not expected)."""
    rng = random.Random(7)
    texts = [t for t, _ in MUST_CATCH] + [
        e.text for e in labelled_examples() if e.intent == "emergency"]
    for language, group in (("en", texts), ("es", [t for t, _ in phrases_es.MUST_CATCH])):
        variants = [v for t in group for _ in range(4) if (v := typo(t, rng)) is not None]
        caught = sum(detect_emergency(v) is not None for v in variants)
        print(f"with one typo ({language}): caught {caught}/{len(variants)} "
              f"({caught / len(variants):.0%})")


def nlu_examples() -> list[Example]:
    examples = labelled_examples()
    foreign = [e for path in foreign_files() for e in load(path)]
    print("NLU examples (emergency: missed; other intents: false alarms)")
    for source in sorted({e.source for e in examples + foreign}):
        group = [e for e in examples + foreign if e.source == source]
        for label, wanted, bad in (
            ("emergency", [e for e in group if e.intent == "emergency"],
             lambda e: detect_emergency(e.text) is None),
            ("other", [e for e in group if e.intent != "emergency"],
             lambda e: detect_emergency(e.text) is not None),
        ):
            if wanted:
                report(source, label, wanted, bad)
    if not foreign:
        print("  (no foreign requests yet: data/nlu/out_of_scope.yml, "
              "tests/nlu/foreign_holdout.yml)")
    return examples + foreign


def report(source: str, label: str, examples: list[Example],
           bad: Callable[[Example], bool]) -> None:
    wrong = [e for e in examples if bad(e)]
    verb = "missed" if label == "emergency" else "false alarms"
    print(f"  {source:34} {label:9} {len(examples):5}  {verb} {len(wrong)}")
    for e in wrong:
        print(f"    ! {e.intent}: {e.text!r}")


def main() -> None:
    t0 = time.perf_counter()
    detect_emergency("warm up")
    print(f"first call (builds the matchers): {(time.perf_counter() - t0) * 1000:.0f} ms")
    # Seen once, before anything else warmed the caches: what a new message costs.
    examples = [e.text for e in labelled_examples()]
    first_sight = timed(examples, 1)

    phrase_lists()
    typo_variants()
    nlu_examples()

    messages = [text for text, _ in MUST_CATCH] + list(MUST_NOT_CATCH)
    times = timed(messages, REPEATS)
    print(f"time per message, n={len(times)} ({len(messages)} messages x {REPEATS}): "
          f"{summary(times)}")
    print(f"time per message at first sight, n={len(first_sight)} (every labelled NLU "
          f"example once): {summary(first_sight)}")
    spanish = [text for text, _ in phrases_es.MUST_CATCH] + list(phrases_es.MUST_NOT_CATCH)
    times = timed(spanish, REPEATS)
    print(f"time per Spanish message, n={len(times)} ({len(spanish)} messages x {REPEATS}): "
          f"{summary(times)}")


if __name__ == "__main__":
    main()
