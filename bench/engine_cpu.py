"""CPU per turn of each process under load: 8 concurrent web chat conversations.

Each conversation verifies Maria Lopez, then runs every flow of bench/flows.py, for ROUNDS
rounds. CPU time (user + system, from /proc) of the engine, action server and bot service
is read before and after, and divided by the turns served; turn latency is timed per POST.
Usage: .venv/bin/python bench/engine_cpu.py [ROUNDS] [CONVERSATIONS]   (default 3, 8)
       STACK_MODEL=/path/to/other-model.tar.gz to measure another model.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.flows import FLOWS, pct  # noqa: E402
from tests.support.stack import Stack, running_stack  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The process and every process under it (Sanic runs the action server in a worker)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() \
                else []
            todo.extend(int(c) for c in children)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process tree so far."""
    total = 0
    for member in descendants(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(v) for v in fields[11:15])
    return total / TICKS


def conversation(stack: Stack, rounds: int, times: list[float], lock: threading.Lock) -> None:
    token = stack.web_session()
    for _ in range(rounds):
        for turns in FLOWS.values():
            for text in [*turns, "never mind"]:
                t0 = time.perf_counter()
                stack.web_turn(token, text)
                with lock:
                    times.append((time.perf_counter() - t0) * 1000)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    with running_stack(redis_url="redis://127.0.0.1:6379/13", extra_env={
            "WEB_MESSAGES_PER_SESSION_PER_MINUTE": "10000",
            "WEB_MESSAGES_PER_IP_PER_MINUTE": "10000"}) as stack:
        warm = stack.web_session()
        for text in ("hi", "how much do I owe", "Maria Lopez", "03/12/1984", "02139"):
            stack.web_turn(warm, text)
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        times: list[float] = []
        lock = threading.Lock()
        started = time.perf_counter()
        threads = [threading.Thread(target=conversation, args=(stack, rounds, times, lock))
                   for _ in range(width)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    turns = len(times)
    print(f"{width} concurrent web conversations, {turns} turns in {wall:.1f} s: "
          f"{turns / wall:.1f} turns/s")
    print(f"turn latency: p50 {statistics.median(times):.0f} ms, p95 {pct(times, 95):.0f} ms")
    for name, seconds in used.items():
        print(f"{name:8s} CPU per turn: {seconds / turns * 1000:5.1f} ms")


if __name__ == "__main__":
    main()
