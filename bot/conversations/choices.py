"""A reply matched against the choices on screen, before the classifier is asked.

Patients answer a question with buttons by tapping, by the number (SMS), or by typing the
choice's words, often not quite ("keep it", "kep it", "the second one", "yes"). Those are
answers to the question, not new requests: the classifier never sees them, so "keep it" is
never read as an emergency or as out of scope. The emergency safety net still runs on the
text first, whatever it matches.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from bot.conversations.schemas import Button
from bot.i18n import without_accents

# How alike a typed reply and a choice's title must be to count as that choice (0..1), and
# how much better than the next best: "kep it" is "Keep it"; "keep" alone is not enough
# when another choice also says "keep".
CLOSE = 0.84
MARGIN = 0.1

ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4,
    "primero": 0, "primera": 0, "segundo": 1, "segunda": 1, "tercero": 2, "tercera": 2,
    "cuarto": 3, "cuarta": 3, "quinto": 4, "quinta": 4,
}
LAST = {"last", "ultimo", "ultima"}
# Words around an ordinal that do not change which choice it is.
ORDINAL_FILLER = {"the", "one", "option", "choice", "please", "el", "la", "lo", "opcion",
                  "por", "favor", "uno", "una"}
YES = {"yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "si", "claro", "correct",
       "right", "that's right", "thats right", "yes please", "si por favor", "dale"}
NO = {"no", "n", "nope", "nah", "no thanks", "no thank you", "no gracias"}


def _plain(text: str) -> str:
    lowered = without_accents(text.strip().lower())
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s']", " ", lowered)).strip()


def _by_ordinal(plain: str, buttons: list[Button]) -> Button | None:
    words = plain.split()
    meaningful = [w for w in words if w not in ORDINAL_FILLER]
    if len(meaningful) != 1:
        return None
    word = meaningful[0]
    if word in LAST:
        return buttons[-1]
    index = ORDINALS.get(word)
    return buttons[index] if index is not None and index < len(buttons) else None


def _by_yes_no(plain: str, buttons: list[Button]) -> Button | None:
    """"yes"/"no" where exactly one choice is the yes (or the no)."""
    wanted: tuple[str, ...]
    if plain in YES:
        wanted = ("yes", "si")
    elif plain in NO:
        wanted = ("no",)
    else:
        return None
    found = [b for b in buttons if _plain(b.title).split(" ")[0] in wanted
             or b.payload.strip("/").split("{")[0] == ("affirm" if "yes" in wanted else "deny")]
    return found[0] if len(found) == 1 else None


def _by_words(plain: str, buttons: list[Button]) -> Button | None:
    scores = sorted(((SequenceMatcher(None, plain, _plain(b.title)).ratio(), i)
                     for i, b in enumerate(buttons)), reverse=True)
    best, index = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best >= CLOSE and best - runner_up >= MARGIN:
        return buttons[index]
    return None


def match_choice(text: str, buttons: list[Button]) -> Button | None:
    """The choice a reply picks: the number ("2", "2.", "#2"), the title's own words (accents
    or not, close misspellings), an ordinal ("the second one", "la primera", "last"), or
    "yes"/"no" where one choice is plainly the yes or the no; None when it is not plainly
    one of them (then the classifier reads it as a new message)."""
    if not buttons:
        return None
    cleaned = text.strip().lower().strip(".#)!")
    if cleaned.isdigit():
        index = int(cleaned) - 1
        return buttons[index] if 0 <= index < len(buttons) else None
    plain = _plain(text)
    if not plain or len(plain) > 80:
        return None
    for button in buttons:
        if plain == _plain(button.title):
            return button
    return (_by_ordinal(plain, buttons) or _by_yes_no(plain, buttons)
            or _by_words(plain, buttons))


def chosen(text: str, button: Button) -> str:
    """How a picked choice reads in the transcript: the patient's words and what they meant."""
    typed = text.strip()
    if _plain(typed) == _plain(button.title):
        return button.title
    return f'{typed} ("{button.title}")'
