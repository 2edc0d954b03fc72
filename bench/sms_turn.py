"""Time of one SMS turn through the whole stack: signed webhook in, reply in the outbox.

Starts engine, actions and bot as real processes (as the integration tests do), then sends
N turns of two kinds and prints the median and p95:
  greeting  - "hi": NLU + policies, no custom action
  balance   - "how much do I owe" from a verified patient: NLU, policies, action server,
              back-office API, database
Usage: .venv/bin/python bench/sms_turn.py [N]   (default 20)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import running_stack  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    started = time.monotonic()
    # One number sends 2n+2 texts in a few seconds: lift the per-number flood limit.
    with running_stack(redis_url="redis://127.0.0.1:6379/13",
                       extra_env={"SMS_MESSAGES_PER_WINDOW": "1000"}) as stack:
        print(f"stack ready in {time.monotonic() - started:.1f}s (model load included)")
        phone = "+15555550101"
        stack.sms_turn(phone, "how much do I owe", "SMbench-v1")
        reply = stack.sms_turn(phone, "03/12/1984", "SMbench-v2")
        assert "125.40" in reply, reply
        for kind, text in (("greeting", "hi"), ("balance", "how much do I owe")):
            times = []
            for i in range(n):
                t0 = time.perf_counter()
                out = stack.sms_turn(phone, text, f"SMbench-{kind}-{i}", settle=0)
                times.append((time.perf_counter() - t0) * 1000)
                if kind == "balance":
                    assert "125.40" in out, out
                print(f"  {kind} {i + 1}/{n}: {times[-1]:.0f} ms", file=sys.stderr)
            print(f"{kind:9s} SMS turn, n={n}: median {statistics.median(times):.0f} ms, "
                  f"p95 {percentile(times, 95):.0f} ms, min {min(times):.0f} ms, "
                  f"max {max(times):.0f} ms")


if __name__ == "__main__":
    main()
