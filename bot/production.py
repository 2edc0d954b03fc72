"""What the bot service does differently to be safe at a health system: refuse to start on
unsafe settings, say what to do with an empty database, refuse unreadable JSON before it
reaches a handler (or a log line), and keep the API docs to development."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.security import nonced_html
from bot.settings import Settings, production_problems

log = logging.getLogger(__name__)


class UnsafeSettings(SystemExit):
    """Raised by `create_app` with APP_ENV=prod and settings that must not serve patients;
    a SystemExit, so uvicorn stops with this message and no traceback."""


def refuse_unsafe_start(settings: Settings) -> None:
    problems = production_problems(settings)
    if problems:
        raise UnsafeSettings(
            "Refusing to start with APP_ENV=prod:\n  - " + "\n  - ".join(problems)
            + "\nEvery key is described in .env.example and README (Running in production).")


def service_secrets(settings: Settings) -> list[str]:
    """The settings' secret values, which no log line may hold."""
    return [settings.twilio_auth_token, settings.engine_token, settings.backoffice_token,
            settings.review_salt, settings.desk_demo_password,
            getattr(settings, "metrics_token", "")]


def empty_database_advice(session: Session) -> list[str]:
    """What an operator must do before patients and agents can use a fresh installation."""
    tables = set(inspect(session.get_bind()).get_table_names())
    if "patients" not in tables or "agents" not in tables:
        return ["The database has no schema yet: run `alembic upgrade head`, then start again."]
    from bot.agents.models import Agent
    from bot.backoffice.models import Patient

    advice: list[str] = []
    if not session.scalar(select(func.count()).select_from(Agent)):
        advice.append("No agent accounts yet: create the first supervisor with "
                      "`python -m bot.desk.agents add --email <address> --role supervisor`.")
    if not session.scalar(select(func.count()).select_from(Patient)):
        advice.append("The back office holds no patients: load your health system's records "
                      "before inviting patients. Demo data (`python -m bot.backoffice.seed`) is "
                      "loaded only with APP_ENV=dev.")
    return advice


async def startup_advice() -> None:
    """Logs what a fresh installation still needs (an agent, patients, the schema). Never
    stops the start: the database may be down for a moment, and /readyz says so."""
    from bot.db import in_session

    try:
        advice = await in_session(empty_database_advice)
    except Exception as exc:  # noqa: BLE001 (advice only; the readiness check reports the rest)
        log.warning("could not check the database at start: %s", type(exc).__name__)
        return
    for line in advice:
        log.warning("%s", line)


# --- unreadable JSON ----------------------------------------------------------------------

# A JSON \u escape of a UTF-16 surrogate: valid JSON, but alone (not in a high+low pair) it is
# not a character, and every encoder downstream (the database, httpx, a log handler) fails.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")
UNREADABLE = ("Some characters in the message could not be read. Please type it again "
              "without special symbols.")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class RefuseUnreadableJSON:
    """Answers 400 to a JSON body holding a lone surrogate (``"\\ud800"``), before any route
    sees it: no 500, and no traceback quoting the patient's text in a log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if b"json" not in content_type:
            await self.app(scope, receive, send)
            return
        body = b""
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if _SURROGATE_ESCAPE.search(body) and self._unreadable(body):
            await self._refuse(send)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    @staticmethod
    def _unreadable(body: bytes) -> bool:
        try:
            return _has_lone_surrogate(json.loads(body))
        except ValueError:
            return False  # not JSON at all: the route's own validation answers 422

    @staticmethod
    async def _refuse(send: Send) -> None:
        payload = json.dumps({"detail": UNREADABLE}).encode()
        await send({"type": "http.response.start", "status": 400, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": payload})


# --- API docs, development only -------------------------------------------------------------

def add_dev_docs(app: FastAPI) -> None:
    """`/docs` with Swagger UI 5 (it reads our OpenAPI 3.1 schema) served from here, not a CDN,
    so our Content-Security-Policy (scripts from 'self' only) lets it run. Production has no
    docs and no schema."""
    from pathlib import Path

    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} (development)",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="data:,")
        # Its one inline script (starting Swagger UI) runs under a nonce, as our pages' do.
        return nonced_html(bytes(page.body).decode())

    app.include_router(router)
