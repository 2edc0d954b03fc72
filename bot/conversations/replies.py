"""A reply to an outreach message in the patient's own words, read before the classifier.

A reminder offers numbered choices, but patients answer in words: "I'll be there", "can't
make it", "cancélela por favor", "wrong number", "¿quién es?". Within the reply window those
words answer the message: `read_reply` says what a short reply means (or None: it goes to
the normal conversation) and `reply_choice` which offered choice it picks. Both are pure;
the phrases are data, per language, matched whatever the case, accents and small typos, with
negation read ("don't cancel" is not a cancel, "I can't be there" is not a yes). The
emergency safety net runs on the text first, whatever this reads.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.conversations.schemas import Button
from bot.i18n import without_accents


class Reply(enum.StrEnum):
    confirm = "confirm"
    reschedule = "reschedule"
    cancel = "cancel"
    wrong_number = "wrong_number"
    who_is_this = "who_is_this"


# How plainly a phrase says what it means: a bare "yes" gives way to "cancel it" in "yes,
# cancel it"; "can't make it" (a new time, implied) to an explicit "please cancel".
WEAK, IMPLIED, PLAIN = 1, 2, 3

# The phrases, per reply and language, written as patients write them: they are normalized
# as the reply is (lower case, no accents, contractions spelled out). A word ending in "*"
# matches any word it begins ("cancel*": cancel, cancelled, cancélela, cancelarla).
PHRASES: dict[Reply, dict[str, dict[int, tuple[str, ...]]]] = {
    Reply.confirm: {
        "en": {
            WEAK: ("yes", "yeah", "yep", "yup", "ok", "okay", "sure", "sounds good",
                   "that works", "works for me", "perfect", "great", "will do"),
            PLAIN: ("confirm*", "i will be there", "will be there", "be there", "see you then",
                    "see you there", "see you", "i will come", "i am coming", "i will make it",
                    "i can make it", "i will attend", "i will be attending", "count me in",
                    "keep it", "keep my appointment", "keep the appointment",
                    "still coming", "on my calendar"),
        },
        "es": {
            WEAK: ("si", "claro", "de acuerdo", "esta bien", "perfecto", "vale", "dale",
                   "bueno", "listo"),
            PLAIN: ("ahi estare", "alli estare", "ahi estaremos", "alli estaremos",
                    "ahi nos vemos", "nos vemos", "si voy", "voy a ir", "ire", "asistire",
                    "alli voy", "cuente conmigo", "la mantengo", "mantenerla",
                    "mantener la cita"),
        },
    },
    Reply.reschedule: {
        "en": {
            IMPLIED: ("cannot make it", "cannot come", "cannot be there", "cannot go",
                      "cannot attend", "cannot do", "will not make it", "will not be there",
                      "will not be able", "not able to come", "not able to make it",
                      "unable to come", "unable to make it", "not going to make it",
                      "not gonna make it", "something came up", "running late"),
            PLAIN: ("reschedul*", "different day", "different time", "different date",
                    "another day", "another time", "another date", "other day", "new time",
                    "new date", "new appointment", "change the time", "change the date",
                    "change the day", "change it", "change my appointment", "move it",
                    "move my appointment", "push it back", "later date", "later time",
                    "next week"),
        },
        "es": {
            IMPLIED: ("no puedo ir", "no puedo asistir", "no puedo llegar", "no voy a poder",
                      "no podre", "no llego", "no voy a llegar", "no me queda bien",
                      "se me complico"),
            PLAIN: ("otro dia", "otra hora", "otra fecha", "otro horario", "otro momento",
                    "otra cita", "nueva cita", "cambiar la cita", "cambiar mi cita",
                    "cambiar el dia", "cambiar la hora", "cambiar la fecha", "cambiarla",
                    "reprogram*", "reagend*", "mover la cita", "moverla", "la semana que viene",
                    "la proxima semana"),
        },
    },
    Reply.cancel: {
        "en": {
            PLAIN: ("cancel*", "call it off", "no longer need", "remove my appointment",
                    "delete my appointment"),
        },
        "es": {
            PLAIN: ("anul*", "ya no la necesito", "ya no necesito la cita", "quitar la cita",
                    "borrar la cita"),
        },
    },
    Reply.wrong_number: {
        "en": {
            PLAIN: ("wrong number", "wrong person", "wrong phone", "wrong #", "not me",
                    "not my appointment", "no one here by that name",
                    "nobody here by that name", "no one by that name", "do not know who",
                    "do not know this person", "not a patient", "never been a patient",
                    "you have the wrong", "texting the wrong"),
        },
        "es": {
            PLAIN: ("numero equivocado", "numero incorrecto", "se equivoco de numero",
                    "se equivocaron de numero", "equivocado de numero", "persona equivocada",
                    "no soy yo", "no es mi cita", "no conozco a esa persona",
                    "no conozco a nadie", "no soy paciente", "aqui no vive"),
        },
    },
    Reply.who_is_this: {
        "en": {
            PLAIN: ("who is this", "who is it", "who are you", "who is texting",
                    "who is messaging", "who sent this", "who is that", "who this",
                    "who dis", "what is this", "who am i talking to"),
        },
        "es": {
            PLAIN: ("quien es", "quien habla", "quien eres", "quienes son", "quien me escribe",
                    "quien me manda", "de donde me escriben", "que es esto",
                    "con quien hablo"),
        },
    },
}

# Words that turn the phrase after them around ("do not cancel", "no la cancele"), within
# NEGATION_REACH words in the same clause ("no, cancel" is two clauses: a cancel).
NEGATORS = frozenset({"not", "never", "no", "nunca", "ni", "without", "sin"})
NEGATION_REACH = 3
# Words that end a clause: "I'll be there but can't stay long" is two.
CLAUSE_ENDS = frozenset({"but", "pero", "though", "aunque"})
# Said out, so that phrases and replies read alike ("can't" and "cant" are "cannot").
SPELLED_OUT = {
    "can't": "cannot", "cant": "cannot", "can not": "cannot", "won't": "will not",
    "wont": "will not", "don't": "do not", "dont": "do not", "doesn't": "does not",
    "didn't": "did not", "i'll": "i will", "ill be": "i will be", "ill make": "i will make",
    "ill come": "i will come", "i'm": "i am", "im": "i am", "who's": "who is",
    "whos": "who is", "what's": "what is", "whats": "what is", "it's": "it is",
    "gonna": "going to", "no problem": "fine", "no worries": "fine", "no prob": "fine",
    "no hay problema": "bien", "no se preocupe": "bien", "u": "you", "r": "are",
    "pls": "please", "plz": "please", "never mind": "fine", "nevermind": "fine",
}
# Real words a typo allowance would otherwise read as a phrase's word.
NOT_TYPOS = ("cancer", "carcel", "charge")
# A reply longer than this says more than an answer to the message: the conversation reads it.
MAX_WORDS = 12
# A question does not confirm ("can you confirm the address?"); it may still ask for a new
# time or a cancel, which are asked about again before anything changes.
QUESTION_STARTS = frozenset({"what", "when", "where", "how", "can", "could", "is", "does",
                             "do", "which", "why", "que", "cuando", "donde", "como", "cual",
                             "puedo", "puede", "por"})
# When two replies are said as plainly: cancelling to find another day is a new time.
TIES = {frozenset({Reply.cancel, Reply.reschedule}): Reply.reschedule}

# The offered choice each reply picks, by the intent of its payload, first found first.
CHOICE_INTENTS: dict[Reply, tuple[str, ...]] = {
    Reply.confirm: ("outreach_confirm",),
    Reply.reschedule: ("outreach_reschedule", "outreach_rebook"),
    Reply.cancel: ("outreach_cancel_confirmed", "outreach_cancel"),
}


@dataclass(frozen=True)
class ReadReply:
    """What a reply means, and the language of the words that said it."""

    reply: Reply
    language: str


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    reply: Reply
    language: str
    strength: int


def _spell_out(text: str) -> str:
    for short, long in SPELLED_OUT.items():
        text = re.sub(rf"(?<![\w']){re.escape(short)}(?![\w'])", long, text)
    return text


@dataclass(frozen=True)
class _Clause:
    words: list[str]
    question: bool


def _is_question(words: list[str], mark: str) -> bool:
    return "?" in mark or (words[0] in QUESTION_STARTS and words[1:2] != ["not"])


def _clauses(text: str) -> list[_Clause]:
    """The reply's clauses as plain words (lower case, no accents, contractions spelled
    out), split at punctuation and at "but"; each a question or not."""
    lowered = without_accents(text.lower()).replace("\u2019", "'").replace("`", "'")
    parts = re.split(r"([,.;:!?¿¡()\n]+)", lowered)
    clauses: list[_Clause] = []
    for part, mark in zip(parts[::2], [*parts[1::2], ""], strict=True):
        plain = re.sub(r"\s+", " ", re.sub(r"[^\w\s'#*]", " ", part)).strip()
        words = _spell_out(plain).replace("'", "").split()
        pieces: list[list[str]] = [[]]
        for word in words:
            if word in CLAUSE_ENDS:
                pieces.append([])
            else:
                pieces[-1].append(word)
        pieces = [p for p in pieces if p]
        clauses.extend(_Clause(p, _is_question(p, mark if i == len(pieces) - 1 else ""))
                       for i, p in enumerate(pieces))
    return clauses


@lru_cache
def _phrases() -> tuple[_Phrase, ...]:
    found = []
    for reply, languages in PHRASES.items():
        for language, strengths in languages.items():
            for strength, phrases in strengths.items():
                for phrase in phrases:
                    words = [w for clause in _clauses(phrase) for w in clause.words]
                    found.append(_Phrase(tuple(words), reply, language, strength))
    # Longest first: "cannot be there" is read before the "be there" inside it.
    return tuple(sorted(found, key=lambda p: -len(p.words)))


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance: a swap of two letters is one edit ("cancle")."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if (i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]):
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _allowed_edits(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def _typo_of(typed: str, wanted: str, allowed: int) -> bool:
    """A small typo of `wanted`; one that keeps its first or second letter (most do), which
    spares the edit distance for nearly every word that is not."""
    return (allowed > 0 and abs(len(typed) - len(wanted)) <= allowed
            and typed[:2] != "" and (typed[0] == wanted[0] or typed[1:2] == wanted[1:2])
            and typed.isalpha() and not typed.startswith(NOT_TYPOS)
            and _edits(typed, wanted) <= allowed)


@lru_cache(maxsize=8192)
def _same_word(typed: str, wanted: str) -> bool:
    """The typed word is the phrase's word, or a small typo of it ("cancle", "confrim")."""
    if not wanted.endswith("*"):
        return typed == wanted or _typo_of(typed, wanted, _allowed_edits(wanted))
    stem = wanted[:-1]
    if typed.startswith(stem):
        return True
    if typed.startswith(NOT_TYPOS):
        return False
    allowed = _allowed_edits(stem)
    return len(typed) >= len(stem) - 1 and any(
        _typo_of(typed[:size], stem, allowed) for size in range(len(stem) - 1, len(stem) + 2))


@lru_cache
def _order() -> dict[_Phrase, int]:
    return {phrase: index for index, phrase in enumerate(_phrases())}


@lru_cache
def _by_first_word() -> tuple[dict[str, list[_Phrase]], dict[str, list[_Phrase]]]:
    """The phrases by their first word: those only that very word begins (a dictionary
    look-up) and those a typo or a longer word may begin (compared one by one)."""
    exact: dict[str, list[_Phrase]] = {}
    loose: dict[str, list[_Phrase]] = {}
    for phrase in _phrases():
        first = phrase.words[0]
        plain = not first.endswith("*") and _allowed_edits(first) == 0
        (exact if plain else loose).setdefault(first, []).append(phrase)
    return exact, loose


def _found(clause: list[str]) -> list[tuple[_Phrase, int]]:
    """Every phrase in the clause, with where it starts: longest first, then in the order
    the phrases are listed, then leftmost first."""
    exact, loose = _by_first_word()
    found = []
    for start, word in enumerate(clause):
        candidates = list(exact.get(word, ()))
        for first, phrases in loose.items():
            if _same_word(word, first):
                candidates.extend(phrases)
        for phrase in candidates:
            rest = phrase.words[1:]
            if start + 1 + len(rest) <= len(clause) and all(
                    _same_word(clause[start + 1 + k], w) for k, w in enumerate(rest)):
                found.append((phrase, start))
    order = _order()
    return sorted(found, key=lambda item: (order[item[0]], item[1]))


def _negated(clause: list[str], start: int, phrase: _Phrase) -> bool:
    """A negator shortly before the phrase, in its clause. A bare "no" opening the clause
    right before an English word as written answers the question ("no cancel it" is "no,
    cancel it"); before a Spanish one it negates it ("no cancele")."""
    before = clause[max(0, start - NEGATION_REACH):start]
    if (start == 1 and before == ["no"] and phrase.language == "en"
            and clause[start] == phrase.words[0].rstrip("*")):
        return False
    return any(w in NEGATORS for w in before)


def _matches(clauses: Iterable[_Clause]) -> list[tuple[_Phrase, bool]]:
    """Every phrase said, longest first, none inside a longer one; with whether it does not
    count: negated, or a confirm asked as a question ("can you confirm the address?")."""
    said: list[tuple[_Phrase, bool]] = []
    for sentence in clauses:
        clause = sentence.words
        taken = [False] * len(clause)
        for phrase, start in _found(clause):
            span = range(start, start + len(phrase.words))
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            said.append((phrase, _negated(clause, start, phrase) or (
                sentence.question and phrase.reply is Reply.confirm)))
    return said


def read_reply(text: str) -> ReadReply | None:
    """What a short reply to an outreach message means, or None: not plainly one of the
    replies (it goes to the normal conversation). A wrong number outweighs everything; a
    plain phrase outweighs an implied one and a bare "yes"; two replies said as plainly are
    none (unless TIES settles them); a negated phrase says nothing."""
    clauses = _clauses(text)
    words = [w for clause in clauses for w in clause.words]
    if not words or len(words) > MAX_WORDS:
        return None
    said = [phrase for phrase, void in _matches(clauses) if not void]
    if not said:
        return None
    wrong = [p for p in said if p.reply is Reply.wrong_number]
    if wrong:
        return ReadReply(Reply.wrong_number, wrong[0].language)
    acting = [p for p in said if p.reply is not Reply.who_is_this] or said
    strongest = max(p.strength for p in acting)
    top = [p for p in acting if p.strength == strongest]
    replies = {p.reply for p in top}
    if len(replies) > 1:
        settled = TIES.get(frozenset(replies))
        if settled is None:
            return None
        top = [p for p in top if p.reply is settled]
    return ReadReply(top[0].reply, top[0].language)


def _intent(button: Button) -> str:
    return button.payload.strip().lstrip("/").split("{")[0]


def answers_outreach(buttons: list[Button]) -> bool:
    """The choices on screen are an outreach message's (its payloads carry the message)."""
    return any(_intent(b).startswith("outreach_") for b in buttons)


def reply_choice(reply: Reply, buttons: list[Button]) -> Button | None:
    """The offered choice a confirm, reschedule or cancel picks; None when none is offered
    (a cancel after a refill prompt is not an answer to it)."""
    for intent in CHOICE_INTENTS.get(reply, ()):
        for button in buttons:
            if _intent(button) == intent:
                return button
    return None
