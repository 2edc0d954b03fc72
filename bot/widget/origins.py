"""Which web pages may embed the chat and start a conversation: the origins listed in
WIDGET_ALLOWED_ORIGINS, compared exactly (scheme, host and port), and our own origin.

An origin is compared as a whole, never as a suffix or a prefix, so
`https://example.org.evil.test` is not `https://example.org`; `null` (a sandboxed frame, a
file) is never allowed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from bot.settings import get_settings

_ORIGIN = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"|\[[0-9a-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
FORMAT = "scheme://host[:port], such as https://www.example.org or http://localhost:8080"


def normalize(value: str) -> str | None:
    """`value` as a browser writes an Origin header (lower case, no default port), or None
    when it is not exactly one http(s) origin: a path, a wildcard, user info, `null`."""
    found = _ORIGIN.fullmatch(value.lower())
    if found is None:
        return None
    scheme, host, port = found["scheme"], found["host"], found["port"]
    if port is not None and not 0 < int(port) < 65536:
        return None
    if port is None or port.lstrip("0") == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{int(port)}"


@lru_cache
def parse_allowed(raw: str) -> tuple[str, ...]:
    """WIDGET_ALLOWED_ORIGINS (comma-separated) as origins; a wrong entry raises ValueError
    naming it, so the service does not start with a list that would not match."""
    origins: list[str] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        # A trailing slash is how origins are often pasted from the address bar.
        origin = normalize(entry[:-1] if entry.endswith("/") else entry)
        if origin is None:
            raise ValueError(f"WIDGET_ALLOWED_ORIGINS: {entry!r} is not an origin; write each "
                             f"one as {FORMAT}, separated by commas.")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def own_origin(url: str) -> str | None:
    """The origin of one of our own URLs (PUBLIC_BASE_URL, a request's base URL)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return normalize(f"{scheme}://{parts.netloc}") if parts.netloc else None


def allowed(origin: str | None, listed: Iterable[str], own: Iterable[str | None]) -> bool:
    """Whether a request with this Origin header may start or carry a chat. No header at all
    is not a browser page (browsers send it on every POST and socket), so it is let through:
    the check keeps other sites' pages out, which an API client is not."""
    if origin is None:
        return True
    found = normalize(origin)
    if found is None:  # "null", garbage, a path
        return False
    return found in listed or found in {o for o in own if o}



def configured() -> tuple[str, ...]:
    """WIDGET_ALLOWED_ORIGINS of this process's settings, parsed once."""
    return parse_allowed(get_settings().widget_allowed_origins)


def _own(connection: HTTPConnection) -> tuple[str | None, ...]:
    # PUBLIC_BASE_URL's origin, and the address the browser used to reach us.
    return own_origin(get_settings().public_base_url), own_origin(str(connection.base_url))


def connection_allowed(connection: HTTPConnection) -> bool:
    """`allowed` for a request or socket: its Origin against the listed sites and ours."""
    return allowed(connection.headers.get("origin"), configured(), _own(connection))


def same_origin(connection: HTTPConnection) -> bool:
    """A request from one of our own pages, said so by the browser (an Origin header)."""
    origin = connection.headers.get("origin")
    return origin is not None and allowed(origin, (), _own(connection))


def refusal(origin: str | None) -> str:
    """What a refused page is told (and its console shows)."""
    return (f"This chat cannot be used from {origin or 'this page'}: the site is not in "
            "WIDGET_ALLOWED_ORIGINS.")
