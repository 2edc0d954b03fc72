"""Time per turn of each flow through the whole stack (web chat), median and p95.

Each round opens a new chat, verifies Maria Lopez, then runs every flow once; every turn
is timed from the POST until the replies are back.
Usage: .venv/bin/python bench/flows.py [ROUNDS]   (default 20)
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import Stack, running_stack  # noqa: E402

FLOWS: dict[str, list[str]] = {
    "verification (web)": ["how much do I owe", "Maria Lopez", "03/12/1984", "02139"],
    "balance": ["what's my balance"],
    "charges": ["what is the lab fee for"],
    "payment link": ["I want to pay my bill"],
    "appointment check": ["when is my next appointment"],
    "refill status": ["is my refill ready"],
    "insurance": ["what insurance do you have on file for me"],
    "out of scope": ["what's the weather tomorrow"],
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def timed(stack: Stack, token: str, text: str) -> float:
    t0 = time.perf_counter()
    stack.web_turn(token, text)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    times: dict[str, list[float]] = defaultdict(list)
    # Hundreds of turns a minute from one address: lift the per-session and per-IP limits.
    with running_stack(redis_url="redis://127.0.0.1:6379/13", extra_env={
            "WEB_MESSAGES_PER_SESSION_PER_MINUTE": "10000",
            "WEB_MESSAGES_PER_IP_PER_MINUTE": "10000"}) as stack:
        for r in range(rounds):
            token = stack.web_session()
            for flow, turns in FLOWS.items():
                for text in turns:
                    times[flow].append(timed(stack, token, text))
                stack.web_turn(token, "never mind")
            print(f"  round {r + 1}/{rounds}", file=sys.stderr)
    for flow, values in times.items():
        print(f"{flow:20s} n={len(values):3d} turns: median {statistics.median(values):4.0f} ms, "
              f"p95 {pct(values, 95):4.0f} ms")


if __name__ == "__main__":
    main()
