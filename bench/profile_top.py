"""The top entries of a py-spy profile (raw folded stacks, as bench/turn_cost.py PROFILE= writes):
where the bot service's CPU goes, by own time (the frame that was running) and by inclusive
time (the frame anywhere on the stack), idle samples left out.

Usage: .venv/bin/python bench/profile_top.py var/profile-bot.txt.raw [TOP]   (default 15)
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# Samples of a thread waiting (event loop select, idle worker threads) are not work.
IDLE = re.compile(r"select \(selectors|_worker \(concurrent/futures/thread|wait \(threading"
                  r"|_bootstrap_inner \(threading\.py\)$|run_forever \(asyncio|poll \(selectors")
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")


def short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/", "/tmp/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def main() -> None:
    path = Path(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")
                  and not f.startswith("thread ")]
        if not frames or IDLE.search(frames[-1]):
            continue
        n = int(count)
        total += n
        own[short(frames[-1])] += n
        for frame in {short(f) for f in frames}:
            inclusive[frame] += n
    print(f"{total} busy samples")
    print("own time:")
    for frame, n in own.most_common(top):
        print(f"  {100 * n / total:5.1f} %  {frame}")
    print("inclusive time:")
    for frame, n in inclusive.most_common(top + 10):
        print(f"  {100 * n / total:5.1f} %  {frame}")


if __name__ == "__main__":
    main()
