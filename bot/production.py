"""What the bot service does differently to be safe at a health system: refuse to start on
unsafe settings, say what to do with an empty database, refuse oversized and unreadable bodies
before they reach a handler (or a log line), and keep the API docs to development."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.agents.models import Agent
from bot.backoffice.models import Patient
from bot.bodies import MAX_BODY_BYTES, TOO_LARGE, BodyRefused, check_json
from bot.db import in_session
from bot.security import nonced_html
from bot.settings import Settings

log = logging.getLogger(__name__)


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
    advice: list[str] = []
    if not session.scalar(select(func.count()).select_from(Agent)):
        advice.append("No agent accounts yet: create the first supervisor with "
                      "`python -m bot.desk.agents add --email <address> --role supervisor`.")
    if not session.scalar(select(func.count()).select_from(Patient)):
        advice.append("The back office holds no patients: load your health system's records "
                      "before inviting patients. Demo data (`python -m bot.demo.seed`) is "
                      "loaded only with APP_ENV=dev.")
    return advice


async def startup_advice() -> None:
    """Logs what a fresh installation still needs (an agent, patients, the schema). Never
    stops the start: the database may be down for a moment, and /readyz says so."""
    try:
        advice = await in_session(empty_database_advice)
    except Exception as exc:  # noqa: BLE001 (advice only; the readiness check reports the rest)
        log.warning("could not check the database at start: %s", type(exc).__name__)
        return
    for line in advice:
        log.warning("%s", line)


# --- request bodies ---------------------------------------------------------------------

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: bytes | None) -> bool:
    """What FastAPI would parse as JSON: no content type at all, or a JSON one."""
    return content_type is None or b"json" in content_type.split(b";", 1)[0].lower()


class BodyGuard:
    """Refuses, before any route (or a log line) sees it, a body larger than MAX_BODY_BYTES
    (413) and a JSON body that is not JSON, nested deeper than MAX_JSON_DEPTH or holding a
    lone surrogate (``"\\ud800"``) (400): one warning line each, never a traceback."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        try:
            messages = await self._read(headers, receive)
            body = b"".join(m.get("body", b"") for m in messages)
            if body and _is_json(headers.get(b"content-type")):
                check_json(body)
        except BodyRefused as refused:
            log.warning("refused the body of %s %s: %s", scope["method"],
                        scope.get("path", ""), refused.reason)
            await self._refuse(send, refused)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)

    async def _read(self, headers: dict[bytes, bytes], receive: Receive) -> list[Message]:
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise BodyRefused(413, TOO_LARGE, f"Content-Length over {self.max_bytes // 1024} kB")
        size = 0
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                raise BodyRefused(413, TOO_LARGE, f"body over {self.max_bytes // 1024} kB")
            if not message.get("more_body", False):
                return messages

    @staticmethod
    async def _refuse(send: Send, refused: BodyRefused) -> None:
        payload = json.dumps({"detail": refused.detail}).encode()
        await send({"type": "http.response.start", "status": refused.status, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store"), (b"connection", b"close")]})
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
