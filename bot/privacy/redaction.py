"""PHI redaction for logs, transcripts and analytics: identifiers become typed placeholders.

Patients paste dates of birth, phone numbers, addresses, member IDs and card numbers into
chat; none of it should reach a log line or an analytics table. Fixed shapes (phone, email,
card, SSN, numeric dates, labelled IDs) are regexes; shapes made of words (month-name
dates, street addresses, "my name is ...") are EntityRuler patterns on a blank spaCy
pipeline (no model weights); the verified patient's own name parts and identifiers, passed
as ``known``, are matched as whole words in any case.

Rules only catch what has a shape or a label: a first name the caller did not pass in
``known`` stays, and so does a city without a street and state (see the tests).

Patients write in English and Spanish, and a log line does not say which: every rule runs on
every text. The words each language writes dates, names and addresses with are data below
(_DATE_WORDS, _NAME_CUES, _STREET_TYPES, ...), so a language is added there.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

Kind = Literal[
    "EMAIL", "MRN", "MEMBER_ID", "SSN", "CARD", "PHONE", "DATE", "ADDRESS", "ZIP", "NAME"
]
# When two findings overlap, the longer one wins; on a tie, the earlier kind here.
KINDS: tuple[Kind, ...] = (
    "EMAIL", "MRN", "MEMBER_ID", "SSN", "CARD", "PHONE", "DATE", "ADDRESS", "ZIP", "NAME"
)
_PRIORITY = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(frozen=True, order=True)
class Finding:
    """One identifier: ``text[start:end]`` is replaced by ``[kind]``."""

    start: int
    end: int
    kind: Kind


# --------------------------------------------------------------------------- regexes

# Month names and abbreviations, English then Spanish (written without accents, and none
# needs one). Not the Spanish "ago" or "set": English words that sit next to numbers.
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november"
           "|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
           "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre"
           "|noviembre|diciembre|ene|abr|dic")
_NOT_IN_WORD = r"(?<![\w$.,])"
_NOT_BEFORE_WORD = r"(?![\w])"

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}\b")
# Labelled identifiers: the label stays, the value goes ("MRN 100101" -> "MRN [MRN]").
_MRN = re.compile(
    r"\b(?:mrn|medical\s+record(?:\s+(?:number|num|no\.?|#))?|record\s+(?:number|no\.?|#)"
    r"|chart\s+(?:number|no\.?|#))\s*(?:is\s+|[:#=]\s*)?(?P<value>[a-z]{0,3}\d[\d-]{3,14})\b",
    re.IGNORECASE,
)
_MEMBER = re.compile(
    r"\b(?:(?:member|subscriber|policy|insurance|medicaid|medicare|insured)"
    r"(?:\s*(?:id|i\.d\.|#|no\.?|number|num|identification(?:\s+number)?))|group(?:\s*(?:id"
    r"|#|no\.?|number|num))?)"
    r"\s*(?:is\s+|[:#=]\s*)?(?P<value>(?=[a-z0-9-]*\d)[a-z0-9][a-z0-9-]{4,19})\b",
    re.IGNORECASE,
)
# Unlabelled, the usual insurer shape: a few letters then many digits ("XJH123456789").
_MEMBER_SHAPE = re.compile(r"\b[A-Z]{1,4}\d{6,12}\b")
_SSN = re.compile(
    r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"
    r"|(?<![\w-])\d{3} \d{2} \d{4}(?![\w-])"
    r"|\b(?:ssn|ss#|social(?:\s+security)?(?:\s+(?:number|no\.?|#))?)\s*(?:is\s+|[:#=]\s*)?"
    r"(?P<value>\d{9})\b",
    re.IGNORECASE,
)
# 13 to 19 digits, with or without spaces or dashes. Public: the dialogue refuses the same
# shapes it redacts (actions.common.has_card_number).
CARD_NUMBER = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_PHONE = re.compile(
    r"(?<![\w$.+-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?![\w-])"
)
_DATE_NUMERIC = re.compile(
    rf"{_NOT_IN_WORD}(?:"
    r"(?P<a>\d{1,2})(?P<sep>[/-])(?P<b>\d{1,2})(?P=sep)(?:\d{4}|\d{2})"  # 03/12/1984, 3-12-84
    r"|(?P<c>\d{1,2})\.(?P<d>\d{1,2})\.(?:19|20)\d{2}"  # 03.12.1984, never "3.8.18"
    r"|(?:19|20)\d{2}(?P<sep2>[/.-])\d{1,2}(?P=sep2)\d{1,2}"  # 1984-03-12
    r"|(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:19|20)\d{2}"  # 03121984
    r")(?:(?![\w])|(?=T\d))"  # a word boundary, or an ISO time: 1984-03-12T10:30
)
# A month and day without a year ("on 3/12") is a date too, unless it is a dose ("1/2 tab").
_DATE_SHORT = re.compile(
    rf"{_NOT_IN_WORD}(?P<a>1[0-2]|0?[1-9])/(?P<b>3[01]|[12]\d|0?[1-9]){_NOT_BEFORE_WORD}"
    r"(?!\s*(?:of|tab|tabs|tablet|tablets|pill|pills|cup|cups|tsp|tbsp|mg|ml|dose|a\b))",
    re.IGNORECASE,
)
# Log lines: name='James Carter', "last_name": "Carter".
_NAME_FIELD = re.compile(
    r"""\b(?:patient_?name|first_?name|last_?name|full_?name|given_?name|family_?name|name)"""
    r"""['"]?\s*[=:]\s*(?P<q>['"]?)(?P<value>[A-Za-z][A-Za-z .'-]{0,60}?)(?P=q)(?=[,;)}\]\s]|$)"""
)
_PO_BOX = re.compile(r"\b(?:p\.?\s?o\.?|post\s+office)\s*box\s*#?\s*\d+\b", re.IGNORECASE)
_ZIP = re.compile(
    r"(?<![\w$.,:/-])\d{5}(?:-\d{4})?(?![\w.,:/-]|\s*(?:dollars|usd|bucks|mg|ml)\b)",
    re.IGNORECASE,
)

# A number right after these words is an amount ("I owe 12000"), not a ZIP code.
_AMOUNT_WORDS = re.compile(
    r"\b(?:pay|paid|paying|owe|owed|owes|owing|balance|amount|total|charged|charge|cost|costs"
    r"|price|usd)(?:\s+of)?\s*$",
    re.IGNORECASE,
)
# Nor right after these (log lines name processes, threads and ports: "pid=48213",
# "worker 31337", "Finished server process [12345]"), nor in square brackets ("[12345]",
# how uvicorn and most log formats print a process id; nobody writes a ZIP that way).
_PROCESS_WORDS = re.compile(r"\b(?:pid|ppid|tid|process|worker|thread|port)\s*[=#]?\s*\[?$",
                            re.IGNORECASE)


def _not_a_zip(text: str, start: int, end: int) -> bool:
    """Whether the five digits at text[start:end] are, by what surrounds them, no ZIP."""
    if text[start - 1:start] == "[" and text[end:end + 1] == "]":
        return True
    before = text[max(0, start - 12):start]
    return bool(_AMOUNT_WORDS.search(before) or _PROCESS_WORDS.search(before))


def _luhn_ok(digits: str) -> bool:
    """Card numbers carry a check digit; most other long numbers do not pass it."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _valid_month_day(first: str, second: str) -> bool:
    """Either reading (US month/day or day/month) must be a real calendar pair."""
    a, b = int(first), int(second)
    return (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)


def _international_phones(text: str) -> Iterator[Finding]:
    """Numbers written with a country code (+44 7911 123456, +52 55 1234 5678): Google's
    libphonenumber knows every country's plan, which no regex of ours would. Only numbers
    starting with "+" or "00", so amounts, IDs and dates are never read as phones."""
    if "+" not in text and "00" not in text:
        return
    import phonenumbers

    for match in phonenumbers.PhoneNumberMatcher(text, "US",
                                                 leniency=phonenumbers.Leniency.POSSIBLE):
        if match.raw_string.startswith(("+", "00")):
            yield Finding(match.start, match.end, "PHONE")


def _regex_findings(text: str) -> Iterator[Finding]:
    for match in _EMAIL.finditer(text):
        yield Finding(match.start(), match.end(), "EMAIL")
    for match in _MRN.finditer(text):
        yield Finding(match.start("value"), match.end("value"), "MRN")
    for match in _MEMBER.finditer(text):
        yield Finding(match.start("value"), match.end("value"), "MEMBER_ID")
    for match in _MEMBER_SHAPE.finditer(text):
        kind: Kind = "MRN" if match.group().upper().startswith("MRN") else "MEMBER_ID"
        yield Finding(match.start(), match.end(), kind)
    for match in _SSN.finditer(text):
        start, end = match.span("value") if match.group("value") else match.span()
        yield Finding(start, end, "SSN")
    for match in CARD_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            yield Finding(match.start(), match.end(), "CARD")
    for match in _PHONE.finditer(text):
        yield Finding(match.start(), match.end(), "PHONE")
    yield from _international_phones(text)
    for match in _DATE_NUMERIC.finditer(text):
        if match.group("a") and not _valid_month_day(match.group("a"), match.group("b")):
            continue
        if match.group("c") and not _valid_month_day(match.group("c"), match.group("d")):
            continue
        yield Finding(match.start(), match.end(), "DATE")
    for match in _DATE_SHORT.finditer(text):
        yield Finding(match.start(), match.end(), "DATE")
    for match in _NAME_FIELD.finditer(text):
        yield Finding(match.start("value"), match.end("value"), "NAME")
    for match in _PO_BOX.finditer(text):
        yield Finding(match.start(), match.end(), "ADDRESS")
    for match in _ZIP.finditer(text):
        if not _not_a_zip(text, match.start(), match.end()):
            yield Finding(match.start(), match.end(), "ZIP")


# --------------------------------------------------------------------------- spaCy rules

# "12", "12th", and the Spanish first of the month: "1ro", "1ero", "1º", "primero"
_DAY = r"^((0?[1-9]|[12]\d|3[01])(st|nd|rd|th|ro|ero|º|°)?|primero)$"
# The words between day, month and year: "12th of March", "12 de marzo de 1984", "del 84"
_DAY_MONTH_WORDS = ["of", "de"]
_MONTH_YEAR_WORDS = ["of", "de", "del"]
# Words before a name, as tokens; the name is the (non-stop) words after them.
_NAME_CUES: list[list[dict[str, Any]]] = [
    [{"LOWER": "my"}, {"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s"]}}],
    [{"LOWER": {"IN": ["name", "patient"]}}, {"ORTH": ":"}],
    # Spanish: "me llamo Rosa", "mi nombre es Rosa", "Nombre: Rosa"
    [{"LOWER": "me"}, {"LOWER": {"IN": ["llamo", "llaman", "dicen"]}}],
    [{"LOWER": "mi"}, {"LOWER": "nombre"}, {"LOWER": "es"}],
    [{"LOWER": "mi"}, {"LOWER": "nombre"}, {"LOWER": "completo"}, {"LOWER": "es"}],
    [{"LOWER": {"IN": ["nombre", "paciente"]}}, {"ORTH": ":"}],
    [{"LOWER": "nombre"}, {"LOWER": "completo"}, {"ORTH": ":"}],
]
# (Every cue is a fixed number of tokens: the name starts right after it.)
# Cues whose name must be capitalized: "soy Rosa", but not "soy diabética".
_TITLE_NAME_CUES: list[list[dict[str, Any]]] = [
    [{"LOWER": {"IN": ["soy", "habla"]}}],
]
# Street types written before the street's name: "Calle 8 #123", "Avenida Reforma 123".
_STREET_TYPES = ["calle", "avenida", "av", "avda", "carrera", "cra", "boulevard", "bulevar",
                 "paseo", "camino", "carretera", "callejon", "callejón", "privada", "calzada",
                 "diagonal", "transversal", "pasaje", "cll", "circunvalación", "autopista"]
# Words that cannot be part of a Spanish street name.
_SPANISH_FUNCTION_WORDS = ["de", "del", "la", "el", "los", "las", "y", "en", "con", "mi", "su",
                           "a", "al", "para", "por", "que", "es", "no", "tengo", "vivo"]
# Units: "apto 4B", "depto 3", said on their own too (only these, not "Suite 200").
_SPANISH_UNITS = ["apto", "apartamento", "depto", "dpto", "departamento", "piso", "interior"]
# the ones that are an address on their own ("piso 2" is also a floor of the clinic)
_UNITS_ALONE = ["apto", "apartamento", "depto", "dpto", "departamento"]
_STREET_NAME_JOINERS = ["de", "del", "la", "las", "los", "el", "y"]
_YEAR = r"^(19|20)\d{2}$"
# Suffixes that only ever name a street.
_STREET_SUFFIXES = [
    "st", "st.", "street", "ave", "ave.", "av", "avenue", "rd", "rd.", "road", "blvd",
    "blvd.", "boulevard", "ln", "ln.", "lane", "ter", "terrace", "pkwy", "parkway", "hwy",
    "highway", "cir", "trl", "aly", "xing", "expy", "expressway", "ct.", "pl.",
]
# Suffixes that are also everyday words ("a 20 minute drive", "no way", "Dr Shah"): they
# count when capitalized or after an address cue ("I live at 9 ocean drive").
_AMBIGUOUS_SUFFIXES = [
    "dr", "dr.", "drive", "ct", "court", "way", "pl", "place", "circle", "sq", "square",
    "trail", "row", "alley", "loop", "path", "pike", "plaza", "crossing",
]
_ADDRESS_CUES = frozenset({"address", "live", "lives", "living", "moved", "move", "moving",
                           "at", "to", "addr", "reside", "located", "mail", "ship", "send"})
# Words that cannot be part of a street name: they tie a number to something else.
_FUNCTION_WORDS = [
    "with", "my", "the", "a", "an", "at", "to", "for", "of", "in", "on", "and", "or", "is",
    "are", "am", "was", "were", "i", "you", "he", "she", "we", "they", "it", "this", "that",
    "me", "your", "our", "their", "his", "her", "by", "from", "about", "have", "has", "had",
    "be", "been", "get", "got", "need", "want", "will", "can", "per", "every", "each",
    "than", "then", "more", "less", "only", "just", "all", "some", "any", "no", "not", "so",
    "times", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month",
    "months", "year", "years", "mile", "miles", "mg", "pills", "refills", "appointments",
]
_DIRECTIONS = ["n", "s", "e", "w", "ne", "nw", "se", "sw", "n.", "s.", "e.", "w.", "north",
               "south", "east", "west", "northeast", "northwest", "southeast", "southwest"]
_UNITS = ["apt", "apt.", "apartment", "unit", "suite", "ste", "ste.", "#", "fl", "floor",
          "rm", "room", "bldg", "building", *_SPANISH_UNITS, "int"]
_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR",
]


def _month() -> dict[str, Any]:
    return {"LOWER": {"REGEX": rf"^({_MONTHS})\.?$"}}


def _entity_patterns() -> list[dict[str, Any]]:
    """EntityRuler patterns for dates in words, street addresses and self-introductions."""
    day = {"LOWER": {"REGEX": _DAY}}
    year = {"TEXT": {"REGEX": _YEAR}}
    comma = {"ORTH": ",", "OP": "?"}
    of = {"LOWER": {"IN": _DAY_MONTH_WORDS}, "OP": "?"}
    month_dot = {"ORTH": ".", "OP": "?"}  # "30 de sept. de 1968": the tokenizer splits it
    of_year = {"LOWER": {"IN": _MONTH_YEAR_WORDS}, "OP": "?"}
    dates = [
        [_month(), day, comma, year],  # March 12, 1984
        [_month(), day],  # March 12th
        [day, of, _month(), month_dot, comma, of_year, year],  # 12 de marzo de 1984
        [day, of, _month()],  # 12 March, 12th of March, 3 de mayo
        [_month(), of_year, year],  # March 1984, marzo de 1984
    ]
    number = {"TEXT": {"REGEX": r"^\d{1,6}[A-Za-z]?$"}}
    direction = {"LOWER": {"IN": _DIRECTIONS}, "OP": "?"}
    # street names: words, or ordinals ("34th"), never function words ("with", "my")
    name = {"TEXT": {"REGEX": r"^([A-Za-z][A-Za-z'.-]*|\d+(st|nd|rd|th))$"},
            "LOWER": {"NOT_IN": _STREET_SUFFIXES + _AMBIGUOUS_SUFFIXES + _UNITS
                      + _FUNCTION_WORDS + _DIRECTIONS}, "OP": "{1,3}"}
    suffix = {"LOWER": {"IN": _STREET_SUFFIXES + _AMBIGUOUS_SUFFIXES}}
    dot = {"ORTH": ".", "OP": "?"}
    unit = [{"ORTH": ",", "OP": "?"}, {"LOWER": {"IN": _UNITS}}, dot,
            {"ORTH": "#", "OP": "?"}, {"TEXT": {"REGEX": r"^#?[A-Za-z0-9-]{1,6}$"}}]
    city_state = [{"ORTH": ","}, {"IS_TITLE": True, "OP": "{1,3}"}, {"ORTH": ",", "OP": "?"},
                  {"TEXT": {"IN": _STATES}}]
    street = [number, direction, name, suffix, dot, direction]
    addresses = [street, street + unit, street + city_state, street + unit + city_state]
    # "Cambridge, MA 02139": the ZIP is only the anchor, it keeps its own placeholder
    town = {"IS_TITLE": True, "LOWER": {"NOT_IN": _FUNCTION_WORDS}, "OP": "{1,3}"}
    addresses.append([town, {"ORTH": ",", "OP": "?"}, {"TEXT": {"IN": _STATES}},
                      {"TEXT": {"REGEX": r"^\d{5}(-\d{4})?$"}}])
    # Spanish order: the street type first. "Calle 8 #123", "Av. Juárez 45", "1234 Calle Ocho"
    street_type = [{"LOWER": {"IN": _STREET_TYPES}}, dot]
    name_text = {"REGEX": r"^([^\W\d_][\w'.-]*|\d+(st|nd|rd|th|a|o|ª|º)?)$"}
    not_street = _SPANISH_FUNCTION_WORDS + _FUNCTION_WORDS + _UNITS + _STREET_TYPES
    # a street's name, which may go on with "de", "la": "Avenida 5 de Mayo 123"
    street_name = [{"TEXT": name_text, "LOWER": {"NOT_IN": not_street}},
                   {"TEXT": name_text, "OP": "{0,4}", "LOWER": {"NOT_IN": [
                       w for w in not_street if w not in _STREET_NAME_JOINERS]}}]
    house = [{"LOWER": {"IN": ["#", "no", "no.", "num", "num.", "número", "numero", "n°",
                               "nº"]}, "OP": "?"}, {"ORTH": ".", "OP": "?"},
             {"TEXT": {"REGEX": r"^#?\d{1,6}[A-Za-z]?(-\d{1,4})?$"}}]
    spanish_streets = [street_type + street_name + house, [number] + street_type + street_name]
    for street_ in spanish_streets:
        addresses += [street_, street_ + unit, street_ + city_state, street_ + unit + city_state]
    # a unit on its own: "vivo en el apto 4B"
    addresses.append([{"LOWER": {"IN": _UNITS_ALONE}}, dot, {"ORTH": "#", "OP": "?"},
                      {"TEXT": {"REGEX": r"^#?(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{1,6}$"}}])
    stop_words = _stop_words()
    name_words = {"IS_ALPHA": True, "LOWER": {"NOT_IN": stop_words}, "OP": "{1,3}"}
    title_words = {"IS_ALPHA": True, "IS_TITLE": True, "LOWER": {"NOT_IN": stop_words},
                   "OP": "{1,3}"}
    names = ([{"label": "NAME", "id": f"cue{len(cue)}", "pattern": cue + [name_words]}
              for cue in _NAME_CUES]
             + [{"label": "NAME", "id": f"cue{len(cue)}", "pattern": cue + [title_words]}
                for cue in _TITLE_NAME_CUES])
    return ([{"label": "DATE", "pattern": p} for p in dates]
            + [{"label": "ADDRESS", "pattern": p} for p in addresses]
            + names)


def _stop_words() -> list[str]:
    """English and Spanish stop words: none of them is a name ("me llamo Rosa y ...")."""
    from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH
    from spacy.lang.es.stop_words import STOP_WORDS as SPANISH

    return sorted(ENGLISH | SPANISH)


@lru_cache(maxsize=1)
def _pipeline() -> Language | None:
    """The blank pipeline with its rules, built on first use and kept. None where spaCy is
    not installed (the engine's environment, whose logs get every other rule)."""
    try:
        import spacy
    except ImportError:
        return None

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True})
    ruler.add_patterns(_entity_patterns())  # type: ignore[attr-defined]
    return nlp


def _plausible_address(ent: Span) -> bool:
    """An everyday-word suffix needs a capital or an address cue; "Dr" before a name is a
    doctor ("2 visits with Dr Shah")."""
    ambiguous = [t for t in ent if t.lower_ in _AMBIGUOUS_SUFFIXES]
    if not ambiguous:
        return True
    suffix = ambiguous[-1]
    doc = ent.doc
    following = doc[suffix.i + 1] if suffix.i + 1 < len(doc) else None
    if (suffix.lower_ in {"dr", "dr."} and following is not None and following.is_alpha
            and following.lower_ not in _UNITS + _DIRECTIONS):
        return False
    if suffix.is_title:
        return True
    return any(t.lower_ in _ADDRESS_CUES for t in doc[max(0, ent.start - 4):ent.start])


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _known_findings(text: str, known: Iterable[str]) -> Iterator[Finding]:
    """The caller's own values (name parts, identifiers): whole words, any case, accents
    optional. Regexes on the raw text, since log lines glue words to punctuation
    (``name='James``) where tokens would not split them."""
    values = {" ".join(v.split()) for v in known if v and len(v.strip()) >= 2}
    values |= {_fold(v) for v in values}
    values.discard("")
    if not values:
        return
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in value.split())
        for value in sorted(values, key=len, reverse=True)
    )
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    folded = _fold(text)
    texts = [text] + ([folded] if folded != text and len(folded) == len(text) else [])
    for candidate in texts:
        for match in pattern.finditer(candidate):
            yield Finding(match.start(), match.end(), "NAME")


def _choose(findings: Iterable[Finding]) -> list[Finding]:
    """Non-overlapping findings: longest first, then by kind priority."""
    chosen: list[Finding] = []
    for finding in sorted(set(findings), key=lambda f: (f.start - f.end, _PRIORITY[f.kind],
                                                         f.start)):
        if finding.end <= finding.start:
            continue
        if all(finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return sorted(chosen)


def _merge_parts(text: str, findings: list[Finding]) -> list[Finding]:
    """"Maria Lopez" is one [NAME], "PO Box 123, Cambridge MA" one [ADDRESS]."""
    merged: list[Finding] = []
    for finding in findings:
        last = merged[-1] if merged else None
        gap = text[last.end:finding.start] if last is not None else ""
        if last is not None and last.kind == finding.kind and (
            (finding.kind == "NAME" and not gap.strip(" "))
            or (finding.kind == "ADDRESS" and not gap.strip(" ,"))
        ):
            merged[-1] = Finding(last.start, finding.end, finding.kind)
        else:
            merged.append(finding)
    return merged


_ZIP_TOKEN = re.compile(r"^\d{5}(-\d{4})?$")


def _ruler_findings(doc: Doc) -> Iterator[Finding]:
    """The EntityRuler's spans as findings, trimmed to the identifier itself."""
    for ent in doc.ents:
        if ent.label_ == "DATE":
            yield Finding(ent.start_char, ent.end_char, "DATE")
        elif ent.label_ == "NAME":  # keep the cue ("my name is", "me llamo"), take the name
            cue = int(ent.ent_id_.removeprefix("cue") or 0)
            words = [t for t in ent[cue:] if t.is_alpha]
            if words:
                yield Finding(words[0].idx, ent.end_char, "NAME")
        elif ent.label_ == "ADDRESS" and _ZIP_TOKEN.match(ent[-1].text):
            # "Cambridge, MA 02139": the ZIP was only the anchor and keeps its own type
            yield Finding(ent.start_char, ent[-2].idx + len(ent[-2].text), "ADDRESS")
        elif ent.label_ == "ADDRESS" and _plausible_address(ent):
            yield Finding(ent.start_char, ent.end_char, "ADDRESS")


_SURROGATE = re.compile("[\ud800-\udfff]")


def find_phi(text: str, known: Iterable[str] = ()) -> list[Finding]:
    """Every identifier found in ``text``, in order, none overlapping."""
    if not text:
        return []
    nlp = _pipeline()
    # spaCy cannot hash a lone surrogate (a bad JSON escape); same length, same offsets.
    readable = _SURROGATE.sub("?", text)
    found = [*_regex_findings(text), *(_ruler_findings(nlp(readable)) if nlp is not None else ()),
             *_known_findings(text, known)]
    return _merge_parts(text, _choose(found))


def redact(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with each identifier replaced by its typed placeholder, e.g. ``[PHONE]``."""
    findings = find_phi(text, known)
    pieces: list[str] = []
    cursor = 0
    for finding in findings:
        pieces.append(text[cursor:finding.start])
        pieces.append(f"[{finding.kind}]")
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


# --------------------------------------------------------------------------- secrets

SECRET = "[SECRET]"
# Credentials in URLs and headers we log: httpx's "GET .../status?token=...", uvicorn's
# "WebSocket /channels/web/ws?token=...", a database URL's password, a bearer header.
_SECRET_QUERY = re.compile(
    r"(?i)(?P<name>[?&;](?:[a-z_]*token|auth|key|api_?key|secret|password|passwd|signature|sig"
    r"|code|jwt)=)(?P<value>[^&\s\"'#<>]+)")
_URL_PASSWORD = re.compile(r"(?P<name>\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^@\s/]+)(?=@)",
                           re.IGNORECASE)
_BEARER = re.compile(r"(?i)(?P<name>\b(?:bearer|basic)\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")
# Environment variables whose values are secrets, in every process.
_SECRET_NAME = re.compile(r"(?i)(token|secret|password|passwd|salt|api_?key|private_?key)$")
_log_secrets: set[str] = set()


def secret_values(environ: dict[str, str] | None = None) -> set[str]:
    """The values of the environment's secret-named variables (``*_TOKEN``, ``*_PASSWORD``,
    ``*_SECRET``, ``*_SALT``, ``*_KEY``) long enough to be worth finding in a line."""
    import os

    source = os.environ if environ is None else environ
    return {value for name, value in source.items()
            if _SECRET_NAME.search(name) and len(value) >= 8}


def add_log_secrets(values: Iterable[str]) -> None:
    """Values every log record of this process loses (the settings' tokens, say)."""
    _log_secrets.update(v for v in values if v and len(v) >= 8)


def redact_secrets(text: str, values: Iterable[str] = ()) -> str:
    """``text`` without credentials: known secret values anywhere, and any value of a
    token-like query parameter, URL password or bearer header."""
    for value in sorted({*values, *_log_secrets}, key=len, reverse=True):
        if value and value in text:
            text = text.replace(value, SECRET)
    for pattern in (_SECRET_QUERY, _URL_PASSWORD, _BEARER):
        text = pattern.sub(lambda m: m.group("name") + SECRET, text)
    return text


# Rasa's "/intent{...}" message form: whatever a sender put in the braces (a name, a date of
# birth, a ZIP, in any shape, quoted or not) stays out of a log line; the intent stays.
_INTENT_ENTITIES = re.compile(r"(?P<head>(?<![\w/])/[A-Za-z_][\w-]*(?:@[\d.]+)?)\{[^{}\n]*\}?")


def redact_intent_payloads(text: str) -> str:
    return _INTENT_ENTITIES.sub(lambda m: m.group("head") + "{[ENTITIES]}", text)


# The engine's structured (structlog JSON) lines carry what a patient wrote under keys such as
# "text" (e.g. rest.message.received.timeout): a name there has no label for the rules to
# see, so the whole value goes. The keys are the ones Rasa itself treats as anonymizable.
_STRUCTURED_TEXT = re.compile(
    r'(?P<key>"(?:text|user_text|response_text|parse_data_text|user_message|message|'
    r'json_message|tracker_latest_message|slot_values)"\s*:\s*)"(?:[^"\\]|\\.)*"')


def redact_structured_text(text: str) -> str:
    return _STRUCTURED_TEXT.sub(lambda m: m.group("key") + '"[TEXT]"', text)


def _printable(text: str) -> str:
    """Lone surrogates (a bad JSON escape) cannot be written as UTF-8; a handler would fail
    and print the whole message in its error report."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------- logging

class RedactingFilter(logging.Filter):
    """Redacts each record's rendered message (and traceback) before a handler writes it.

    Put it on handlers, not loggers: a logger's filters do not see records propagated from
    child loggers, a handler's do. ``known`` may give values to redact as [NAME] for every
    record (e.g. a test patient); per-conversation values belong in ``redact`` calls.
    """

    def __init__(self, name: str = "", known: Callable[[], Iterable[str]] | None = None):
        super().__init__(name)
        self._known = known

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "phi_redacted", False):
            return True
        known = tuple(self._known()) if self._known else ()
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor leak args
            message = f"{record.msg} (args not rendered)"
        record.msg = _printable(redact(redact_intent_payloads(redact_structured_text(
            redact_secrets(message))), known))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _printable(redact(redact_intent_payloads(
                redact_secrets(record.exc_text)), known))
        if record.stack_info:
            record.stack_info = _printable(redact(redact_secrets(record.stack_info), known))
        record.phi_redacted = True
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Adds a RedactingFilter to every handler of ``logger`` (the root logger by default).

    Call it after logging is configured: handlers added later are not covered, and with no
    handler at all Python's last-resort stderr handler is not either. Loggers that do not
    propagate (e.g. "uvicorn.access") need their own call. Calling it twice is harmless.
    """
    target = logger if logger is not None else logging.getLogger()
    installed = next((f for handler in target.handlers for f in handler.filters
                      if isinstance(f, RedactingFilter)), None) or RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(installed)
    return installed


def redact_all_log_records(secrets: Iterable[str] | None = None) -> None:
    """Redacts every log record as it is created, whatever handler later writes it: PHI,
    and credentials (``secrets``, by default the environment's secret-named values).

    For processes whose logging a library sets up after us (the action server's Sanic,
    uvicorn, the engine): a record factory sees every record, a filter only the handlers
    it was put on.
    """
    add_log_secrets(secret_values() if secrets is None else secrets)
    previous = logging.getLogRecordFactory()
    if getattr(previous, "phi_redacting", False):
        return
    redacting = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redacting.filter(record)
        return record

    factory.phi_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# A well-known test card number (Luhn-valid, never a real account), put where a patient
# typed theirs, so the dialogue still sees "a card number" and answers that we can't take
# one, while the real digits never leave the bot service.
CARD_STAND_IN = "4242 4242 4242 4242"


def mask_card_numbers(text: str) -> tuple[str, str]:
    """(text for the engine, text for the record): real card numbers replaced in both."""
    pieces: list[str] = []
    cursor = 0
    found = False
    for match in CARD_NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            pieces.append(text[cursor:match.start()])
            pieces.append("\0")
            cursor = match.end()
            found = True
    if not found:
        return text, text
    pieces.append(text[cursor:])
    masked = "".join(pieces)
    return masked.replace("\0", CARD_STAND_IN), masked.replace("\0", "[card number removed]")
