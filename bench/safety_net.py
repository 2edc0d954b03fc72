"""How the emergency safety net does on the phrase lists, and what it costs per message.

Prints caught / missed / false alarms on tests/bot/safety/phrases.py (with every miss and
false alarm spelled out), then the time per message over the combined list repeated 20
times. The first call builds the matcher; that one-off cost is printed on its own.
Usage: .venv/bin/python bench/safety_net.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.safety import detect_emergency  # noqa: E402
from tests.bot.safety.phrases import MUST_CATCH, MUST_NOT_CATCH  # noqa: E402

REPEATS = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    t0 = time.perf_counter()
    detect_emergency("warm up")
    print(f"first call (builds the matcher): {(time.perf_counter() - t0) * 1000:.0f} ms")

    missed = [(text, kind) for text, kind in MUST_CATCH if detect_emergency(text) is None]
    wrong_kind = [(text, kind, found) for text, kind in MUST_CATCH
                  if (found := detect_emergency(text)) is not None and found.kind != kind]
    false_alarms = [(text, found) for text in MUST_NOT_CATCH
                    if (found := detect_emergency(text)) is not None]
    caught = len(MUST_CATCH) - len(missed)
    print(f"caught       {caught}/{len(MUST_CATCH)} "
          f"({len(wrong_kind)} of them with the wrong kind)")
    print(f"missed       {len(missed)}")
    for text, kind in missed:
        print(f"  - {text!r} ({kind})")
    for text, kind, found in wrong_kind:
        print(f"  ~ {text!r}: expected {kind}, got {found}")
    print(f"false alarms {len(false_alarms)}/{len(MUST_NOT_CATCH)}")
    for text, found in false_alarms:
        print(f"  ! {text!r}: {found}")

    messages = [text for text, _ in MUST_CATCH] + list(MUST_NOT_CATCH)
    times: list[float] = []
    for _ in range(REPEATS):
        for text in messages:
            start = time.perf_counter()
            detect_emergency(text)
            times.append((time.perf_counter() - start) * 1000)
    print(f"time per message, n={len(times)} ({len(messages)} messages x {REPEATS}): "
          f"median {statistics.median(times):.3f} ms, p95 {percentile(times, 95):.3f} ms, "
          f"max {max(times):.3f} ms")


if __name__ == "__main__":
    main()
