"""Request bodies as the bot service reads them: a size limit, a nesting limit checked without
recursion, and no lone surrogate. Standard library only: HTTP bodies (bot.production's
BodyGuard) and web chat socket frames are checked by the same rules."""

from __future__ import annotations

import json
import re
from typing import Any

# The largest body any route takes: a 2,000-character chat message written entirely as \u
# escapes is 24 kB; a Twilio webhook with a full 1,600-character text, under 20 kB.
MAX_BODY_BYTES = 64 * 1024
# Our deepest schema nests a few levels; nothing legitimate comes near this.
MAX_JSON_DEPTH = 32
# A JSON \u escape of a UTF-16 surrogate: valid JSON, but alone (not in a high+low pair) it is
# not a character, and every encoder downstream (the database, httpx, a log handler) fails.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(rb"[][{}]")
UNREADABLE = ("Some characters in the message could not be read. Please type it again "
              "without special symbols.")
NOT_JSON = "The request body is not readable JSON. Send it again as plain JSON."
TOO_LARGE = "The request is too large. Please send a shorter message."


class BodyRefused(Exception):
    """A body no route should see: `status` and `detail` are the answer, `reason` the log's
    words (never the body itself)."""

    def __init__(self, status: int, detail: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.detail, self.reason = status, detail, reason


def _too_deep(body: bytes, limit: int) -> bool:
    """Nesting deeper than `limit`, counted over the brackets outside strings, without
    recursion (Python's own parser recurses once per level)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub(b'""', body)):
        depth += 1 if bracket in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def _has_lone_surrogate(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def check_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The parsed document, or BodyRefused: not JSON, nested too deep, or holding a lone
    surrogate. Never lets a RecursionError (or any other parse failure) through."""
    body = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _too_deep(body, max_depth):
        raise BodyRefused(400, NOT_JSON, f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BodyRefused(400, NOT_JSON, f"not JSON ({type(exc).__name__})") from None
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(value):
        raise BodyRefused(400, UNREADABLE, "a lone surrogate in the JSON")
    return value
