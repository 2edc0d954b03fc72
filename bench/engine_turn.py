"""The engine's own cost per turn with a given model: CPU (user + system, from /proc) and
latency of turns sent straight to its REST channel, and the model file's size.

Starts engine, actions and bot as real processes (as the integration tests do) on MODEL, then
runs ROUNDS rounds of two short SMS conversations, each in a new conversation: one in English
(Maria Lopez: greeting, balance, date of birth, appointment, refill, thanks) and one in
Spanish (Rosa Martínez, the same requests). The engine's CPU is read before and after each
language's turns and divided by them; the action server's and the bot service's (which
answers the actions' back-office calls) are printed beside it. Last, NLU alone: the same
texts through the engine's /model/parse, CPU per parse.

Compare models on the English turns: a model trained without the Spanish examples reads the
Spanish turns as other intents, so its Spanish figures measure other paths.

Usage: .venv/bin/python bench/engine_turn.py [MODEL] [ROUNDS]
         (default models/patient-assistant.tar.gz, 10 rounds)
       .venv/bin/python bench/engine_turn.py --english-only DIR
         writes config.yml, domain.yml and data/ into DIR with the Spanish NLU examples left
         out (the sections under a "# es:" comment in data/nlu/*.yml), to train a model to
         compare with: .venv-engine/bin/rasa train --config DIR/config.yml
         --domain DIR/domain.yml --data DIR/data --out DIR/models
STACK_REDIS_URL: the Redis db the stack uses (flushed; default redis://127.0.0.1:6379/13).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.engine_cpu import cpu_seconds  # noqa: E402
from bench.flows import pct  # noqa: E402
from tests.support.stack import MODEL, ROOT, Stack, running_stack  # noqa: E402

# (phone on file, turns): each round runs both, each in a new conversation.
CONVERSATIONS: dict[str, tuple[str, list[str]]] = {
    "en": ("+15555550101", ["hi", "how much do I owe", "03/12/1984",
                            "when is my next appointment", "is my refill ready", "thanks"]),
    "es": ("+15555550104", ["hola", "cuánto debo", "30/09/1968", "cuándo es mi próxima cita",
                            "ya está lista mi receta", "gracias"]),
}
# A Spanish section of an NLU file starts at this comment and ends at the next top-level
# comment (the file's next section) or at the end of the file.
SPANISH_SECTION = re.compile(r"^# es:")
TOP_LEVEL_COMMENT = re.compile(r"^#")


def without_spanish(text: str) -> str:
    """An NLU file's text with its Spanish sections left out."""
    kept: list[str] = []
    spanish = False
    for line in text.splitlines(keepends=True):
        if SPANISH_SECTION.match(line):
            spanish = True
        elif TOP_LEVEL_COMMENT.match(line):
            spanish = False
        if not spanish:
            kept.append(line)
    return "".join(kept)


def write_english_only(target: Path) -> None:
    """The project's training inputs in `target`, with no Spanish NLU examples."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, target / name)
    shutil.rmtree(target / "data", ignore_errors=True)
    shutil.copytree(ROOT / "data", target / "data")
    dropped = 0
    for path in sorted((target / "data" / "nlu").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        english = without_spanish(text)
        dropped += text.count("\n    - ") - english.count("\n    - ")
        path.write_text(english, encoding="utf-8")
    print(f"{target}: training data without {dropped} Spanish examples")


class Engine:
    """The engine's REST channel and NLU endpoint, over one keep-alive client."""

    def __init__(self, stack: Stack) -> None:
        self.http = httpx.Client(base_url=stack.engine_url, timeout=60)
        self.token = stack.env["ENGINE_TOKEN"]

    def turn(self, sender: str, phone: str, text: str) -> list[str]:
        resp = self.http.post("/webhooks/rest/webhook", json={
            "sender": sender, "message": text, "metadata": {"channel": "sms", "phone": phone}})
        resp.raise_for_status()
        return [str(m.get("text", "")) for m in resp.json()]

    def parse(self, text: str) -> str:
        resp = self.http.post("/model/parse", params={"token": self.token}, json={"text": text})
        resp.raise_for_status()
        return str(resp.json()["intent"]["name"])


def measure(model: Path, rounds: int) -> None:
    size = model.stat().st_size
    print(f"model {model}: {size / 1e6:.2f} MB ({size} bytes)")
    redis_url = os.environ.get("STACK_REDIS_URL") or "redis://127.0.0.1:6379/13"
    started = time.monotonic()
    with running_stack(redis_url=redis_url, model=model) as stack:
        print(f"stack ready in {time.monotonic() - started:.1f} s (model load included)")
        engine = Engine(stack)
        pids = {name: proc.pid for name, proc in stack.processes.items()}
        for language, (phone, texts) in CONVERSATIONS.items():  # warm up both paths once
            for text in texts:
                engine.turn(f"sms:warm-{language}", phone, text)
        for language, (phone, texts) in CONVERSATIONS.items():
            times: list[float] = []
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            for r in range(rounds):
                sender = f"sms:bench-{uuid.uuid4().hex[:10]}"
                for text in texts:
                    t0 = time.perf_counter()
                    engine.turn(sender, phone, text)
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"  {language} round {r + 1}/{rounds}", file=sys.stderr)
            used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
            n = len(times)
            print(f"{language} turns, n={n}: engine CPU {used['engine'] / n * 1000:.1f} ms/turn "
                  f"(actions {used['actions'] / n * 1000:.1f}, bot {used['bot'] / n * 1000:.1f}); "
                  f"latency p50 {statistics.median(times):.0f} ms, p95 {pct(times, 95):.0f} ms")
        for language, (_, texts) in CONVERSATIONS.items():
            before_cpu = cpu_seconds(pids["engine"])
            intents = [engine.parse(text) for _ in range(rounds) for text in texts]
            per_parse = (cpu_seconds(pids["engine"]) - before_cpu) / len(intents) * 1000
            print(f"{language} NLU only, n={len(intents)}: engine CPU {per_parse:.1f} ms/parse; "
                  f"intents: {', '.join(engine.parse(t) for t in texts)}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--english-only":
        write_english_only(Path(sys.argv[2]))
        return
    model = Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    measure(model.resolve(), rounds)


if __name__ == "__main__":
    main()
