"""The whole assistant as real processes (engine, actions, bot service) on free loopback ports,
with a fresh database and a real Redis. Used by integration tests and bench scripts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from tests.support.twilio_standin import StandIn, free_port, running_standin

ROOT = Path(__file__).resolve().parents[2]
# STACK_MODEL: another model to serve (benches compare configurations with it).
MODEL = Path(os.environ.get("STACK_MODEL") or ROOT / "models" / "patient-assistant.tar.gz")
READY_TIMEOUT = float(os.environ.get("STACK_READY_TIMEOUT", "300"))


@dataclass
class Stack:
    bot_url: str
    engine_url: str
    actions_url: str
    env: dict[str, str]
    workdir: Path
    twilio: StandIn
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)

    def spawn(self, name: str) -> None:
        """Starts process `name` (its log appended to)."""
        out = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        # The engine's logging configuration imports bot.privacy from the project root.
        env = {**self.env, "PYTHONPATH": str(ROOT)} if name == "engine" else self.env
        self.processes[name] = subprocess.Popen(self.commands[name], cwd=ROOT, env=env,
                                                stdout=out, stderr=subprocess.STDOUT)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the OOM killer stops a process: nothing of it runs after."""
        self.processes[name].kill()
        self.processes[name].wait(timeout=20)

    def restart(self, name: str) -> None:
        """Starts a killed process again on its port; returns once the stack is ready."""
        self.spawn(name)
        _wait_ready(self)

    @property
    def twilio_token(self) -> str:
        return self.env["TWILIO_AUTH_TOKEN"]

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- SMS -----------------------------------------------------------------------------
    def send_sms(self, phone: str, body: str, sid: str) -> httpx.Response:
        params = {"From": phone, "To": self.env["TWILIO_PHONE_NUMBER"], "Body": body,
                  "MessageSid": sid, "NumMedia": "0", "AccountSid": "AC" + "0" * 32}
        url = self.env["PUBLIC_BASE_URL"] + "/channels/sms/inbound"
        signature = RequestValidator(self.twilio_token).compute_signature(url, params)
        return httpx.post(self.bot_url + "/channels/sms/inbound", data=params,
                          headers={"X-Twilio-Signature": signature}, timeout=10)

    def outbox(self, phone: str) -> list[dict[str, str]]:
        resp = httpx.get(self.bot_url + "/dev/outbox", params={"to": phone}, timeout=10)
        resp.raise_for_status()
        return list(resp.json())

    def sms_turn(self, phone: str, body: str, sid: str, timeout: float = 30.0,
                 settle: float = 0.05) -> str:
        """Sends one SMS and waits for the reply it causes; returns the reply's text.

        `settle`: how long to wait after the first reply for the rest of a split reply.
        """
        before = len(self.outbox(phone))
        resp = self.send_sms(phone, body, sid)
        assert resp.status_code == 200, resp.text
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.outbox(phone)
            if len(rows) > before:
                time.sleep(settle)
                return "\n".join(r["body"] for r in self.outbox(phone)[before:])
            time.sleep(0.01)
        raise AssertionError(f"no SMS reply to {body!r} within {timeout}s")

    def outbox_after(self, phone: str, count: int, timeout: float = 10.0) -> list[str]:
        """Waits until the outbox holds more than `count` messages; returns the new ones."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.outbox(phone)
            if len(rows) > count:
                return [r["body"] for r in rows[count:]]
            time.sleep(0.02)
        return []

    # --- agent desk ----------------------------------------------------------------------
    def desk_login(self) -> dict[str, str]:
        resp = httpx.post(self.bot_url + "/api/desk/login", timeout=10, json={
            "email": self.env["DESK_DEMO_EMAIL"], "password": self.env["DESK_DEMO_PASSWORD"]})
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['token']}"}

    def desk(self, method: str, path: str, headers: dict[str, str], **kw: object
             ) -> httpx.Response:
        return httpx.request(method, self.bot_url + path, headers=headers, timeout=10,
                             **kw)  # type: ignore[arg-type]

    # --- web chat ------------------------------------------------------------------------
    def web_session(self) -> str:
        return self.web_session_with_id()[1]

    def web_session_with_id(self) -> tuple[str, str]:
        """(session id, token) of a new web chat session."""
        resp = httpx.post(self.bot_url + "/channels/web/sessions", timeout=10)
        resp.raise_for_status()
        return str(resp.json()["session_id"]), str(resp.json()["token"])

    def web_turn(self, token: str, text: str) -> list[dict[str, object]]:
        resp = httpx.post(self.bot_url + "/channels/web/messages", json={"text": text},
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
        resp.raise_for_status()
        return list(resp.json()["messages"])


def _wait_ready(stack: Stack) -> None:
    # The bot alone (no engine to be ready for): up once it answers at all.
    probe = "/readyz" if "engine" in stack.processes else "/healthz"
    deadline = time.monotonic() + READY_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        for name, proc in stack.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode}:\n{stack.log(name)[-3000:]}")
        try:
            resp = httpx.get(stack.bot_url + probe, timeout=5)
            if resp.status_code == 200:
                return
            last = resp.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(1)
    raise RuntimeError(f"stack not ready after {READY_TIMEOUT}s: {last}\n"
                       + "\n".join(f"--- {n}\n{stack.log(n)[-2000:]}" for n in stack.processes))


@contextmanager
def running_stack(redis_url: str = "redis://127.0.0.1:6379/14",
                  database_url: str | None = None,
                  extra_env: dict[str, str] | None = None,
                  only: tuple[str, ...] | None = None,
                  model: Path | None = None) -> Iterator[Stack]:
    """`only`: the processes to start (e.g. ("bot",) for pages that need no engine: the desk
    worked through its API); default all three. `model`: the engine's model (default MODEL)."""
    model = model or MODEL
    if (only is None or "engine" in only) and not model.exists():
        raise RuntimeError(f"{model} is missing: run `make train` first")
    workdir = Path(tempfile.mkdtemp(prefix="pa-stack-"))
    with running_standin(auth_token="stack-twilio-token") as twilio:
        with _stack(workdir, twilio, redis_url, database_url, extra_env or {},
                    only, model) as stack:
            yield stack


@contextmanager
def _stack(workdir: Path, twilio: StandIn, redis_url: str, database_url: str | None,
           extra_env: dict[str, str], only: tuple[str, ...] | None = None,
           model: Path = MODEL) -> Iterator[Stack]:
    engine_port, actions_port, bot_port = free_port(), free_port(), free_port()
    bot_url = f"http://127.0.0.1:{bot_port}"
    env = {
        **os.environ,
        "APP_ENV_FILE": "",
        "APP_ENV": "test",
        "PUBLIC_BASE_URL": bot_url,
        "DATABASE_URL": database_url or f"sqlite:///{workdir / 'app.db'}",
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": "stack-twilio-token",
        # The real twilio client, pointed at the local stand-in.
        "TWILIO_ACCOUNT_SID": "ACstackstandin",
        "TWILIO_API_BASE_URL": twilio.base_url,
        "TWILIO_PHONE_NUMBER": "+15555550100",
        "ENGINE_URL": f"http://127.0.0.1:{engine_port}",
        "ENGINE_TOKEN": "stack-engine-token",
        "ACTIONS_URL": f"http://127.0.0.1:{actions_port}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "ACTIONS_TOKEN": "stack-actions-token",
        "ENGINE_TRACKER_DB": str(workdir / "tracker.db"),
        "BACKOFFICE_URL": bot_url,
        "BACKOFFICE_TOKEN": "stack-backoffice-token",
        "SANIC_HOST": "127.0.0.1",
        "DESK_DEMO_EMAIL": "agent@example.org",
        "DESK_DEMO_PASSWORD": "stack-desk-password",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    venv = ROOT / ".venv" / "bin"
    subprocess.run([str(venv / "alembic"), "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([str(venv / "python"), "-m", "bot.demo.seed", "--force"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    subprocess.run([str(venv / "python"), "-m", "bot.demo.desk"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    commands = {
        "actions": [str(venv / "python"), "-m", "actions.server", "--actions", "actions",
                    "-p", str(actions_port)],
        # scripts/engine.py fills endpoints.yml's tracker and lock store variables, then
        # becomes the Rasa process (same pid).
        "engine": [str(ROOT / ".venv-engine" / "bin" / "python"), "scripts/engine.py", "run",
                   # redacted as the bot's logs are (bot.privacy.logs, on PYTHONPATH)
                   "--logging-config-file", "engine-logging.yml",
                   # the API token from ENGINE_TOKEN (env), out of the command line
                   "--enable-api", "-i", "127.0.0.1", "-p", str(engine_port),
                   "--model", str(model), "--endpoints", "endpoints.yml",
                   "--credentials", "credentials.yml"],
        "bot": [str(venv / "uvicorn"), "--factory", "bot.main:create_app", "--host", "127.0.0.1",
                "--port", str(bot_port), "--no-access-log", "--no-proxy-headers"],
    }
    stack = Stack(bot_url=bot_url, engine_url=env["ENGINE_URL"], actions_url=env["ACTIONS_URL"],
                  env=env, workdir=workdir, twilio=twilio, commands=commands)
    try:
        for name in commands:
            if only is None or name in only:
                stack.spawn(name)
        print(f"stack: waiting for engine, actions and bot (logs in {workdir})", file=sys.stderr)
        _wait_ready(stack)
        yield stack
    finally:
        for proc in stack.processes.values():
            proc.terminate()
        for proc in stack.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
