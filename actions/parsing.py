"""Reading what patients type: dates of birth, names, ZIP codes, medications, when they
would like to come, and which charge they mean."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser
from dateutil import parser as dateutil_parser

from actions.settings import get_action_settings
from bot.backoffice.schemas import PartOfDay
from bot.i18n import without_accents

_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})(?!\d)")
_FILLER = re.compile(r"\b(my|dob|d\.o\.b|date of birth|birthday|born|on|is|it'?s|its|was|i was)\b",
                     re.IGNORECASE)


_DIGITS_ONLY = re.compile(r"\d{6}|\d{8}")


# Spanish the way patients write it, said in the English the parsers read ("el martes en la
# tarde" -> "tuesday afternoon", "12 de marzo de 1984" -> "12 march 1984"). Words only: no
# guess at which order an all-numeric date is in (the verification form asks).
_ES_MONTHS = {"enero": "january", "febrero": "february", "marzo": "march", "abril": "april",
              "mayo": "may", "junio": "june", "julio": "july", "agosto": "august",
              "septiembre": "september", "setiembre": "september", "sept": "september",
              "octubre": "october", "noviembre": "november", "diciembre": "december"}
_ES_DAYS = {"lunes": "monday", "martes": "tuesday", "miercoles": "wednesday",
            "jueves": "thursday", "viernes": "friday", "sabado": "saturday",
            "domingo": "sunday"}
_ES_PHRASES: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"\b(lo antes posible|lo mas pronto posible|lo mas pronto|cuanto antes|"
     r"la primera (cita|hora) (disponible|libre))\b", "asap"),
    (r"\b(por|en|de|a) la manana\b", "morning"),
    (r"\b(por|en|de|a) la tarde\b", "afternoon"),
    (r"\b(por|en|de|a) la noche\b", "evening"),
    (r"\bpasado manana\b", "in 2 days"),
    (r"\bmanana\b", "tomorrow"),
    (r"\bhoy\b", "today"),
    (r"\b(la proxima semana|la semana que viene|la otra semana|semana que entra)\b",
     "next week"),
    (r"\b(esta semana)\b", "this week"),
    (r"\b(el proximo mes|el mes que viene)\b", "next month"),
    (r"\b(despues del|despues de)\b", "after"),
    (r"\b(antes del|antes de)\b", "before"),
    (r"\b(el|este) (proximo|otro) (" + "|".join(_ES_DAYS) + r")\b", r"next \3"),
    (r"\b(" + "|".join(_ES_DAYS) + r") (que viene|proximo)\b", r"next \1"),
    (r"\bel dia (\d{1,2})\b", r"the \1th"),
    (r"\b(\d{1,2}) (de )?(" + "|".join(_ES_MONTHS) + r")\b", r"\3 \1"),
    (r"\b(" + "|".join(_ES_MONTHS) + r") (de|del) (\d{4})\b", r"\1 \3"),
    (r"\b(" + "|".join(_ES_MONTHS) + r")\b", lambda m: _ES_MONTHS[m.group(1)]),
    (r"\b(" + "|".join(_ES_DAYS) + r")\b", lambda m: _ES_DAYS[m.group(1)]),
    (r"\b(el|la|los|las|para|por favor|puede ser|me queda bien|cualquier dia|nac[ií]|naci|"
     r"mi fecha de nacimiento es|fecha de nacimiento|es el|es)\b", " "),
    (r"\b(de|del)\b", " "),
]
_ES_COMPILED = [(re.compile(pattern), repl) for pattern, repl in _ES_PHRASES]
_ES_MARKERS = re.compile(r"\b(" + "|".join([*_ES_MONTHS, *_ES_DAYS]) + r"|manana|tarde|noche|"
                         r"hoy|semana|antes|despues|posible|proximo|proxima|dia|de|del)\b")


def from_spanish(text: str) -> str:
    """The words a Spanish date or time is said in, as the English the parsers read; text
    with no Spanish date word is returned as it was."""
    plain = without_accents(text.lower())
    if not _ES_MARKERS.search(plain):
        return text
    for pattern, repl in _ES_COMPILED:
        plain = pattern.sub(repl, plain)
    return " ".join(plain.split())


def _spell_out_digits(digits: str) -> str:
    """Month first, as the prompt shows; a year first only when it cannot be a month."""
    if len(digits) == 8 and int(digits[:2]) > 12:
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return f"{digits[:2]}/{digits[2:4]}/{digits[4:]}"


def parse_date_of_birth(text: str, today: date) -> date | None:
    """03/12/1984, 3-12-84, March 12 1984, 1984-03-12, 12th of March 1984, 03121984 (month
    first; 17/03/1990 is read as March 17 since 17 cannot be a month).

    A date without a year, in the future, or more than 120 years ago is not accepted.
    """
    cleaned = _FILLER.sub(" ", from_spanish(text)).strip(" .,:;!?")
    if _DIGITS_ONLY.fullmatch(cleaned):  # "03171990", "031790", "19900317" (from a keypad)
        cleaned = _spell_out_digits(cleaned)
    if not cleaned or not _YEAR.search(cleaned):
        return None
    try:
        first = dateutil_parser.parse(cleaned, default=datetime(2000, 1, 1), fuzzy=True)
        second = dateutil_parser.parse(cleaned, default=datetime(2004, 2, 2), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if first != second:  # a part was missing and filled in from the defaults
        return None
    born = first.date()
    if born > today and re.search(r"(?<!\d)\d{2}$", cleaned.split()[-1] if cleaned.split() else ""):
        born = born.replace(year=born.year - 100)  # "3-12-26" in 2026 means 1926
    if born > today or born.year < today.year - 120:
        return None
    return born


_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")


def ambiguous_date_of_birth(text: str, today: date) -> tuple[date, date] | None:
    """Both readings of an all-numeric date whose first two parts could each be the month
    ("12/03/1984": December 3 in the US, 12 March almost everywhere else), month first; None
    when only one reading is a date of birth (03/17/1990, 1984-03-12, "March 12, 1984")."""
    cleaned = _FILLER.sub(" ", text).strip(" .,:;!?")
    if _DIGITS_ONLY.fullmatch(cleaned) and len(cleaned) in (6, 8) and int(cleaned[:2]) <= 12:
        cleaned = f"{cleaned[:2]}/{cleaned[2:4]}/{cleaned[4:]}"
    found = _NUMERIC_DATE.fullmatch(cleaned)
    if found is None:
        return None
    first, second = int(found.group(1)), int(found.group(2))
    if first == second or first > 12 or second > 12:
        return None
    us = parse_date_of_birth(f"{first:02d}/{second:02d}/{found.group(3)}", today)
    day_first = parse_date_of_birth(f"{second:02d}/{first:02d}/{found.group(3)}", today)
    if us is None or day_first is None:
        return None
    return us, day_first


def parse_full_name(text: str) -> str | None:
    cleaned = re.sub(r"^(my name is|my name's|name is|i am|i'm|im|it'?s|this is)\s+", "",
                     text.strip(), flags=re.IGNORECASE)
    cleaned = " ".join(re.sub(r"[^\w\s'.-]", " ", cleaned).split())
    words = [w for w in cleaned.split() if any(ch.isalpha() for ch in w)]
    if len(words) < 2 or len(cleaned) > 100 or any(ch.isdigit() for ch in cleaned):
        return None
    return " ".join(words)


def parse_zip_code(text: str) -> str | None:
    match = re.search(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)", text)
    return match.group(1) if match else None


# --- medications ---------------------------------------------------------------------------

_MED_FILLER = frozenset(
    "my the a an for of and or to i me need want please refill refills renew renewal "
    "prescription prescriptions pill pills med meds medication medications medicine tablet "
    "tablets drug one mg".split()
)
# Everyday words for what a medicine is for -> the words our `purpose` field uses.
_PURPOSE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "bp": ("blood", "pressure"),
    "hypertension": ("blood", "pressure"),
    "diabetes": ("blood", "sugar"),
    "diabetic": ("blood", "sugar"),
    "glucose": ("blood", "sugar"),
    "statin": ("cholesterol",),
    "lipids": ("cholesterol",),
}
_ALL_WORDS = re.compile(r"\b(both|all of them|all my|all of my|everything)\b")
_NAME_RATIO = 0.8
_PURPOSE_RATIO = 0.85


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _similarity(said: str, known: str) -> float:
    if said == known:
        return 1.0
    if len(said) >= 4 and known.startswith(said):
        return 0.95  # "lisin", "atorva"
    if len(said) < 4:
        return 0.0
    return difflib.SequenceMatcher(None, said, known).ratio()


def match_medication(text: str, medications: list[tuple[int, str, str | None]]) -> list[int]:
    """The prescriptions the patient means, from (id, medication, purpose) triples.

    By name, partial name or misspelling first ("lisinoprl"); else by what it is for ("my blood
    pressure pill"). One id when clear, several when the words fit several equally (or say
    "both"), none when nothing fits.
    """
    said = [w for w in _words(text) if w not in _MED_FILLER]
    by_name: list[int] = []
    for med_id, name, _ in medications:
        name_words = _words(name)
        if any(_similarity(w, n) >= _NAME_RATIO for w in said for n in name_words):
            by_name.append(med_id)
    if by_name:
        return by_name

    expanded = [p for w in said for p in _PURPOSE_SYNONYMS.get(w, (w,))]
    scores: dict[int, float] = {}
    for med_id, _, purpose in medications:
        purpose_words = [w for w in _words(purpose or "") if w not in _MED_FILLER]
        if not purpose_words or not expanded:
            continue
        hits = sum(
            1 for p in purpose_words if any(_similarity(w, p) >= _PURPOSE_RATIO for w in expanded)
        )
        if hits:
            scores[med_id] = hits / len(purpose_words)
    if scores:
        best = max(scores.values())
        return [med_id for med_id, _, _ in medications if scores.get(med_id) == best]
    if _ALL_WORDS.search(text.lower()):
        return [med_id for med_id, _, _ in medications]
    return []


# --- time preferences ----------------------------------------------------------------------

DEFAULT_WINDOW_DAYS = 14


@dataclass(frozen=True)
class TimePreference:
    """When the patient would like to come: [start, end) in the clinic's zone."""

    start: datetime
    end: datetime
    part_of_day: PartOfDay | None
    asap: bool
    # The one day the patient named ("next tuesday" -> that date), said back with the times
    # so a reading the patient did not mean is seen at once.
    day: date | None = None


_ASAP = re.compile(r"\b(asap|a\.s\.a\.p|as soon as possible|soonest|earliest|first available|"
                   r"next available|as early as possible|right away)\b")
# "3pm", "10:30 am", "3:30"; a bare number is not a time (it may be a numbered choice).
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)(?!\w)"
                    r"|\b(\d{1,2}):(\d{2})\b")
_PARTS: list[tuple[re.Pattern[str], PartOfDay]] = [
    (re.compile(r"\b(mornings?|before noon|before lunch|am)\b"), "morning"),
    (re.compile(r"\b(afternoons?|after lunch|midday|pm)\b"), "afternoon"),
    (re.compile(r"\b(evenings?|tonight|nights?|after work)\b"), "evening"),
]
_AFTER = re.compile(r"\b(after|from|starting|beginning|later than|no earlier than|on or after)"
                    r"\s+(.*)$")
_BEFORE = re.compile(r"\b(before|by|until|till|no later than|prior to)\s+(.*)$")
_TIME_FILLER = re.compile(
    r"\b(any ?time|some ?time|whenever|is good|works|would work|would be good|is fine|"
    r"fine|good|i prefer|prefer|preferably|ideally|how about|what about|can you do|can i do|"
    r"can i come|can i|could i|could you|i'm free|im free|i am free|free|available|"
    r"maybe|please|in the|on the|on|at|the|during|of|or later|or so|ok|okay|works for me|for me"
    r")\b"
)
_WEEKDAY_FIXES = {"weds": "wednesday", "wed": "wednesday", "tues": "tuesday", "tue": "tuesday",
                  "thurs": "thursday", "thur": "thursday", "thu": "thursday", "mon": "monday",
                  "fri": "friday"}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# "next tuesday" is the tuesday of next week (said on a monday: in 8 days, not tomorrow);
# "this tuesday", "tuesday" and "this coming tuesday" the next one to come.
_NEXT_WEEKDAY = re.compile(r"^next (" + "|".join(_WEEKDAYS) + r")$")
_AT_HOUR = re.compile(r"\b(?:at|around|about)\s+(\d{1,2})\b(?!\s*(?:st|nd|rd|th|/))")
_ORDINAL_DAY = re.compile(r"^(?:the\s+(\d{1,2})(?:st|nd|rd|th)?|(\d{1,2})(?:st|nd|rd|th))$")
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz)


def _part_from_clock(hour: int, meridiem: str | None) -> PartOfDay:
    if meridiem:
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif hour < 7:  # "3:30" at a clinic means the afternoon
        hour += 12
    if hour < 12:
        return "morning"
    return "afternoon" if hour < 17 else "evening"


def _parse_day(text: str, now: datetime, tz: ZoneInfo) -> date | None:
    """A calendar day from "next tuesday", "friday", "dec 10", "the 14th", "tomorrow"."""
    text = " ".join(_WEEKDAY_FIXES.get(w, w) for w in text.split())
    if not text or text.isdigit():  # a bare number is a numbered choice, not a day
        return None
    today = now.date()
    ordinal = _ORDINAL_DAY.match(text)
    if ordinal:  # "the 14th": this month if still ahead, else next month
        day_number = int(ordinal.group(1) or ordinal.group(2))
        year, month = today.year, today.month
        for _ in range(3):
            try:
                candidate = date(year, month, day_number)
            except ValueError:
                candidate = None
            if candidate is not None and candidate >= today:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None
    if text == "today":
        return today
    next_weekday = _NEXT_WEEKDAY.match(text)
    if next_weekday:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=_WEEKDAYS.index(next_weekday.group(1)))
    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "TIMEZONE": str(tz),
            "RETURN_AS_TIMEZONE_AWARE": True,
            "RELATIVE_BASE": now.replace(tzinfo=None),
        },
    )
    return found.astimezone(tz).date() if found else None


def _window(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """A window named by the words, or None when they name none."""
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    if re.fullmatch(r"(early |later |late )?next week", text):
        start = monday + timedelta(days=7)
        return _midnight(start, tz), _midnight(start + timedelta(days=7), tz)
    if text in ("this week", "later this week", "rest of the week", "rest of this week"):
        return now, _midnight(monday + timedelta(days=7), tz)
    if text == "next month":
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return _midnight(first, tz), _midnight(following, tz)
    if text == "this month":
        return now, _midnight((today.replace(day=1) + timedelta(days=32)).replace(day=1), tz)
    month = next((i for i, m in enumerate(_MONTHS, 1) if text in (m, m[:3])), None)
    if month is not None:  # "december": the rest of that month, this year or next
        year = today.year + (1 if month < today.month else 0)
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return max(now, _midnight(first, tz)), _midnight(following, tz)
    weeks = re.fullmatch(r"in (\d+|a|one|two|three|four) weeks?", text)
    if weeks:
        count = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4}.get(weeks.group(1))
        start = today + timedelta(weeks=count or int(weeks.group(1)))
        return _midnight(start, tz), _midnight(start + timedelta(days=7), tz)
    return None


def parse_time_preference(text: str, now: datetime, tz: ZoneInfo | None = None) -> TimePreference:
    """"next tuesday afternoon", "after the 14th", "mornings", "asap", "any time next week",
    "friday", "dec 10": a window [start, end) (never before `now`) and a part of the day.

    What it cannot read becomes the default: any time in the next 14 days.
    """
    tz = tz or ZoneInfo(get_action_settings().clinic_timezone)
    now = now.astimezone(tz)
    default_end = now + timedelta(days=DEFAULT_WINDOW_DAYS)
    cleaned = " ".join(re.sub(r"[^\w\s:./'-]", " ", from_spanish(text).lower()).split())

    part: PartOfDay | None = None
    clock = _CLOCK.search(cleaned)
    if clock:
        hour = clock.group(1) or clock.group(4)
        part = _part_from_clock(int(hour), clock.group(3))
        cleaned = _CLOCK.sub(" ", cleaned)
    at_hour = _AT_HOUR.search(cleaned)
    if at_hour:
        part = part or _part_from_clock(int(at_hour.group(1)), None)
        cleaned = _AT_HOUR.sub(" ", cleaned)
    for pattern, name in _PARTS:
        if pattern.search(cleaned):
            part = part or name
            cleaned = pattern.sub(" ", cleaned)

    if _ASAP.search(cleaned):
        return TimePreference(start=now, end=default_end, part_of_day=part, asap=True)

    relation = None
    for word, pattern in (("after", _AFTER), ("before", _BEFORE)):
        match = pattern.search(cleaned)
        if match:
            relation, cleaned = word, match.group(2)
            break
    rest = " ".join(_TIME_FILLER.sub(" ", cleaned.replace(".", " ")).split())

    window = _window(rest, now, tz) if rest else None
    day = None
    if window is None and rest:
        day = _parse_day(rest, now, tz)
        if day is not None:
            window = (_midnight(day, tz), _midnight(day + timedelta(days=1), tz))
    start, end = now, default_end
    if window is not None:
        if relation == "after":  # strictly after: from the end of what was named
            start, end = window[1], window[1] + timedelta(days=DEFAULT_WINDOW_DAYS)
        elif relation == "before":
            end = window[0]
        else:
            start, end = window
    start = max(start, now)
    if end <= start:  # "before today", a day already gone: fall back to the default
        start, end, day = now, default_end, None
    return TimePreference(start=start, end=end, part_of_day=part, asap=False,
                          day=day if relation is None else None)


# --- what a request to move an appointment already says --------------------------------

_TIME_WORDS = re.compile(
    r"\b(any ?time|whenever|soon|asap|earliest|first available|today|tomorrow|tonight|"
    r"weekend|week|month|mornings?|afternoons?|evenings?|noon|lunch|\d{1,2} ?(am|pm)|"
    r"\d{1,2}:\d{2}|\d{1,2}(st|nd|rd|th)|(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\b")


def names_a_time(text: str) -> bool:
    """Whether the words name a time, in English or in Spanish ("la próxima semana")."""
    return bool(_TIME_WORDS.search(from_spanish(text).lower()))


# Words that say "this is when I could come" before a time: "move it *to* friday", "*for*
# tomorrow", "*how about* monday". The time itself follows.
_WHEN_LEAD = re.compile(
    r"\b(?:to|for|till|until|into|onto|how about|what about|maybe|preferably|ideally|"
    r"prefer|(?:can|could) (?:we|i|you) do)\s+")
# Words that are part of the wish themselves: "*after* the 15th", "*asap*".
_WHEN_SELF = re.compile(
    r"\b(?:after|before|sometime|some time|any ?time|whenever|"
    r"asap|a\.s\.a\.p|as soon as possible|soonest|earliest|first available|next available|"
    r"as early as possible)\b")
# Where the wish ends: the next clause, a reason, a courtesy, "instead (of ...)".
_WHEN_END = re.compile(
    r"[,;!?]|(?<!\bdr)(?<![ap]\.m)\.(?:\s|$)|\b(?:because|since|cause|cuz|but|as i|as my|"
    r"so i|so that|thanks|thank you|thx|ty|please|pls|plz|if (?:possible|you can|that works|"
    r"there is|there's)|instead)\b")
# The first word of a wish: a day, a date, a part of the day, or a word that leads one.
_WHEN_FIRST = re.compile(
    r"(?:the |an? )?(?:next|this|coming|following|early|earlier|late|later|after|before|"
    r"sometime|some|any|anytime|around|in|mid|end|first|asap|a\.s\.a\.p|as|soonest|earliest|"
    r"today|tomorrow|tonight|mornings?|afternoons?|evenings?|noon|lunch|week|weekend|month|"
    r"one|two|three|four|\d|(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)")
# Words that point at the appointment itself ("to my appointment on friday", "friday's
# visit"): not a wish for a new time.
_POINTS_AT_APPOINTMENT = re.compile(
    r"\b(?:my|your|his|her|our|their|appointments?|appts?|apt|visits?|check ?ups?|physical|"
    r"follow ?ups?|one|mine|it)\b|'s\b")


_JOINERS = frozenset({"the", "of", "or", "at", "on"})


def _wish_at(text: str, start: int) -> tuple[int, int] | None:
    """The wish for a time that starts at `start`, as (start, end), if one does."""
    end_match = _WHEN_END.search(text, start)
    end = end_match.start() if end_match else len(text)
    segment = text[start:end].strip()
    if (not segment or not _WHEN_FIRST.match(segment) or not names_a_time(segment)
            or _POINTS_AT_APPOINTMENT.search(segment)):
        return None
    return start, start + len(text[start:end].rstrip())


def split_move_request(text: str, clauses: bool = True) -> tuple[str, str | None]:
    """A request to move an appointment, as (which appointment, when instead).

    "move my appointment with Dr. Shah to Friday morning" -> ("move my appointment with dr.
    shah", "friday morning"); "reschedule asap" -> ("reschedule", "asap"); "can I come in
    friday instead of wednesday" -> ("wednesday", "friday"). A day that only says which
    appointment ("my appointment on thursday", "i can't make it tuesday") is not a wish.
    `clauses`: a clause of its own can be the wish too ("reschedule, next week"); not for
    the answer to "which appointment?" ("Dr. Kim, Thursday" names the appointment).
    """
    if not text or text.lstrip().startswith("/"):  # a button: it says nothing more
        return "", None
    lowered = " ".join(text.lower().split())
    starts = [m.end() for m in _WHEN_LEAD.finditer(lowered)]
    starts += [m.start() for m in _WHEN_SELF.finditer(lowered)]
    if clauses:
        starts += [m.end() for m in re.finditer(r"[,;!?]\s*|\.\s+", lowered)]
    for start in sorted(starts):
        wish = _wish_at(lowered, start)
        if wish is not None:
            which = f"{lowered[:wish[0]]} {lowered[wish[1]:]}"
            return " ".join(which.split()), lowered[wish[0]:wish[1]].strip(" .")
    instead = re.search(r"\binstead of\b", lowered)
    if instead:  # "can i come in friday instead of wednesday": the wish ends the first part
        before = lowered[:instead.start()].rstrip(" ,")
        words = before.split()
        for i in range(len(words)):
            tail = " ".join(words[i:])
            if _wish_at(tail, 0) is not None and all(
                    _WHEN_FIRST.match(w) or w in _JOINERS for w in words[i:]):
                return lowered[instead.end():].strip(), re.sub(r"^(?:in|on|at) ", "", tail)
    return lowered, None


# --- charges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeHint:
    """How a patient points at a charge; each part is passed to the back office's search."""

    amount_cents: int | None
    month: int | None
    words: str | None


_AMOUNT = re.compile(r"\$\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
                     r"|\b(\d+)(?:\.(\d{1,2}))?\s*(?:dollars|bucks|usd)\b")
_MONTH_WORD = re.compile(r"\b(january|february|march|april|june|july|august|september|sept|"
                         r"october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|"
                         r"dec)\b|\b(?:in|from|of|since|on)\s+(may)\b")


def parse_charge_hint(text: str) -> ChargeHint:
    """"the $85 lab fee" -> 8500 + "lab fee"; "the one from March" -> month 3."""
    lowered = text.lower()
    amount = None
    found = _AMOUNT.search(lowered)
    if found:
        dollars = (found.group(1) or found.group(3)).replace(",", "")
        cents = (found.group(2) or found.group(4) or "0").ljust(2, "0")
        amount = int(dollars) * 100 + int(cents)
        lowered = lowered[:found.start()] + " " + lowered[found.end():]
    month = None
    named = _MONTH_WORD.search(lowered)
    if named:
        word = named.group(1) or named.group(2)
        month = next(i for i, m in enumerate(_MONTHS, 1) if m.startswith(word[:3]))
        lowered = lowered[:named.start()] + " " + lowered[named.end():]
    words = " ".join(re.sub(r"[^a-z\s-]", " ", lowered).split())
    return ChargeHint(amount_cents=amount, month=month, words=words or None)
