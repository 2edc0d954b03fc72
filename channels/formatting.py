"""Turning the engine's replies into what each channel can show."""

from __future__ import annotations

import re

from bot.conversations.schemas import BotMessage, Button
from bot.i18n import DEFAULT_LANGUAGE, either_of, words

SMS_MAX_CHARS = 1600

# The GSM-7 alphabet (basic set and the extension table): text within it costs 1 segment per
# 160 characters (153 when split); one character outside it makes the whole message UCS-2,
# 70 (67) per segment, so an innocent curly quote can triple the price.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
LOOKALIKES = {"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
              "…": "...", "•": "-", "\u00a0": " ", "\u2009": " ", "\u200b": ""}


def to_gsm7(text: str) -> str:
    """Our own punctuation in its GSM-7 look-alike; anything else (a patient's emoji in an
    echoed name, say) is left as it is."""
    return "".join(LOOKALIKES.get(ch, ch) for ch in text)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def segments(text: str) -> int:
    """How many SMS segments a carrier bills for this text.

    GSM-7: 160 septets alone, 153 per part when split (the rest is the part's header); an
    extension character (€, {, ...) takes two, an escape and itself, which are never split
    between parts. Anything outside GSM-7 (á, í, ó, ú: Spanish needs UCS-2 unless it keeps
    to é, ñ, ü, ¿ and ¡) makes the whole text UCS-2: 70 code units alone, 67 per part, a
    character beyond the BMP (an emoji) taking two that are never split either."""
    if is_gsm7(text):
        units = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        single, part = 160, 153
    else:
        units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, part = 70, 67
    if sum(units) <= single:
        return 1
    count, used = 1, 0
    for size in units:
        if used + size > part:
            count, used = count + 1, 0
        used += size
    return count


def reply_with_a_number(count: int, language: str = DEFAULT_LANGUAGE) -> str:
    """The line under numbered choices, in the conversation's language."""
    numbers = [str(n) for n in range(1, count + 1)]
    return words("sms.reply_with_number", language, numbers=either_of(numbers, language))


def sms_body(messages: list[BotMessage], language: str = DEFAULT_LANGUAGE
             ) -> tuple[str, list[Button]]:
    """One turn's replies as one SMS text; buttons become numbered choices at the end, with
    how to answer them in the conversation's language."""
    texts = [m.text for m in messages if m.text]
    buttons = [b for m in messages for b in m.buttons]
    if buttons:
        choices = "\n".join(f"{i}. {b.title}" for i, b in enumerate(buttons, start=1))
        texts.append(f"{choices}\n{reply_with_a_number(len(buttons), language)}")
    return to_gsm7("\n\n".join(texts)), buttons


def split_sms(text: str, limit: int = SMS_MAX_CHARS) -> list[str]:
    """Split at paragraph, then sentence, then word boundaries, each part within the limit."""
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for piece in re.split(r"(?<=[.!?\n])\s+", text):
        while len(piece) > limit:
            cut = piece.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:cut].rstrip())
            piece = piece[cut:].lstrip()
        candidate = f"{current} {piece}".strip() if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
