"""Security headers on every response. The pages authenticate with bearer tokens kept in
sessionStorage, never cookies, so a cross-site request carries no credentials (no CSRF).

A plain ASGI middleware, not FastAPI's `@app.middleware("http")`: that one runs each request
in a task group with a streamed copy of the response, a cost every turn paid (issue S)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")
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
                    headers.setdefault(name, value)
            await send(message)

        if b"%00" in scope.get("query_string", b"") or "\x00" in path:
            # No text field anywhere takes a NUL; PostgreSQL would refuse it deep inside.
            refused = JSONResponse({"detail": "Invalid characters in the request."},
                                   status_code=400)
            await refused(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)
