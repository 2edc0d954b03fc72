"""Throughput of the cluster (make run-cluster's topology) with 2 engines, then with 1, in one
run: N concurrent conversations through nginx, web chat and SMS (Twilio-signed webhooks,
replies read from the stand-in's outbox), each a real flow (verify, balance, appointment,
refill status, a person and back is left out: it needs an agent).

Prints, per phase: turns/s, turn latency p50/p95/p99, CPU per turn of each process (user +
system from /proc) and RSS per process.
Usage: .venv/bin/python bench/load.py [CONVERSATIONS] [ROUNDS]   (default 40, 2)
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine_cpu import cpu_seconds, descendants  # noqa: E402
from bench.flows import pct  # noqa: E402
from tests.support.cluster import RunningCluster, running_cluster  # noqa: E402

WEB_PATIENTS = [("Maria Lopez", "03/12/1984", "02139"), ("James Carter", "11/02/1975", "10001"),
                ("Aisha Khan", "07/25/1992", "60614")]
SMS_PATIENTS = [("+15555550101", "03/12/1984"), ("+15555550102", "11/02/1975")]
ASKS = ["what's my balance", "when is my next appointment", "is my refill ready", "never mind"]


def rss_mb(pid: int) -> float:
    total = 0
    for member in descendants(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


async def web_conversation(http: httpx.AsyncClient, index: int, rounds: int,
                           times: list[float]) -> None:
    resp = await http.post("/channels/web/sessions")
    resp.raise_for_status()
    headers = {"Authorization": f"Bearer {resp.json()['token']}"}
    name, dob, zip_code = WEB_PATIENTS[index % len(WEB_PATIENTS)]
    for text in ["how much do I owe", name, dob, zip_code, *ASKS * rounds]:
        t0 = time.perf_counter()
        resp = await http.post("/channels/web/messages", headers=headers,
                               json={"text": text, "client_id": uuid.uuid4().hex})
        resp.raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)


async def sms_conversation(http: httpx.AsyncClient, running: RunningCluster, phone: str,
                           dob: str, rounds: int, times: list[float]) -> None:
    env = running.stack.env
    validator = RequestValidator(env["TWILIO_AUTH_TOKEN"])
    url = env["PUBLIC_BASE_URL"] + "/channels/sms/inbound"
    for text in ["how much do I owe", dob, *ASKS * rounds]:
        before = len((await http.get("/dev/outbox", params={"to": phone})).json())
        params = {"From": phone, "To": env["TWILIO_PHONE_NUMBER"], "Body": text,
                  "MessageSid": "SM" + uuid.uuid4().hex, "NumMedia": "0",
                  "AccountSid": "AC" + "0" * 32}
        t0 = time.perf_counter()
        resp = await http.post("/channels/sms/inbound", data=params, headers={
            "X-Twilio-Signature": validator.compute_signature(url, params)})
        resp.raise_for_status()
        while len((await http.get("/dev/outbox", params={"to": phone})).json()) <= before:
            await asyncio.sleep(0.05)
            if time.perf_counter() - t0 > 120:
                raise AssertionError(f"no SMS reply to {text!r}")
        times.append((time.perf_counter() - t0) * 1000)


async def phase(running: RunningCluster, conversations: int, rounds: int
                ) -> tuple[list[float], list[float], float]:
    web: list[float] = []
    sms: list[float] = []
    limits = httpx.Limits(max_connections=conversations + 20)
    async with httpx.AsyncClient(base_url=running.stack.bot_url, timeout=180,
                                 limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(
            *(web_conversation(http, i, rounds, web) for i in range(conversations)),
            *(sms_conversation(http, running, phone, dob, rounds, sms)
              for phone, dob in SMS_PATIENTS))
        return web, sms, time.perf_counter() - started


def report(label: str, running: RunningCluster, conversations: int, rounds: int) -> None:
    pids = {name: proc.pid for name, proc in running.cluster.processes.items()
            if proc.poll() is None}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    web, sms, wall = asyncio.run(phase(running, conversations, rounds))
    used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    turns = len(web) + len(sms)
    every = web + sms
    print(f"\n== {label}: {conversations} web + {len(SMS_PATIENTS)} SMS conversations, "
          f"{turns} turns in {wall:.1f} s: {turns / wall:.1f} turns/s")
    print(f"   web turn p50 {statistics.median(web):.0f} ms, p95 {pct(web, 95):.0f} ms, "
          f"p99 {pct(web, 99):.0f} ms; SMS (webhook to reply in the outbox) p50 "
          f"{statistics.median(sms):.0f} ms; all p99 {pct(every, 99):.0f} ms")
    for name, pid in pids.items():
        print(f"   {name:9s} CPU per turn {used[name] / turns * 1000:6.1f} ms   "
              f"RSS {rss_mb(pid):6.0f} MB")


def main() -> None:
    conversations = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with running_cluster(redis_url="redis://127.0.0.1:6379/7", extra_env={
            "WEB_MESSAGES_PER_SESSION_PER_MINUTE": "100000",
            "WEB_MESSAGES_PER_IP_PER_MINUTE": "100000",
            "WEB_SESSIONS_PER_IP_PER_MINUTE": "100000",
            "SMS_MESSAGES_PER_WINDOW": "100000",
            "VERIFICATION_IP_MAX_ATTEMPTS": "100000",
            "ENGINE_WEB_TIMEOUT_SECONDS": "120"}) as running:
        report("2 engines", running, conversations, rounds)
        # The same cluster with one engine: the bot workers skip the stopped one.
        running.cluster.stop("engine2", signal.SIGTERM)
        report("1 engine", running, conversations, rounds)
    print(f"\n(machine: {os.cpu_count()} cores, shared with whatever else runs)")


if __name__ == "__main__":
    main()
