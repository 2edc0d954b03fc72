"""Handoff latency through the whole stack (median and p95 of N, default 20):

  request → queue   the patient asks for a person (web chat, a real engine turn) until the
                    desk's queue API lists the handoff
  agent → patient   an agent's POST until the text is on the patient's channel: the SMS
                    outbox, and the web chat's live event stream

Usage: .venv/bin/python bench/handoff.py [N]
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.stack import Stack, running_stack  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(name: str, values: list[float]) -> None:
    print(f"{name:34s} n={len(values)}: median {statistics.median(values):.0f} ms, "
          f"p95 {pct(values, 95):.0f} ms, max {max(values):.0f} ms")


def close_all(stack: Stack, desk: dict[str, str]) -> None:
    for item in stack.desk("GET", "/api/desk/handoffs", desk).json():
        stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
                   json={"disposition": "resolved"})


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with running_stack(redis_url="redis://127.0.0.1:6379/13") as stack:
        desk = stack.desk_login()
        to_queue, sms_delivery, web_delivery = [], [], []
        for _ in range(n):
            token = stack.web_session()
            t0 = time.perf_counter()
            stack.web_turn(token, "I want to talk to a person")
            while not stack.desk("GET", "/api/desk/handoffs", desk).json():
                time.sleep(0.005)
            to_queue.append((time.perf_counter() - t0) * 1000)
            close_all(stack, desk)

        phone = "+15555550102"
        stack.sms_turn(phone, "agent please", "SMbh-0")
        [item] = stack.desk("GET", "/api/desk/handoffs", desk).json()
        stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk)
        for i in range(n):
            before = len(stack.outbox(phone))
            t0 = time.perf_counter()
            stack.desk("POST", f"/api/desk/handoffs/{item['id']}/messages", desk,
                       json={"text": f"agent message {i}"})
            while len(stack.outbox(phone)) == before:
                time.sleep(0.005)
            sms_delivery.append((time.perf_counter() - t0) * 1000)
        close_all(stack, desk)

        token = stack.web_session()
        stack.web_turn(token, "I want to talk to a person")
        [item] = stack.desk("GET", "/api/desk/handoffs", desk).json()
        stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk)
        received: dict[str, float] = {}
        ready = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", stack.bot_url + "/channels/web/events",
                              params={"token": token}, timeout=None) as resp:
                for line in resp.iter_lines():
                    if line.startswith("event: ready"):
                        ready.set()
                    if line.startswith("data:") and "agent web" in line:
                        received[json.loads(line[5:])["text"]] = time.perf_counter()
                        if len(received) == n:
                            return

        threading.Thread(target=listen, daemon=True).start()
        ready.wait(10)
        for i in range(n):
            text = f"agent web {i}"
            t0 = time.perf_counter()
            stack.desk("POST", f"/api/desk/handoffs/{item['id']}/messages", desk,
                       json={"text": text})
            while text not in received:
                time.sleep(0.002)
            web_delivery.append((received[text] - t0) * 1000)

        report("handoff request → desk queue", to_queue)
        report("agent send → SMS outbox", sms_delivery)
        report("agent send → web chat event", web_delivery)


if __name__ == "__main__":
    main()
