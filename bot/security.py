"""Security headers on every response. The pages authenticate with bearer tokens kept in
sessionStorage, never cookies, so a cross-site request carries no credentials (no CSRF).

A plain ASGI middleware, not FastAPI's `@app.middleware("http")`: that one runs each request
in a task group with a streamed copy of the response, a cost every turn paid."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(nonce: str | None = None,
                            frame_ancestors: Sequence[str] = ()) -> str:
    """Scripts only from our own files (and, for a page with an inline script, the script
    carrying this response's nonce); framed by nobody unless `frame_ancestors` lists who may
    (the embedded chat)."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    ancestors = " ".join(frame_ancestors) or "'none'"
    return (f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data:; connect-src 'self'; frame-ancestors {ancestors}; "
            "base-uri 'none'; form-action 'self'")


CSP = content_security_policy()
HEADERS = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
           ("Referrer-Policy", "no-referrer"),
           ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
           ("Content-Security-Policy", CSP))
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Answers on these paths may hold PHI: never cached.
NO_STORE_PATHS = ("/api/", "/channels/", "/dev/")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = [*HEADERS]
        if path.startswith(NO_STORE_PATHS):
            extra.append(("Cache-Control", "no-store"))
        if self.https:
            extra.append(HSTS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name == "X-Frame-Options" and _framable(headers):
                        continue  # the route's frame-ancestors says who may frame it
                    headers.setdefault(name, value)
            await send(message)

        if b"%00" in scope.get("query_string", b"") or "\x00" in path:
            # No text field anywhere takes a NUL; PostgreSQL would refuse it deep inside.
            refused = JSONResponse({"detail": "Invalid characters in the request."},
                                   status_code=400)
            await refused(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)


def _framable(headers: MutableHeaders) -> bool:
    policy = headers.get("content-security-policy")
    return policy is not None and "frame-ancestors 'none'" not in policy


def nonced_html(html: str) -> HTMLResponse:
    """A page of ours whose inline scripts run under a nonce made for this response, so the
    policy forbids every other inline script (one injected into the page)."""
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(html.replace("<script>", f'<script nonce="{nonce}">'),
                        headers={"Content-Security-Policy": content_security_policy(nonce)})


def nonced_page(path: Path) -> HTMLResponse:
    return nonced_html(path.read_text(encoding="utf-8"))
