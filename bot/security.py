"""Security headers on every response. The pages authenticate with bearer tokens kept in
sessionStorage, never cookies, so a cross-site request carries no credentials (no CSRF)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


def security_headers(https: bool) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                              Awaitable[Response]]:
    async def middleware(request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if "%00" in request.url.query or "\x00" in request.url.path:
            # No text field anywhere takes a NUL; PostgreSQL would refuse it deep inside.
            response: Response = JSONResponse({"detail": "Invalid characters in the request."},
                                              status_code=400)
        else:
            response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Content-Security-Policy", CSP)
        if request.url.path.startswith(("/api/", "/channels/", "/dev/")):
            headers.setdefault("Cache-Control", "no-store")  # answers may hold PHI
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response

    return middleware
