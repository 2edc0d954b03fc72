"""Safe to run for real, through the real processes: bad input never 500s nor
reaches a log, a signed SMS without `To` is refused, proxy headers count only from a configured
load balancer, a production start refuses unsafe settings and says what an empty database
needs, and after real conversations no process's log holds a secret or a demo patient's
details."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis
import websockets
from twilio.request_validator import RequestValidator

from tests.conftest import migrate
from tests.support.stack import ROOT, Stack
from tests.support.twilio_standin import free_port

pytestmark = pytest.mark.integration

# Every credential a test run of the stack hands out, gathered as the tests go.
ISSUED: set[str] = set()
SURROGATE = b'"\\ud800"'  # a JSON string holding a lone surrogate
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|SALT|KEY)$")
# The demo patients' details (DESIGN.md), as a log line could hold them.
PATIENT_DETAILS = [
    r"James\s+Carter", r"Maria\s+Lopez", r"Aisha\s+Khan", r"\bCarter\b", r"\bLopez\b",
    r"1975-11-02", r"11/0?2/1975", r"1984-03-12", r"0?3/12/1984", r"1992-07-25",
    r"(?<![\d:])10001(?!\d)", r"(?<![\d:])02139(?!\d)", r"(?<![\d:])60614(?!\d)",
    r"5555550101", r"5555550102", r"5555550103", r"555-555-0101",
]


def texts(messages: list[dict[str, object]]) -> str:
    return " ".join(str(m["text"]) for m in messages)


def raw_json(stack: Stack, path: str, body: bytes, headers: dict[str, str] | None = None
             ) -> httpx.Response:
    return httpx.post(stack.bot_url + path, content=body, timeout=30,
                      headers={"Content-Type": "application/json", **(headers or {})})


def web_session(stack: Stack) -> str:
    token = stack.web_session()
    ISSUED.add(token)
    return token


def test_bad_input_never_500s_nor_reaches_a_log(stack: Stack) -> None:
    login = raw_json(stack, "/api/desk/login",
                     b'{"email": "agent@example.org", "password": ' + SURROGATE + b"}")
    assert login.status_code == 400
    assert "could not be read" in login.json()["detail"]

    token = web_session(stack)
    patient = raw_json(stack, "/channels/web/messages",
                       b'{"text": "I am James Carter born 11/02/1975 \\ud800"}',
                       {"Authorization": f"Bearer {token}"})
    assert patient.status_code == 400
    assert "could not be read" in patient.json()["detail"]
    # A valid emoji (a surrogate pair in JSON) is fine.
    fine = raw_json(stack, "/channels/web/messages", b'{"text": "hi \\ud83d\\ude00"}',
                    {"Authorization": f"Bearer {token}"})
    assert fine.status_code == 200

    # A real handoff, so desk /messages and /close are the real routes.
    for said in ("how much do I owe", "James Carter", "11/02/1975", "10001"):
        stack.web_turn(token, said)
    assert "in line" in texts(stack.web_turn(token, "I want to talk to a real person"))
    desk = stack.desk_login()
    ISSUED.add(desk["Authorization"].split()[1])
    [item] = [q for q in stack.desk("GET", "/api/desk/handoffs", desk).json()
              if q["patient"] == "James Carter" and q["channel"] == "web"]
    assert stack.desk("POST", f"/api/desk/handoffs/{item['id']}/accept", desk).status_code == 200
    for path, body in ((f"/api/desk/handoffs/{item['id']}/messages",
                        b'{"text": "Hello James ' + SURROGATE[1:-1] + b'"}'),
                       (f"/api/desk/handoffs/{item['id']}/close",
                        b'{"disposition": ' + SURROGATE + b"}")):
        refused = raw_json(stack, path, body, desk)
        assert refused.status_code == 400, (path, refused.text)
    closed = stack.desk("POST", f"/api/desk/handoffs/{item['id']}/close", desk,
                        json={"disposition": "resolved"})
    assert closed.status_code == 200
    bot_log = stack.log("bot")
    assert "Traceback" not in bot_log
    assert "\\ud800" not in bot_log and "surrogates not allowed" not in bot_log


def test_a_signed_sms_without_to_is_refused(stack: Stack) -> None:
    phone = "+15555550103"
    before = len(stack.outbox(phone))  # the shared stack: other tests texted this number
    params = {"From": phone, "Body": "hi", "MessageSid": "SMprod-noto", "NumMedia": "0",
              "AccountSid": "AC" + "0" * 32}
    url = stack.env["PUBLIC_BASE_URL"] + "/channels/sms/inbound"
    signature = RequestValidator(stack.twilio_token).compute_signature(url, params)
    resp = httpx.post(stack.bot_url + "/channels/sms/inbound", data=params,
                      headers={"X-Twilio-Signature": signature}, timeout=10)
    assert resp.status_code == 200  # Twilio is answered; nothing else happens
    assert stack.outbox_after(phone, before, timeout=3) == []
    assert "not ours; ignored" in stack.log("bot")
    # The same message with our To is answered.
    assert stack.sms_turn(phone, "hi", "SMprod-to")


def test_per_ip_limits_see_the_client_behind_a_trusted_proxy(stack: Stack) -> None:
    """The stack's bot trusts its default FORWARDED_ALLOW_IPS (127.0.0.1), the test's own
    address: the load balancer's X-Forwarded-For names the client the limit counts."""
    client = redis.Redis.from_url(stack.env["REDIS_URL"], decode_responses=True)
    resp = httpx.post(stack.bot_url + "/channels/web/sessions",
                      headers={"X-Forwarded-For": "198.51.100.23, 127.0.0.1"}, timeout=10)
    assert resp.status_code == 200
    ISSUED.add(resp.json()["token"])
    assert client.get("rate:web-ip-sessions:198.51.100.23") == "1"


async def _socket_turn(stack: Stack, token: str, text: str) -> list[dict[str, object]]:
    url = stack.bot_url.replace("http://", "ws://") + f"/channels/web/ws?token={token}"
    frames: list[dict[str, object]] = []
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"text": text}))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            frames.append(frame)
            if frame.get("type") in ("reply", "messages", "error") or "messages" in frame:
                break
    return frames


def test_real_conversations_with_malformed_intents(stack: Stack) -> None:
    """SMS and web conversations that put the demo patients' details everywhere: a verified
    SMS, a web chat over the socket (token in the URL), and malformed /intent{...} messages
    (Rasa warns about them, quoting the text)."""
    assert "125.40" in stack.sms_turn("+15555550101", "how much do I owe", "SMprod-1") + \
        stack.sms_turn("+15555550101", "03/12/1984", "SMprod-2")
    stack.sms_turn("+15555550102",
                   '/inform{"name": "James Carter", "dob": "1975-11-02", "zip": "10001"',
                   "SMprod-3")
    token = web_session(stack)
    for said in ('/inform{"name": "Maria Lopez", "dob": "03/12/1984", "zip": "02139"',
                 "/verify{name: Aisha Khan, dob: 1992-07-25, zip: 60614}",
                 "my name is Aisha Khan, born 07/25/1992, ZIP 60614, phone 555-555-0103"):
        stack.web_turn(token, said)
    socket_token = web_session(stack)
    frames = asyncio.run(_socket_turn(stack, socket_token, "Maria Lopez 03/12/1984 02139"))
    assert frames, "the socket answered nothing"
    assert "WebSocket /channels/web/ws" in stack.log("bot")  # uvicorn logged the connection
    time.sleep(1)  # let the engine and actions flush their last lines


def test_no_secret_or_patient_detail_in_any_log(stack: Stack) -> None:
    secrets = {value for name, value in stack.env.items()
               if SECRET_NAME.search(name) and len(value) >= 8} | ISSUED
    assert {stack.env["ENGINE_TOKEN"], stack.env["TWILIO_AUTH_TOKEN"],
            stack.env["ACTIONS_TOKEN"], stack.env["BACKOFFICE_TOKEN"]} <= secrets
    logs = {name: stack.log(name) for name in stack.processes}
    assert set(logs) >= {"engine", "actions", "bot"}
    assert "ws?token=[SECRET]" in logs["bot"]  # uvicorn's line for the socket, redacted
    for name, log in logs.items():  # any token in a URL (the engine's ?token=) is redacted
        assert re.findall(r"[?&]token=(?!\[SECRET\])", log) == [], name
    assert "/inform{[ENTITIES]}" in logs["engine"]  # Rasa's warning, without the details
    leaks = []
    for name, log in logs.items():
        for secret in secrets:
            if secret in log:
                leaks.append(f"{name}: a secret ({secret[:4]}...)")
        for pattern in PATIENT_DETAILS:
            for match in re.finditer(pattern, log):
                line = log[log.rfind("\n", 0, match.start()) + 1:log.find("\n", match.end())]
                leaks.append(f"{name}: {pattern} in {line[:200]!r}")
    assert leaks == []


# --- production starts (the bot service alone: it must refuse before needing anything else) --

def _prod_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    migrate(database)
    env = {k: v for k, v in os.environ.items() if k != "APP_ENV"}
    env.update({
        "APP_ENV_FILE": "", "APP_ENV": "prod", "PYTHONUNBUFFERED": "1",
        "PUBLIC_BASE_URL": "https://assistant.example.org", "DATABASE_URL": database,
        "REDIS_URL": "redis://127.0.0.1:6379/11", "TWILIO_ACCOUNT_SID": "AC" + "2" * 32,
        "TWILIO_AUTH_TOKEN": "9c4e1f07b2d8a3566e0f9b1c7d2a4e83",  # pragma: allowlist secret
        "ENGINE_TOKEN": "Zt8qLm3Nv6Rb1Xp4Kw9sJh2Gd5Fc7Ya0Ue",  # pragma: allowlist secret
        "BACKOFFICE_TOKEN": "Hq2Wn7Lt4Vm9Xs1Kp6RdBj3Ze8Tc0Qf5Ng",  # pragma: allowlist secret
        "ENGINE_URL": "http://127.0.0.1:9",
        "ACTIONS_URL": "http://127.0.0.1:9", "FORWARDED_ALLOW_IPS": "10.9.9.9",
    })
    env.update(overrides)
    return env


def _bot(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "uvicorn"), "--factory", "bot.main:create_app", "--host",
         "127.0.0.1", "--port", str(port), "--no-access-log", "--no-proxy-headers"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    proc = _bot(env, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def prod_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A production bot service on a migrated, empty database (no engine needed)."""
    tmp_path = tmp_path_factory.mktemp("prod")
    log = tmp_path / "bot.log"
    with _serving(_prod_env(tmp_path), log) as url:
        yield url, log


def test_dev_docs_run_in_a_real_browser_under_our_csp(tmp_path: Path) -> None:
    """With APP_ENV=dev, /docs renders every operation in Chromium under our
    Content-Security-Policy (Swagger UI served by us): no console error, no CSP violation."""
    from playwright.sync_api import sync_playwright

    from tests.integration.test_browser import CHROMIUM

    with _serving(_prod_env(tmp_path, APP_ENV="dev"), tmp_path / "dev.log") as url, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url + "/docs")
            page.wait_for_selector(".opblock", timeout=60_000)
            assert page.locator(".opblock").count() > 20
            assert "/channels/web/messages" in page.inner_text("body")
            assert problems == []
        finally:
            browser.close()


def test_a_production_start_refuses_unsafe_settings(tmp_path: Path) -> None:
    """One start with every kind of unsafe setting: each is named, with what to do."""
    env = _prod_env(tmp_path, TWILIO_AUTH_TOKEN="change-me", BACKOFFICE_TOKEN="passwordpassword",
                    PUBLIC_BASE_URL="http://assistant.example.org")
    for missing in ("ENGINE_TOKEN", "DATABASE_URL", "REDIS_URL"):
        env.pop(missing)
    log = tmp_path / "refused.log"
    proc = _bot(env, free_port(), log)
    assert proc.wait(timeout=60) != 0
    output = log.read_text()
    assert "Refusing to start with APP_ENV=prod:" in output
    assert "passwordpassword" not in output
    for says in ("ENGINE_TOKEN is not set", "TWILIO_AUTH_TOKEN is a weak secret",
                 "BACKOFFICE_TOKEN is a weak secret",
                 "PUBLIC_BASE_URL must be an https://", "DATABASE_URL is not set",
                 "REDIS_URL is not set"):
        assert says in output
    assert "Traceback" not in output


def test_a_production_start_with_an_empty_database(prod_bot: tuple[str, Path]) -> None:
    url, log = prod_bot
    for path in ("/docs", "/openapi.json", "/redoc", "/dev/outbox?to=%2B15555550101"):
        assert httpx.get(url + path).status_code == 404, path
    output = log.read_text()
    assert "No agent accounts yet: create the first supervisor with `python -m " \
           "bot.desk.agents add" in output
    assert "The back office holds no patients" in output


def test_proxy_headers_from_an_untrusted_address_are_ignored(prod_bot: tuple[str, Path]) -> None:
    """FORWARDED_ALLOW_IPS names only the load balancer (10.9.9.9): a client connecting
    directly cannot pick the address its per-IP limit counts."""
    url, _ = prod_bot
    client = redis.Redis.from_url("redis://127.0.0.1:6379/11", decode_responses=True)
    client.delete("rate:web-ip-sessions:127.0.0.1", "rate:web-ip-sessions:203.0.113.77")
    resp = httpx.post(url + "/channels/web/sessions",
                      headers={"X-Forwarded-For": "203.0.113.77"}, timeout=10)
    assert resp.status_code == 200
    assert client.get("rate:web-ip-sessions:203.0.113.77") is None
    assert client.get("rate:web-ip-sessions:127.0.0.1") == "1"
    client.delete("rate:web-ip-sessions:127.0.0.1")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_the_probe_body_is_a_400_and_one_line_from_a_real_process(
        prod_bot: tuple[str, Path]) -> None:
    """The probe's 4 kB body (a lone surrogate in 2,000 levels of nesting), before sign-in, on
    the patient, desk, back-office and SMS routes of a production bot service: 400 each, one
    log line each, no traceback; a 100 kB body is 413."""
    url, log = prod_bot
    probe = b"[" * 2000 + b'"\\ud800"' + b"]" * 2000
    paths = ("/channels/web/sessions", "/api/desk/login", "/api/backoffice/verifications",
             "/api/handoffs", "/channels/sms/inbound")
    for path in paths:
        resp = httpx.post(url + path, content=probe, timeout=10,
                          headers={"Content-Type": "application/json"})
        assert resp.status_code == 400, (path, resp.status_code)
    big = httpx.post(url + "/api/desk/login", content=b"{" + b" " * 100_000 + b"}", timeout=10,
                     headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    time.sleep(0.5)
    output = log.read_text()
    refused = [line for line in output.splitlines() if "refused the body of" in line]
    assert [line.split("refused the body of ", 1)[1] for line in refused] == [
        f"POST {path}: JSON nested deeper than 32 levels" for path in paths] + [
        "POST /api/desk/login: Content-Length over 64 kB"]
    assert "Traceback" not in output and "RecursionError" not in output
