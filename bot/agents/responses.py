"""How the staff APIs (desk, desk tools, outreach and review views) answer: JSON with no
bidirectional control characters in any text.

Text reaches the desk from patients (transcripts, names, what the action server put in a
handoff's context) and may predate the input cleaning (bot.text), so every answer of the
desk's routes is cleaned again as it is written, whatever route or schema it came from."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from bot.text import without_bidi_controls


class DeskJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return super().render(without_bidi_controls(content))
