"""Synthetic conversations through the running assistant, so the Insights page has data.

    .venv/bin/python scripts/demo_traffic.py [--conversations 300] [--seed 7] [--base-url URL]

Both channels (web chat through its API; SMS through the signed Twilio webhook, replies read
from the dev outbox), every outcome (resolved by the bot, with an agent, escalated, abandoned,
short abandons, informational), handoffs accepted, answered and closed by the demo agent
through the desk API (some asking for the date of birth the context already holds, to show
repeat-yourself), an emergency, and outreach when `bot.outreach` is there. The seed picks the
same conversations in the same order every time; the numbers then depend only on the model.
Reads `.env` (PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, DESK_DEMO_EMAIL / DESK_DEMO_PASSWORD), like
`make run` writes it. The demo people are synthetic (DESIGN.md).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent

PATIENTS = {
    "maria": {"name": "Maria Lopez", "dob": "03/12/1984", "zip": "02139", "phone": "+15555550101"},
    "james": {"name": "James Carter", "dob": "11/02/1975", "zip": "10001",
              "phone": "+15555550102"},
    "aisha": {"name": "Aisha Khan", "dob": "07/25/1992", "zip": "60614", "phone": "+15555550103"},
}
GREETINGS = ["hi", "hello there", "good morning", "hey"]
CAPABILITIES = ["what can you do?", "what can you help me with", "what are you able to do"]
OUT_OF_SCOPE = ["what's the weather tomorrow", "recommend a good pizza place",
                "can you book me a flight to Denver", "who won the game last night"]
TASKS = {
    "balance": ["how much do I owe", "what's my balance", "how much is my bill"],
    "appointments": ["when is my next appointment", "do I have any appointments coming up"],
    "refill_status": ["what's the status of my refill", "is my prescription refill ready"],
    "charges": ["why was I charged for lab work", "what is this charge on my bill"],
    "pay": ["I want to pay my bill", "how can I pay my balance"],
}
PERSON = ["I want to talk to a person", "can I speak to a human", "agent please"]
EMERGENCY = ["I have crushing chest pain right now"]
AGENT_OPENERS = ["Hi, this is the billing team. How can I help you today?",
                 "Hello! Can you confirm your date of birth for me?",
                 "Hi, I can see your account here. Let me look into this for you.",
                 "Hi there, I have your details. One moment while I check."]


@dataclass
class Demo:
    base_url: str
    public_url: str
    twilio_token: str
    twilio_number: str
    desk_email: str
    desk_password: str
    rng: random.Random
    pace: float = 1.0
    conversation_id: str = ""
    _desk: dict[str, str] | None = None

    # --- channels --------------------------------------------------------------------------
    def web(self) -> Callable[[str], list[dict[str, object]]]:
        resp = httpx.post(self.base_url + "/channels/web/sessions", timeout=10)
        resp.raise_for_status()
        token = resp.json()["token"]
        self.conversation_id = "web:" + str(resp.json()["session_id"])

        def say(text: str) -> list[dict[str, object]]:
            r = httpx.post(self.base_url + "/channels/web/messages", json={"text": text},
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)
            r.raise_for_status()
            return list(r.json()["messages"])
        return say

    def sms(self, phone: str) -> Callable[[str], str]:
        def say(text: str) -> str:
            before = len(self.outbox(phone))
            params = {"From": phone, "To": self.twilio_number, "Body": text,
                      "MessageSid": f"SM{self.rng.getrandbits(128):032x}",
                      "NumMedia": "0", "AccountSid": "AC" + "0" * 32}
            url = self.public_url + "/channels/sms/inbound"
            signature = RequestValidator(self.twilio_token).compute_signature(url, params)
            r = httpx.post(self.base_url + "/channels/sms/inbound", data=params, timeout=30,
                           headers={"X-Twilio-Signature": signature})
            r.raise_for_status()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                rows = self.outbox(phone)
                if len(rows) > before:
                    return "\n".join(str(row["body"]) for row in rows[before:])
                time.sleep(0.05)
            return ""
        return say

    def outbox(self, phone: str) -> list[dict[str, object]]:
        r = httpx.get(self.base_url + "/dev/outbox", params={"to": phone}, timeout=10)
        r.raise_for_status()
        return list(r.json())

    # --- the desk --------------------------------------------------------------------------
    def desk(self) -> dict[str, str]:
        if self._desk is None:
            r = httpx.post(self.base_url + "/api/desk/login", timeout=10,
                           json={"email": self.desk_email, "password": self.desk_password})
            r.raise_for_status()
            self._desk = {"Authorization": f"Bearer {r.json()['token']}"}
        return self._desk

    def handoff_of(self) -> int | None:
        """The waiting handoff this conversation just raised (newest first)."""
        r = httpx.get(self.base_url + "/api/desk/handoffs", headers=self.desk(), timeout=10)
        r.raise_for_status()
        for handoff_id in sorted((h["id"] for h in r.json() if h["status"] == "waiting"),
                                 reverse=True):
            detail = httpx.get(f"{self.base_url}/api/desk/handoffs/{handoff_id}",
                               headers=self.desk(), timeout=10)
            if detail.status_code == 200 and \
                    detail.json()["context"].get("conversation_id") == self.conversation_id:
                return int(handoff_id)
        return None

    def agent_works(self, handoff_id: int, close: str | None, ask_dob: bool) -> None:
        d = self.desk()
        base = f"{self.base_url}/api/desk/handoffs/{handoff_id}"
        time.sleep(self.rng.uniform(0.5, 3.0) * self.pace)  # time to accept
        if httpx.post(base + "/accept", headers=d, timeout=10).status_code != 200:
            return
        httpx.get(base, headers=d, timeout=10)  # the agent opens it (audited)
        opener = AGENT_OPENERS[1] if ask_dob else self.rng.choice(
            [AGENT_OPENERS[0], AGENT_OPENERS[2], AGENT_OPENERS[3]])
        httpx.post(base + "/messages", headers=d, json={"text": opener}, timeout=10)
        time.sleep(self.rng.uniform(0.5, 2.0) * self.pace)
        httpx.post(base + "/messages", headers=d, timeout=10,
                   json={"text": "All sorted on my side. Anything else I can help with?"})
        if close is None:
            return
        body: dict[str, object] = {"disposition": close}
        if close == "follow_up":
            body["follow_up"] = {"what": "Call back about the billing question",
                                 "due_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
        httpx.post(base + "/close", headers=d, json=body, timeout=10)


def verify_web(say: Callable[[str], list[dict[str, object]]], who: dict[str, str]) -> None:
    for answer in (who["name"], who["dob"], who["zip"]):
        say(answer)


def scenario(demo: Demo, kind: str) -> None:
    rng = demo.rng
    if kind == "web_task":
        say = demo.web()
        who = PATIENTS[rng.choice(["maria", "james", "maria", "aisha"])]
        task = rng.choice(list(TASKS))
        say(rng.choice(TASKS[task]))
        verify_web(say, who)
        if rng.random() < 0.3:
            say("thanks, bye")
    elif kind == "web_abandon":
        say = demo.web()
        say(rng.choice(TASKS[rng.choice(list(TASKS))]))
        if rng.random() < 0.4:  # gives a name, then leaves after a while (not a short abandon)
            time.sleep(31 * demo.pace)
            say(PATIENTS[rng.choice(list(PATIENTS))]["name"])
    elif kind == "web_info":
        say = demo.web()
        say(rng.choice(GREETINGS))
        say(rng.choice(CAPABILITIES + OUT_OF_SCOPE))
    elif kind == "web_handoff":
        say = demo.web()
        verified = rng.random() < 0.7
        if verified:
            say(rng.choice(TASKS["balance"]))
            verify_web(say, PATIENTS[rng.choice(["maria", "james"])])
        say(rng.choice(PERSON))
        handoff = demo.handoff_of()
        if handoff is None:
            return
        roll = rng.random()
        if roll < 0.12:
            return  # nobody takes it: waits, then counts as left the queue
        close = "resolved" if roll < 0.75 else "follow_up" if roll < 0.92 else None
        ask_dob = verified and rng.random() < 0.35
        demo.agent_works(handoff, close, ask_dob)
        if verified and rng.random() < 0.2:
            say(PATIENTS["maria"]["dob"])  # re-sends what the agent already has
    elif kind == "emergency":
        say = demo.web()
        say(EMERGENCY[0])
        handoff = demo.handoff_of()
        if handoff is not None:
            demo.agent_works(handoff, "resolved", ask_dob=False)
    elif kind == "sms_unknown":
        text = demo.sms(f"+1555777{rng.randrange(10_000):04d}")
        text(rng.choice(GREETINGS + OUT_OF_SCOPE + TASKS["balance"]))
        if rng.random() < 0.3:
            text(rng.choice(CAPABILITIES))
    elif kind == "sms_known":
        who = PATIENTS[rng.choice(["maria", "james"])]
        text = demo.sms(who["phone"])
        text(rng.choice(TASKS["balance"] + TASKS["appointments"]))
        text(who["dob"])


MIX = [("web_task", 34), ("web_abandon", 14), ("web_info", 14), ("web_handoff", 16),
       ("emergency", 1), ("sms_unknown", 17), ("sms_known", 4)]


def plan(conversations: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    return [(rng.choice(kinds), rng.randrange(2**31)) for _ in range(conversations)]


def outreach(env: dict[str, str]) -> str:
    """Plans and sends what outreach has due now (F's `python -m bot.outreach run`)."""
    if not (ROOT / "bot" / "outreach" / "__main__.py").exists():
        return "outreach: not available"
    proc = subprocess.run([sys.executable, "-m", "bot.outreach", "run"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    return f"outreach: exit {proc.returncode} {proc.stdout.strip()[-200:]}"


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.strip().startswith("#"):
                values[key.strip()] = value.strip().strip('"').strip("'")
    return {**values, **{k: v for k, v in os.environ.items() if k in values or k.isupper()}}


def run(base_url: str, env: dict[str, str], conversations: int, seed: int, workers: int = 4,
        pace: float = 1.0) -> Counter[str]:
    base = dict(base_url=base_url.rstrip("/"),
                public_url=env.get("PUBLIC_BASE_URL", base_url).rstrip("/"),
                twilio_token=env["TWILIO_AUTH_TOKEN"],
                twilio_number=env.get("TWILIO_PHONE_NUMBER", "+15555550100").split(",")[0],
                desk_email=env.get("DESK_DEMO_EMAIL", "agent@example.org"),
                desk_password=env["DESK_DEMO_PASSWORD"], pace=pace)
    done: Counter[str] = Counter()

    def one(item: tuple[str, int]) -> None:
        kind, conversation_seed = item
        try:
            scenario(Demo(rng=random.Random(conversation_seed), **base), kind)  # type: ignore[arg-type]
            done[kind] += 1
        except httpx.HTTPError as exc:
            done["failed"] += 1
            print(f"  {kind}: {type(exc).__name__}: {exc}", file=sys.stderr)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, plan(conversations, seed)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args()
    env = read_env(ROOT / ".env")
    base_url = args.base_url or env.get("PUBLIC_BASE_URL", "http://localhost:8000")
    try:
        httpx.get(base_url + "/readyz", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        sys.exit(f"The assistant is not ready at {base_url} ({exc}). Start it with `make run` "
                 "in another terminal, then run this again.")
    started = time.monotonic()
    print(f"demo traffic: {args.conversations} conversations, seed {args.seed}, {base_url}")
    print(outreach({**os.environ, **env}))
    done = run(base_url, env, args.conversations, args.seed, args.workers)
    print(f"done in {time.monotonic() - started:.0f}s: " +
          ", ".join(f"{k} {v}" for k, v in sorted(done.items())))
    time.sleep(3)  # the action server's last task reports
    print(headline(base_url, env))
    print(f"Insights: {base_url}/desk/insights (sign in as {env.get('DESK_DEMO_EMAIL')})")


def headline(base_url: str, env: dict[str, str]) -> str:
    """Today's numbers as the Insights page shows them."""
    r = httpx.post(base_url + "/api/desk/login", timeout=10, json={
        "email": env.get("DESK_DEMO_EMAIL", "agent@example.org"),
        "password": env["DESK_DEMO_PASSWORD"]})
    r.raise_for_status()
    s = httpx.get(base_url + "/api/insights/summary", timeout=60,
                  headers={"Authorization": f"Bearer {r.json()['token']}"}).json()
    rates = ", ".join(f"{k} {'-' if v is None else f'{v:.1%}'}" for k, v in s["rates"].items())
    outcomes = ", ".join(f"{k} {v}" for k, v in s["outcomes"].items())
    q = s["queue"]
    reasons = {k: v["count"] for k, v in s["escalation"]["by_reason"].items()}
    return (f"today: {s['episodes']} episodes ({s['by_channel']}); {outcomes}; "
            f"{s['abandoned_short']} short abandons\nrates: {rates}\n"
            f"escalation by reason: {reasons}; "
            f"repeat-yourself items: {s['repeat_yourself']['by_item']}\n"
            f"queue: time to accept median {q['time_to_accept_seconds']['median']} s, "
            f"agent handle median {q['agent_handle_seconds']['median']} s, "
            f"left the queue {q['abandoned_in_queue']['count']}; bot handle median "
            f"{s['bot_handle_seconds']['median']} s; fallbacks {s['quality']['fallbacks']} of "
            f"{s['quality']['turns']} turns")


if __name__ == "__main__":
    main()
