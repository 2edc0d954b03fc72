"""`GET /widget.js`: the loader a site's pages include to show the chat (see its header)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from bot.settings import get_settings
from bot.widget import origins

router = APIRouter(tags=["widget"])
LOADER = Path(__file__).parent / "static" / "widget.js"
_CONFIG = '{"origins": [], "clinic": "Riverside Health"}'


@lru_cache(maxsize=4)
def loader(allowed: tuple[str, ...], clinic: str) -> bytes:
    """The loader with the sites it may show on, so a page elsewhere draws nothing and says
    why in its console, without asking us."""
    config = json.dumps({"origins": list(allowed), "clinic": clinic})
    text = LOADER.read_text(encoding="utf-8")
    if _CONFIG not in text:
        raise RuntimeError("widget.js lost its CONFIG placeholder")
    return text.replace(_CONFIG, config.replace("</", "<\\/"), 1).encode()


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> Response:
    body = loader(origins.configured(), get_settings().clinic_name)
    return Response(body, media_type="text/javascript; charset=utf-8", headers={
        # Pages of every allowed site load it: kept a few minutes, then revalidated.
        "Cache-Control": "public, max-age=300",
        # Loaded by other sites' pages, including ones that isolate themselves (COEP).
        "Cross-Origin-Resource-Policy": "cross-origin",
    })
