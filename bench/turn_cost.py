"""Our own cost per turn: a web chat turn through the whole stack against the same turn sent
straight to the engine, one conversation at a time, and whether a turn's cost grows with the
session's length.

Each round runs bench/flows.py's flows (verification first) twice, interleaved turn by turn:
once through the bot service (`POST /channels/web/messages`) and once straight to the engine's
REST channel (same text, same metadata shape, another sender). Which of the pair goes first
alternates turn by turn: the engine answers the second of two identical turns about 2 ms
faster (measured with three clients in fixed order, each order), so a fixed order would
charge that to whichever path always went first. Then one long web session (LONG
turns) is timed in blocks of 40 turns, through the stack and straight to the engine. Last, the
CPU each process spends per turn (user + system, /proc), one path at a time (2 rounds each):
what a web turn costs the bot service beyond serving the actions' back-office calls, which a
turn straight to the engine costs it too.
It prints the ratio of the two paths' p50s, and per pair (the same turn both ways, side by
side) the p50 of our own cost (web minus direct, ms) and of the ratio.
Usage: .venv/bin/python bench/turn_cost.py [ROUNDS] [LONG]   (default 10, 160)
       PROFILE=var/profile-bot.txt to sample the bot service with py-spy meanwhile.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine_cpu import cpu_seconds  # noqa: E402
from bench.flows import FLOWS  # noqa: E402
from tests.support.stack import Stack, running_stack  # noqa: E402

LONG_TEXTS = ["what's my balance", "when is my next appointment", "is my refill ready",
              "what is the lab fee for", "never mind"]


class Direct:
    """The engine's REST channel, as the bot service calls it, over one keep-alive client."""

    def __init__(self, stack: Stack) -> None:
        self.http = httpx.Client(base_url=stack.engine_url, timeout=60)
        self.sender = f"web:direct-{uuid.uuid4().hex[:12]}"

    def turn(self, text: str) -> None:
        resp = self.http.post("/webhooks/rest/webhook", json={
            "sender": self.sender, "message": text,
            "metadata": {"channel": "web", "ip": "127.0.0.1"}})
        resp.raise_for_status()


class Web:
    def __init__(self, stack: Stack) -> None:
        self.http = httpx.Client(base_url=stack.bot_url, timeout=60)
        resp = self.http.post("/channels/web/sessions")
        resp.raise_for_status()
        self.headers = {"Authorization": f"Bearer {resp.json()['token']}"}

    def turn(self, text: str) -> None:
        resp = self.http.post("/channels/web/messages", json={"text": text},
                              headers=self.headers)
        resp.raise_for_status()


def timed(turn: object, text: str) -> float:
    t0 = time.perf_counter()
    turn.turn(text)  # type: ignore[attr-defined]
    return (time.perf_counter() - t0) * 1000


def pair(web: Web, direct: Direct, text: str, web_first: bool) -> tuple[float, float]:
    """The same turn both ways, in the order given: (web ms, direct ms)."""
    if web_first:
        w = timed(web, text)
        return w, timed(direct, text)
    d = timed(direct, text)
    return timed(web, text), d


def cpu_per_turn(stack: Stack, path: type[Web] | type[Direct], rounds: int = 2
                 ) -> dict[str, float]:
    """ms of CPU per turn of each process (with its children), that path only."""
    before = {name: cpu_seconds(p.pid) for name, p in stack.processes.items()}
    turns = 0
    for _ in range(rounds):
        client = path(stack)
        for flow in FLOWS.values():
            for text in [*flow, "never mind"]:
                client.turn(text)
                turns += 1
    time.sleep(0.5)  # what a turn set off in the background (insights) is counted with it
    return {name: (cpu_seconds(p.pid) - before[name]) * 1000 / turns
            for name, p in stack.processes.items()}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    long = int(sys.argv[2]) if len(sys.argv) > 2 else 160
    profile = os.environ.get("PROFILE")
    with running_stack(redis_url="redis://127.0.0.1:6379/13", extra_env={
            "WEB_MESSAGES_PER_SESSION_PER_MINUTE": "100000",
            "WEB_MESSAGES_PER_IP_PER_MINUTE": "100000",
            "VERIFICATION_IP_MAX_ATTEMPTS": "100000"}) as stack:
        warm_web, warm_direct = Web(stack), Direct(stack)
        for text in ("hi", "how much do I owe", "Maria Lopez", "03/12/1984", "02139"):
            warm_web.turn(text)
            warm_direct.turn(text)
        spy = None
        if profile:
            if not (Path(sys.executable).parent / "py-spy").exists():
                sys.exit("PROFILE needs py-spy in the venv: make setup installs it (a dev tool)")
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                                    "--pid", str(stack.processes["bot"].pid), "--format", "raw",
                                    "--rate", "200", "--output", profile + ".raw", "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        web_ms: list[float] = []
        direct_ms: list[float] = []
        n = 0
        for _ in range(rounds):
            web, direct = Web(stack), Direct(stack)
            for turns in FLOWS.values():
                for text in [*turns, "never mind"]:
                    w, d = pair(web, direct, text, web_first=n % 2 == 0)
                    n += 1
                    web_ms.append(w)
                    direct_ms.append(d)
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=30)
        blocks_web: list[float] = []
        blocks_direct: list[float] = []
        web, direct = Web(stack), Direct(stack)
        for text in ("how much do I owe", "Maria Lopez", "03/12/1984", "02139"):
            web.turn(text)
            direct.turn(text)
        block_w: list[float] = []
        block_d: list[float] = []
        for i in range(long):
            text = LONG_TEXTS[i % len(LONG_TEXTS)]
            w, d = pair(web, direct, text, web_first=i % 2 == 0)
            block_w.append(w)
            block_d.append(d)
            if len(block_w) == 40:
                blocks_web.append(statistics.median(block_w))
                blocks_direct.append(statistics.median(block_d))
                block_w, block_d = [], []
        cpu_web, cpu_direct = cpu_per_turn(stack, Web), cpu_per_turn(stack, Direct)
    p_web, p_direct = statistics.median(web_ms), statistics.median(direct_ms)
    print(f"{len(web_ms)} web turns, one at a time: through the stack p50 {p_web:.0f} ms, "
          f"straight to the engine p50 {p_direct:.0f} ms: ratio {p_web / p_direct:.2f} "
          f"(mean {statistics.mean(web_ms):.0f} vs {statistics.mean(direct_ms):.0f} ms)")
    # The same turn both ways, side by side: less moved by the engine's own swings (which
    # change both p50s) than the ratio of the two p50s.
    extra = [w - d for w, d in zip(web_ms, direct_ms, strict=True)]
    ratios = [w / d for w, d in zip(web_ms, direct_ms, strict=True)]
    print(f"per pair: our own cost p50 {statistics.median(extra):.1f} ms (p90 "
          f"{statistics.quantiles(extra, n=10)[-1]:.1f}), "
          f"ratio p50 {statistics.median(ratios):.2f}")
    print("one long session, p50 per 40 turns: stack "
          + " -> ".join(f"{v:.0f}" for v in blocks_web) + " ms; engine "
          + " -> ".join(f"{v:.0f}" for v in blocks_direct) + " ms")
    print("CPU per turn (ms, user + system), through the stack / straight to the engine: "
          + "; ".join(f"{name} {cpu_web[name]:.1f} / {cpu_direct[name]:.1f}" for name in cpu_web))
    if profile:
        print(f"bot service profile (py-spy raw, folded stacks): {profile}.raw; top entries: "
              f".venv/bin/python bench/profile_top.py {profile}.raw")


if __name__ == "__main__":
    main()
