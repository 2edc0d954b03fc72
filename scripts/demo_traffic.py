"""Synthetic conversations through the running assistant, so the Insights page has data.

    .venv/bin/python scripts/demo_traffic.py [--conversations 300] [--seed 7] [--population 80]
                                             [--base-url URL]

Both channels (web chat through its API; SMS through the signed Twilio webhook, replies read
from the dev outbox), every outcome (resolved by the bot, with an agent, escalated, abandoned,
short abandons, informational), handoffs accepted, answered and closed by the demo agent
through the desk API (some asking for the date of birth the context already holds, to show
repeat-yourself), an emergency, and outreach when `bot.outreach` is there. The seed picks the
same conversations in the same order every time; the numbers then depend only on the model.

The patients: the three of DESIGN.md and a synthetic population (`--population`, added to the
dev back office by `python -m bot.demo.seed --population N`, see
bot/demo/population.py). Each conversation is about something its patient has (a bill,
an appointment ahead, a prescription), and a patient comes back about the same thing only
now and then (`REPEAT_SHARE`): with three patients every resolved request would be followed
by a same-topic contact within minutes, and containment would read ~2 %.
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

from bot.demo.population import Person, plan_population

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Who:
    name: str
    dob: str  # as a patient types it
    zip: str
    phone: str
    topics: tuple[str, ...]  # what they have to ask about


# DESIGN.md's three: Aisha has no appointment ahead and no prescription.
PATIENTS = {
    "maria": Who("Maria Lopez", "03/12/1984", "02139", "+15555550101",
                 ("billing", "appointments", "refills")),
    "james": Who("James Carter", "11/02/1975", "10001", "+15555550102",
                 ("billing", "appointments", "refills")),
    "aisha": Who("Aisha Khan", "07/25/1992", "60614", "+15555550103", ("billing",)),
}
DEFAULT_POPULATION = 80
# The share of patient conversations that come back to something the same patient already
# asked about in this run (same topic): the repeat contacts containment and FCR look for.
REPEAT_SHARE = 0.1


def who_of(person: Person) -> Who:
    return Who(person.full_name, person.date_of_birth.strftime("%m/%d/%Y"), person.zip_code,
               person.phone, person.topics)


def population(count: int) -> dict[str, Who]:
    """The three and the synthetic population the back office holds (same plan, same seed)."""
    return {**PATIENTS, **{p.mrn: who_of(p) for p in plan_population(count)}}
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
# The insights' topics (bot.insights.enums.TASK_TOPIC) and the requests about each.
TOPIC_TASKS = {"billing": ("balance", "charges", "pay"), "appointments": ("appointments",),
               "refills": ("refill_status",)}
PERSON = ["I want to talk to a person", "can I speak to a human", "agent please"]
EMERGENCY = ["I have crushing chest pain right now"]
AGENT_OPENERS = ["Hi, this is the billing team. How can I help you today?",
                 "Hello! Can you confirm your date of birth for me?",
                 "Hi, I can see your account here. Let me look into this for you.",
                 "Hi there, I have your details. One moment while I check."]


WEB_SESSION_TRIES = 10


def retry_after(resp: httpx.Response, default: float = 10.0) -> float:
    """The seconds a 429 asks to wait (at most a minute)."""
    try:
        return min(60.0, max(1.0, float(resp.headers.get("Retry-After", default))))
    except ValueError:
        return default


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
        # The web chat lets one address open WEB_SESSIONS_PER_IP_PER_MINUTE sessions a minute
        # (30), and all the demo's come from here: wait as it asks, as a polite client would.
        for _ in range(WEB_SESSION_TRIES):
            resp = httpx.post(self.base_url + "/channels/web/sessions", timeout=10)
            if resp.status_code != 429:
                break
            time.sleep(retry_after(resp) + self.rng.uniform(0, 5))
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


def verify_web(say: Callable[[str], list[dict[str, object]]], who: Who) -> None:
    for answer in (who.name, who.dob, who.zip):
        say(answer)


@dataclass(frozen=True)
class Conversation:
    """One planned conversation: its kind, its own seed (the wording), and for those about a
    patient's records, whose (a key of the people) and what about (a topic)."""

    kind: str
    seed: int
    patient: str | None = None
    topic: str | None = None
    verified: bool = True  # web_handoff: verified first, or straight to a person


def scenario(demo: Demo, conv: Conversation, people: dict[str, Who]) -> None:
    rng = demo.rng
    kind = conv.kind
    who = people[conv.patient] if conv.patient else None
    if kind == "web_task" and who is not None and conv.topic:
        say = demo.web()
        say(rng.choice(TASKS[rng.choice(TOPIC_TASKS[conv.topic])]))
        verify_web(say, who)
        if rng.random() < 0.3:
            say("thanks, bye")
    elif kind == "web_abandon":
        say = demo.web()
        say(rng.choice(TASKS[rng.choice(list(TASKS))]))
        if rng.random() < 0.4:  # gives a name, then leaves after a while (not a short abandon)
            time.sleep(31 * demo.pace)
            say(people[rng.choice(sorted(people))].name)
    elif kind == "web_info":
        say = demo.web()
        say(rng.choice(GREETINGS))
        say(rng.choice(CAPABILITIES + OUT_OF_SCOPE))
    elif kind == "web_handoff":
        say = demo.web()
        if who is not None:
            say(rng.choice(TASKS["balance"]))
            verify_web(say, who)
        say(rng.choice(PERSON))
        handoff = demo.handoff_of()
        if handoff is None:
            return
        roll = rng.random()
        if roll < 0.12:
            return  # nobody takes it: waits, then counts as left the queue
        close = "resolved" if roll < 0.75 else "follow_up" if roll < 0.92 else None
        ask_dob = who is not None and rng.random() < 0.35
        demo.agent_works(handoff, close, ask_dob)
        if who is not None and rng.random() < 0.2:
            say(who.dob)  # re-sends what the agent already has
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
    elif kind == "sms_known" and who is not None and conv.topic:
        text = demo.sms(who.phone)
        text(rng.choice(TASKS[rng.choice(TOPIC_TASKS[conv.topic])]))
        text(who.dob)


MIX = [("web_task", 34), ("web_abandon", 14), ("web_info", 14), ("web_handoff", 16),
       ("emergency", 1), ("sms_unknown", 17), ("sms_known", 4)]
# The kinds about a patient's records, and the topics each may be about.
ABOUT_A_PATIENT = {"web_task": ("billing", "appointments", "refills"),
                   "web_handoff": ("billing",), "sms_known": ("billing", "appointments")}
VERIFIED_HANDOFFS = 0.7


class Deck:
    """Who asks about what: every (patient, topic) the people have, shuffled, dealt once;
    a share of draws (and every draw once the deck is spent) goes back to a pair already
    dealt, as a patient coming back about the same thing."""

    def __init__(self, people: dict[str, Who], rng: random.Random) -> None:
        self.rng = rng
        self.fresh = [(key, topic) for key in sorted(people) for topic in people[key].topics]
        rng.shuffle(self.fresh)
        self.dealt: list[tuple[str, str]] = []

    def draw(self, topics: tuple[str, ...]) -> tuple[str, str]:
        again = [p for p in self.dealt if p[1] in topics]
        if again and self.rng.random() < REPEAT_SHARE:
            return self.rng.choice(again)
        for i, pair in enumerate(self.fresh):
            if pair[1] in topics:
                self.dealt.append(self.fresh.pop(i))
                return pair
        if not again:
            raise ValueError(f"nobody has anything to ask about {topics}")
        return self.rng.choice(again)


def plan(conversations: int, seed: int, people: dict[str, Who] | None = None
         ) -> list[Conversation]:
    """The run, from the seed alone: the same conversations in the same order every time."""
    people = people if people is not None else PATIENTS
    rng = random.Random(seed)
    deck = Deck(people, random.Random(seed + 1))
    kinds = [k for k, w in MIX for _ in range(w)]
    planned = []
    for _ in range(conversations):
        kind, own_seed = rng.choice(kinds), rng.randrange(2**31)
        verified = kind != "web_handoff" or rng.random() < VERIFIED_HANDOFFS
        if kind in ABOUT_A_PATIENT and verified:
            patient, topic = deck.draw(ABOUT_A_PATIENT[kind])
            planned.append(Conversation(kind, own_seed, patient, topic))
        else:
            planned.append(Conversation(kind, own_seed, verified=verified))
    return planned


def repeats(planned: list[Conversation]) -> int:
    """Conversations about a (patient, topic) an earlier one in the run was about."""
    seen: set[tuple[str, str]] = set()
    count = 0
    for conv in planned:
        if conv.patient and conv.topic:
            count += (conv.patient, conv.topic) in seen
            seen.add((conv.patient, conv.topic))
    return count


# How patients answer an appointment reminder: about half confirm ("1"), a few opt out, the
# rest never answer (reminders go out 08:00-21:00 clinic time: outside it there is nothing to
# answer yet, and a later `make demo-traffic` answers what went out since).
REMINDER = "reminder of your appointment"
CONFIRM_SHARE, STOP_SHARE = 0.55, 0.03


def reply_to_reminder(seed: int, phone: str) -> str | None:
    """The patient's answer, from the seed and the number alone."""
    roll = random.Random(f"{seed}:{phone}").random()
    return "1" if roll < CONFIRM_SHARE else "STOP" if roll < CONFIRM_SHARE + STOP_SHARE \
        else None


def answer_reminders(demo: Demo, people: dict[str, Who], seed: int) -> Counter[str]:
    """Each patient with a reminder in the outbox, not answered yet, answers it (or not)."""
    answered: Counter[str] = Counter()
    for key in sorted(people):
        phone = people[key].phone
        rows = [str(r.get("body") or "") for r in demo.outbox(phone)]
        if not any(REMINDER in body for body in rows) or len(rows) > sum(
                REMINDER in body for body in rows):
            continue  # no reminder, or the conversation already went on (answered before)
        reply = reply_to_reminder(seed, phone)
        if reply is not None:
            demo.sms(phone)(reply)
            answered[reply] += 1
    return answered


def seed_population(env: dict[str, str], count: int) -> dict[str, Who]:
    """Adds the synthetic population to the dev back office (idempotent); the three alone
    when that is refused (APP_ENV is not dev) or fails."""
    if count <= 0:
        return dict(PATIENTS)
    proc = subprocess.run([sys.executable, "-m", "bot.demo.seed", "--population",
                           str(count)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    print((proc.stdout + proc.stderr).strip() or "seed: (no output)")
    if proc.returncode != 0:
        print("population: not seeded, the conversations use the three demo patients only")
        return dict(PATIENTS)
    return population(count)


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
    merged = {**values, **{k: v for k, v in os.environ.items() if k in values or k.isupper()}}
    if not merged.get("REDIS_URL"):
        # As scripts/run.sh: no REDIS_URL means `make run` started its embedded Redis. The
        # outreach run below must offer its choices there, or a reply "1" is not understood.
        merged["REDIS_URL"] = (f"redis://127.0.0.1:{merged.get('EMBEDDED_REDIS_PORT', '6390')}"
                               "/0")
    return merged


# The run takes minutes (the web chat's per-address limits pace it): a line every so often.
PROGRESS_EVERY = 25


def run(base_url: str, env: dict[str, str], conversations: int, seed: int, workers: int = 4,
        pace: float = 1.0, people: dict[str, Who] | None = None) -> Counter[str]:
    base = dict(base_url=base_url.rstrip("/"),
                public_url=env.get("PUBLIC_BASE_URL", base_url).rstrip("/"),
                twilio_token=env["TWILIO_AUTH_TOKEN"],
                twilio_number=env.get("TWILIO_PHONE_NUMBER", "+15555550100").split(",")[0],
                desk_email=env.get("DESK_DEMO_EMAIL", "agent@example.org"),
                desk_password=env["DESK_DEMO_PASSWORD"], pace=pace)
    done: Counter[str] = Counter()

    people = people if people is not None else dict(PATIENTS)

    def one(conv: Conversation) -> None:
        try:
            scenario(Demo(rng=random.Random(conv.seed), **base), conv, people)  # type: ignore[arg-type]
            done[conv.kind] += 1
        except httpx.HTTPError as exc:
            done["failed"] += 1
            print(f"  {conv.kind}: {type(exc).__name__}: {exc}", file=sys.stderr)
        finished = sum(done.values())
        if finished % PROGRESS_EVERY == 0 or finished == conversations:
            print(f"  {finished} of {conversations} conversations "
                  f"({done['failed']} failed)", flush=True)

    planned = plan(conversations, seed, people)
    print(f"{len(people)} patients; {repeats(planned)} of "
          f"{sum(c.patient is not None for c in planned)} patient conversations come back to "
          "a topic the same patient asked about earlier in the run")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, planned))
    try:
        replies = answer_reminders(Demo(rng=random.Random(seed), **base), people, seed)  # type: ignore[arg-type]
        print("answers to reminders: " + (", ".join(f"{k} {v}" for k, v in sorted(
            replies.items())) or "none (no reminder waiting for an answer)"))
    except httpx.HTTPError as exc:
        print(f"answers to reminders: {type(exc).__name__}: {exc}", file=sys.stderr)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--population", type=int, default=DEFAULT_POPULATION,
                        help="synthetic patients next to the demo three (0: the three only)")
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
    people = seed_population({**os.environ, **env}, args.population)
    print(outreach({**os.environ, **env}))
    done = run(base_url, env, args.conversations, args.seed, args.workers, people=people)
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
