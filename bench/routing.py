"""Routing latency through the real bot service (p50 and p95 of N per team, default 20):
from the action server's handoff request (POST /api/handoffs) until the routed team's
agent sees it in their queue, the way the desk does: its live event stream announces the
new item, then GET /api/desk/handoffs lists it.

Usage: .venv/bin/python bench/routing.py [N]   (Redis db 9: its own, other benches flush 13)
"""

from __future__ import annotations

import json
import queue
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import Stack, running_stack  # noqa: E402

SERVICE = {"Authorization": "Bearer stack-backoffice-token"}
# Topic -> the team it routes to; each team's demo agent (bot.demo.desk) watches its queue.
CASES = {"billing": ["billing_pay", "human_handoff"],
         "scheduling": ["appointment_reschedule", "human_handoff"],
         "pharmacy": ["refill_request", "human_handoff"],
         "nurse": ["emergency"], "general": ["human_handoff"]}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def sign_in(stack: Stack, email: str) -> dict[str, str]:
    resp = httpx.post(stack.bot_url + "/api/desk/login",
                      json={"email": email, "password": stack.env["DESK_DEMO_PASSWORD"]})
    resp.raise_for_status()
    return {"Authorization": "Bearer " + resp.json()["token"]}


def watch(stack: Stack, token: str, events: queue.Queue[dict[str, object]],
          ready: threading.Event) -> None:
    with httpx.stream("GET", stack.bot_url + "/api/desk/events", params={"token": token},
                      timeout=None) as resp:
        kind = ""
        for line in resp.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
                if kind == "ready":
                    ready.set()
            elif line.startswith("data:") and kind == "queue":
                events.put(json.loads(line.split(":", 1)[1]))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with running_stack(redis_url="redis://127.0.0.1:6379/9") as stack:
        supervisor = stack.desk_login()
        results: dict[str, list[float]] = {}
        for team, intents in CASES.items():
            desk = sign_in(stack, f"{team}@example.org")
            events: queue.Queue[dict[str, object]] = queue.Queue()
            ready = threading.Event()
            token = desk["Authorization"].split()[1]
            threading.Thread(target=watch, args=(stack, token, events, ready),
                             daemon=True).start()
            ready.wait(10)
            times = []
            for i in range(n):
                body = {"conversation_id": f"web:bench-{team}-{i}", "reason":
                        "emergency" if team == "nurse" else "requested",
                        "urgency": "urgent" if team == "nurse" else "normal",
                        "intents": intents}
                t0 = time.perf_counter()
                ticket = httpx.post(stack.bot_url + "/api/handoffs", json=body,
                                    headers=SERVICE).json()
                while True:  # the desk's live event for this handoff, then its queue GET
                    event = events.get(timeout=10)
                    if event.get("handoff_id") == ticket["handoff_id"]:
                        break
                resp = stack.desk("GET", "/api/desk/handoffs", desk)
                assert resp.status_code == 200, f"{team}: {resp.status_code} {resp.text}"
                listed = resp.json()
                assert any(q["id"] == ticket["handoff_id"] and q["team"] == team
                           for q in listed), f"{team}: not in the team's queue"
                times.append((time.perf_counter() - t0) * 1000)
                stack.desk("POST", f"/api/desk/handoffs/{ticket['handoff_id']}/close",
                           supervisor, json={"disposition": "resolved"})
            results[team] = times
        every = [t for times in results.values() for t in times]
        for team, times in [*results.items(), ("all teams", every)]:
            print(f"request -> {team + ' queue':22s} n={len(times)}: p50 "
                  f"{statistics.median(times):.0f} ms, p95 {pct(times, 95):.0f} ms, "
                  f"max {max(times):.0f} ms")


if __name__ == "__main__":
    main()
