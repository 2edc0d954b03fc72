"""The action server's own start check: with APP_ENV=prod it refuses a missing or weak
ACTIONS_TOKEN or BACKOFFICE_TOKEN before rasa_sdk starts (a real process each time)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.stack import ROOT
from tests.support.twilio_standin import free_port

STRONG = {"ACTIONS_TOKEN": "Hq2Wn7Lt4Vm9Xs1Kp6RdBj3Ze8Tc0Qf5Ng",  # pragma: allowlist secret
          "BACKOFFICE_TOKEN": "Zt8qLm3Nv6Rb1Xp4Kw9sJh2Gd5Fc7Ya0Ue"}  # pragma: allowlist secret


def action_server(port: int, log: int | None = subprocess.PIPE, **env: str
                  ) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in ("APP_ENV", "ACTIONS_TOKEN", "BACKOFFICE_TOKEN")}
    return subprocess.Popen(
        [sys.executable, "-m", "actions.server", "--actions", "actions", "-p", str(port)],
        cwd=ROOT, env={**environ, "APP_ENV_FILE": "", "SANIC_HOST": "127.0.0.1", **env},
        stdout=log, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize(("app_env", "weak"), [
    ({}, {"ACTIONS_TOKEN": "aaaaaaaaaaaaaaaa"}),  # APP_ENV unset means production
    ({"APP_ENV": "prod"}, {"BACKOFFICE_TOKEN": "passwordpassword"}),
    ({"APP_ENV": "prod"}, {"ACTIONS_TOKEN": ""}),
])
def test_a_production_action_server_refuses_weak_secrets(app_env: dict[str, str],
                                                         weak: dict[str, str]) -> None:
    proc = action_server(free_port(), **{**STRONG, **app_env, **weak})
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    [(name, value)] = weak.items()
    assert output.startswith("Refusing to start the action server with APP_ENV=prod:\n"
                             f"  - {name} is ")
    assert "Traceback" not in output
    assert not value or value not in output


def test_a_production_action_server_with_strong_secrets_serves() -> None:
    port = free_port()
    proc = action_server(port, subprocess.DEVNULL, APP_ENV="prod", **STRONG)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the action server stopped"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        pytest.fail("the action server did not answer /health within 60 s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # Sanic's workers may linger on a slow machine
            proc.kill()
            proc.wait(timeout=10)
