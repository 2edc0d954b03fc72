"""rasa-sdk's own extension point: it imports this package in every action-server worker.

The engine calls the action server with `?token=` (endpoints.yml `action_endpoint.token`).
Here every request except `/health` must carry that token, so the action server refuses
anyone but the engine even if it is ever reachable beyond loopback (E: defence in depth).
"""

from __future__ import annotations

import hmac
import logging
import os

import pluggy
from sanic import Request, Sanic, response
from sanic.response import HTTPResponse

hookimpl = pluggy.HookimplMarker("rasa_sdk")
log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})


def token_refusal(request: Request, expected: str) -> HTTPResponse | None:
    """None when the request may go on; else the 401 (or 503 when no token is configured)."""
    if request.path in OPEN_PATHS:
        return None
    if not expected:
        return response.json({"error": "ACTIONS_TOKEN is not set on the action server."},
                             status=503)
    given = request.args.get("token", "")
    if hmac.compare_digest(given.encode(), expected.encode()):
        return None
    log.warning("action server: refused a %s %s without the engine's token",
                request.method, request.path)
    return response.json({"error": "unauthorized"}, status=401)


class ActionsAuth:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        expected = os.environ.get("ACTIONS_TOKEN", "")
        if not expected:
            log.error("ACTIONS_TOKEN is not set: the action server refuses every action call. "
                      "Run `make run` (it writes one to .env) or set it in the environment.")

        @app.on_request
        async def require_engine_token(request: Request) -> HTTPResponse | None:
            return token_refusal(request, expected)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionsAuth())
