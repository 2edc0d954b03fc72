"""A rule-based emergency safety net that runs beside the NLU classifier.

The classifier is trained on tidy examples; patients in trouble type fast, misspell and use
slang. These rules catch the phrases that must never wait for verification (chest pain,
cannot breathe, stroke signs, suicidal thoughts, overdose, ...) and deliberately ignore
the idioms patients use about bills ("this bill is killing me"). They are built on a blank
spaCy pipeline (no model weights) with Matchers whose typo-tolerant words go through a
comparison tuned for SMS typos, plus a few general context checks (negation, history,
intent, who it happens to, what the clause goes on to say).

Only this safety net answers with 911 (and 988) and an urgent handoff; the classifier's
`emergency` alone gets a safety check. So every phrasing family of a crisis needs a rule:
passive ideation ("nobody would notice if i was gone"), burden, goodbyes and giving things
away, the means (a gun, pills saved up, a bridge), children and pets getting into
medicines, overdoses by verb and drug name, one-sided weakness, fainting, a bare
"call 911". Misses are worse than false alarms here, but false alarms on everyday talk
would teach patients to ignore the 911 reply, so the rules ask for a symptom *and* its
framing, and tests/bot/safety/phrases.py keeps idioms ("dying to see that movie",
"jump start my car") that must never alarm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc, Span

Kind = Literal["medical", "mental_health"]


@dataclass(frozen=True)
class EmergencyMatch:
    """What was found: the caller answers with 911, and adds 988 for "mental_health"."""

    kind: Kind
    reason: str


# --------------------------------------------------------------------------- normalization

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'"})

# Order matters: longer and more specific spellings first. Applied to lowercased text.
_SMS_SPELLINGS: tuple[tuple[str, str], ...] = (
    (r"\b(?:can'?t|cnt|cnat|cant|cannot|can not|carnt)\b", "can not"),
    (r"\b(?:couldn'?t|couldnt|cudnt)\b", "could not"),
    (r"\b(?:won'?t|wont)\b", "will not"),
    (r"\b(?:don'?t|dont|dnt|dun)\b", "do not"),
    (r"\b(?:doesn'?t|doesnt)\b", "does not"),
    (r"\b(?:isn'?t|isnt)\b", "is not"),
    (r"\b(?:aren'?t|arent)\b", "are not"),
    (r"\b(?:didn'?t|didnt)\b", "did not"),
    (r"\b(?:wasn'?t|wasnt)\b", "was not"),
    (r"\b(?:weren'?t)\b", "were not"),
    (r"\b(?:hasn'?t|hasnt)\b", "has not"),
    (r"\b(?:haven'?t|havent)\b", "have not"),
    (r"\b(?:wouldn'?t|wouldnt)\b", "would not"),
    (r"\b(?:shouldn'?t|shouldnt)\b", "should not"),
    (r"\bain'?t\b", "is not"),
    (r"\b(?:i'?m|ima|i am)\b", "i am"),
    (r"\b(?:i'?ve|ive)\b", "i have"),
    (r"\bi'd\b", "i would"),
    (r"\b(you|he|she|we|they|it)'d\b", r"\1 would"),
    (r"\b(i|you|he|she|we|they|it|that|there)'ll\b", r"\1 will"),
    # "ill" is a word, but not before these verbs: "im scared ill hurt myself"
    (r"\bill (?=(?:just |probably |actually |really |definitely )?(?:hurt|harm|kill|end|cut"
     r"|take|jump|never|overdose|unalive|shoot|hang|drown|die|off)\b)", "i will "),
    (r"\b(he|she|it|there|that|what|who|where)'?s\b", r"\1 is"),
    (r"\b(you|they)'?re\b|\b(we)'re\b", r"\1\2 are"),  # not "were"
    (r"\bwann?a\b", "want to"),
    (r"\bg(?:onna|ona|nna|oona|oonna|onan)\b", "going to"),
    (r"\bgotta\b", "got to"),
    (r"\balot\b", "a lot"),
    (r"\b(my|him|her|them|your) (self|selves)\b", r"\1\2"),
    (r"\bmyslef\b", "myself"),
    (r"\b(?:u)\b", "you"),
    (r"\b(?:ur)\b", "your"),
    (r"\b(?:r)\b", "are"),
    (r"\bto many\b", "too many"),
    (r"\bto much\b", "too much"),
    (r"\b(?:no ?one|no1)\b", "no one"),
    (r"\b(?:some1|sum1)\b", "someone"),
    (r"\b(?:every1|evry1)\b", "everyone"),
    (r"\b(?:any1|ne1)\b", "anyone"),
    (r"\b(?:wud|wld)\b", "would"),
    (r"\bwudn'?t\b", "would not"),
    (r"\btheyd\b", "they would"),
    # "2" for "to" after a word and before one that cannot be counted ("a burden 2 every1",
    # "want 2 die"), never "took 2 pills" or "my 2 kids"
    (r"(?<=[a-z] )2 (?=(?:be|die|live|end|kill|hurt|harm|go|do|stop|exist|disappear|sleep"
     r"|wake|everyone|everybody|my|me|him|her|them|us|you|the)\b)", "to "),
    (r"\bppl\b", "people"),
    (r"\b(?:smth|sth|somethin|sumthin|smthing)\b", "something"),
    (r"\brn\b", "right now"),
    (r"\b(?:tmrw|tmrow|tmr|tomoro|tomorow|tommorow|tommorrow|2moro|2morrow)\b", "tomorrow"),
    (r"\b(?:tonite|2nite|2night)\b", "tonight"),
    (r"\btryna\b", "trying to"),
    (r"\b(?:finna|gunna)\b", "going to"),
    (r"\b(?:bout|abt)\b", "about"),
    (r"\bthru\b", "through"),
    (r"\bgf\b", "girlfriend"),
    (r"\bbf\b", "boyfriend"),
    (r"\bw/ ?", "with "),
    (r" (?:&|n) (?=[a-z])", " and "),
    # "my 2yo", "a 3 month old": a young child, whatever the unit
    (r"\b(\d+) ?(?:yo|y/o|yrs? old|years? old|mo old|months? old|m/o)\b", r"\1 year old"),
    (r"\bpane\b", "pain"),  # sounds the same; nobody's chest has a window
    (r"\b(?:pls|plz|plse)\b", "please"),
    (r"\b(?:bc|cuz|coz)\b", "because"),
    (r"\b(?:o\.?d\.?'?e?d|oded|od'?ing)\b", "overdosed"),
    (r"\b(i|he|she|they|just|we) od\b", r"\1 overdosed"),
    # "kms" means "kill myself" after a verb-ish word, never after a number ("5 kms away").
    (r"\b(to|just|going to|will|literally|should|might|i|gonna|about to) kms\b",
     r"\1 kill myself"),
    (r"^\W*kms\W*$", "kill myself"),
)
_SMS_RULES = tuple((re.compile(pattern), repl) for pattern, repl in _SMS_SPELLINGS)
_REPEATS = re.compile(r"(.)\1{2,}")
_HYPHEN_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[-_/](?=[a-z])")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lowercase SMS text with common spellings spelled out, so patterns stay few."""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    folded = _REPEATS.sub(r"\1\1", folded)  # "paaaain" -> "paain", "alll" -> "all"
    folded = _HYPHEN_BETWEEN_LETTERS.sub(" ", folded)  # "self-harm", "x-ray"
    for pattern, repl in _SMS_RULES:
        folded = pattern.sub(repl, folded)
    return _SPACES.sub(" ", folded).strip()


# --------------------------------------------------------------------------- fuzzy compare

# Real words one typo away from a word the rules look for. A patient who types one of these
# means it ("bill", "overdue", "strike"), so it is never read as the nearby symptom word.
_NEAR_MISS_WORDS = frozenset({
    # short words: a swap or one letter from "pain", "kill", "want", "die", "live", "life"
    "bill", "will", "fill", "till", "hill", "pill", "mill", "paid", "pair", "main", "rain",
    "gain", "wait", "went", "wand", "dye", "due", "like", "line", "lime", "love", "give",
    "five", "lisp", "pls",
    # longer words: one edit, or the same consonants, from a symptom word
    "overdue", "overdo", "overdone", "overrides", "strike", "stoke", "strobe", "bathe",
    "bathing", "breadth", "bread", "birth", "heat", "heard", "hearty", "attach", "chess",
    "cheat", "crest", "beach", "breach", "breeding", "blending", "bleeping", "blend", "bleep",
    "breed", "bed", "billed", "blood", "bless", "building", "builds", "sizing", "seizing",
    "tight", "speed", "specs", "tongs", "threat", "throw", "thirty", "cooking", "choosing",
    "crossing", "clothing", "closing", "crashing", "drop", "drops", "dropped", "dropping",
    "doing", "drying", "trying", "lying", "tying", "dining", "month", "shirt", "sort",
    "sport", "access", "acting", "arrow", "arrows", "better", "butter", "backed", "blanked",
    "blocked", "clearer", "exploring", "harding", "horn", "pending", "peering", "pulling",
    "putting", "puppy", "putty", "peeking", "poking", "redaction", "stepping", "separating",
    "supporting", "starling", "starting", "succeed", "spelled", "spelling", "smelling",
    "stolen", "taking", "walking", "terrible", "vice", "waited", "wasted", "parser",
    "conversions", "hunting", "works", "wards", "women", "dying", "faint",
    # found by comparing a large everyday vocabulary with the rule words: "paint on my chest",
    # "ate a noodle", "smashed my pills" (to swallow them), "suddenly blink"
    "paint", "paints", "pairs", "noodle", "noodles", "smashed", "smashing", "blink", "blinks",
    "bind", "topic", "laughter", "alive", "stack", "shack", "sack", "fonts", "depth", "ding",
    "liked", "likes", "fried",
})


def _squeeze(word: str) -> str:
    """Doubled letters as one: "bleding" and "bleeding", "alergic" and "allergic" agree."""
    return re.sub(r"(.)\1+", r"\1", word)


def _osa_distance(a: str, b: str) -> int:
    """Edit distance where swapping two neighbouring letters ("pian") is one edit."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[len(a)][len(b)]


def _skeleton(word: str) -> str:
    """First letter and the consonants after it: vowel slips ("seizer", "seizure") agree."""
    return word[0] + re.sub(r"[aeiouy]", "", word[1:])


@lru_cache(maxsize=65536)
def typo_compare(word: str, target: str, fuzzy: int = -1) -> bool:
    """The Matcher's FUZZY test: is ``word`` a plausible typo of ``target``?

    Typos keep the first letter, so that must agree. Short words (up to four letters) allow
    only a swap or a doubled letter ("pian", "kil"): one substitution turns "pain" into
    "paid". Longer words allow one edit (two from eleven letters on), or the same consonants
    with other vowels ("seizer"). ``fuzzy`` (FUZZYn in a pattern) overrides the budget.
    """
    if word == target:
        return True
    # Cheap refusals first: most pairs differ in their first letter (which squeezing keeps)
    # or in length by more than any budget allows.
    if word[0] != target[0] or abs(len(word) - len(target)) > 3:
        return False
    if word in _NEAR_MISS_WORDS or len(word) < 3 or not word.isalpha():
        return False
    squeezed, squeezed_target = _squeeze(word), _squeeze(target)
    if squeezed == squeezed_target:
        return True
    if fuzzy >= 0:
        budget = fuzzy
    elif len(target) <= 4:
        return sorted(word) == sorted(target) and _osa_distance(word, target) == 1
    else:
        budget = 1 if len(target) <= 10 else 2
    distance = _osa_distance(word, target)
    if distance <= budget:
        return True
    return (len(target) >= 6 and distance <= 2 and abs(len(word) - len(target)) <= 1
            and _skeleton(squeezed) == _skeleton(squeezed_target))


@lru_cache(maxsize=65536)
def slip_compare(word: str, target: str) -> bool:
    """Is ``word`` a keyboard slip of a plain (not ``~``) rule word: two neighbouring letters
    swapped, one dropped or one doubled ("myslef", "myslf", "mysself")? No other edit: a
    changed or an added letter makes another real word too often ("talking", "taking")."""
    if word == target:
        return True
    if word[0] != target[0] or word in _NEAR_MISS_WORDS or not word.isalpha():
        return False
    if len(word) == len(target):
        diffs = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                and word[diffs[0]] == target[diffs[1]] and word[diffs[1]] == target[diffs[0]])
    if len(word) == len(target) - 1:
        return any(target[:i] + target[i + 1:] == word for i in range(1, len(target)))
    if len(word) == len(target) + 1:
        return any(word[i] == word[i - 1] and word[:i] + word[i + 1:] == target
                   for i in range(1, len(word)))
    return False


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Rule:
    """One reason to alarm: token patterns plus the context checks that apply to them.

    Patterns use a compact notation, one token per space-separated item:
    ``word`` exact (from six letters on, keyboard slips too: slip_compare), ``=word`` exact
    only, ``~word`` typo-tolerant (typo_compare), ``a|b`` any of, ``a+lot`` a multi-word
    alternative, a trailing ``?`` makes the item optional, ``a|b{0,3}`` is up to three
    words from the list, ``*N`` skips up to N words (never punctuation, so a skip stays
    inside its clause) and ``#many`` is a count of six or more ("20", "twenty", "a dozen").
    Word lists in the checks below use ``+`` the same way ("to+the" is two words).
    """

    kind: Kind
    reason: str
    patterns: tuple[str, ...]
    # physical symptoms can be denied ("no chest pain") or be history ("last year")
    check_context: bool = True
    # an event noun ("a stroke", "a seizure"): "had a ..." is history unless still going on
    event: bool = False
    # the next words must not be one of these ("dying to know", "stroke of luck")
    not_followed_by: frozenset[str] = frozenset()
    # when set, the match must end its clause or be followed by one of these: "I'm going to
    # jump" and "... jump tonight", not "... jump in the shower"
    clause_end_or: frozenset[str] | None = None
    # the words just before the match must not be one of these ("almost fainted")
    not_preceded_by: frozenset[str] = frozenset()
    # when set, one of the few words before the match (in its sentence) must be one of these:
    # who it happens to ("my baby is turning blue", not "the sky is turning blue"). With "^"
    # in the set, a match that opens its sentence needs none ("turning blue help").
    needs_before: frozenset[str] | None = None
    # the match must be (almost) the whole message: "heart attack!!", "stroke help"
    alone: bool = False
    # a joke when its sentence laughs: "this song slaps so hard i can not breathe lol"
    laughter_silences: bool = False


def _words(*texts: str) -> frozenset[str]:
    """A word set from space- or bar-separated words: _words("a b|c") == {"a", "b", "c"}."""
    return frozenset(w for text in texts for w in re.split(r"[\s|]+", text) if w)


# A sentence that laughs: "i can not breathe lol", "dying 😂".
_LAUGHTER = re.compile(r"\b(?:lo+l+|lmf?ao+|rofl|(?:ha){2,}h?|(?:he){2,}|hilarious|laughing"
                       r"|laughed|so funny)\b|[\U0001F602\U0001F923\U0001F480]")

# The rules are data (emergency_rules.yml), for clinicians to review without reading Python.
RULES_FILE = Path(__file__).with_name("emergency_rules.yml")
_PIECE = re.compile(r"\{([A-Z_]+)\}")
_WORD_SETS = ("not_followed_by", "clause_end_or", "not_preceded_by", "needs_before")


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    sets: dict[str, frozenset[str]]


@lru_cache
def rule_book(path: Path = RULES_FILE) -> RuleBook:
    """The rules file, read on first use: {NAME} in a pattern is the named piece of `words`,
    $NAME in a word list takes in the named set (or the words of a piece)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pieces: dict[str, str] = {}

    def expand(text: str) -> str:
        return _PIECE.sub(lambda m: pieces[m.group(1)], text)

    for name, text in data["words"].items():
        pieces[name] = expand(text)
    sets: dict[str, frozenset[str]] = {}

    def word_set(text: str) -> frozenset[str]:
        found: set[str] = set()
        for item in text.split():
            name = item[1:]
            if item.startswith("$"):
                found |= sets[name] if name in sets else _words(pieces[name])
            else:
                found.add(item)
        return frozenset(found)

    for name, text in data["sets"].items():
        sets[name] = word_set(text)
    rules = []
    for raw in data["rules"]:
        fields: dict[str, Any] = dict(raw)
        fields["patterns"] = tuple(expand(pattern) for pattern in raw["patterns"])
        for key in _WORD_SETS:
            if key in fields:
                fields[key] = word_set(fields[key])
        rules.append(Rule(**fields))
    return RuleBook(tuple(rules), sets)


# Words that make a physical symptom a past episode rather than now.
_HISTORY = re.compile(
    r"\b(last (?!night|evening|hour|minute|few|couple|min)\w+|\w+ ago|history of|follow ?up"
    r"|followup|rehab|rehabilitation|recovery|recovering|used to|back in"
    r"|in (january|february|march|april|may|june|july|august|september|october|november"
    r"|december)|in (19|20)\d\d)\b"
)
_ONGOING = re.compile(r"\b(still|since|right now|now|again|today|tonight|getting worse|worse"
                      r"|keeps|currently|happening|just (had|started|happened|now))\b")
_NEGATORS = frozenset({"no", "not", "never", "without", "denies", "deny", "nor", "any", "zero"})
_PAST_AUX = frozenset({"had", "was", "were", "has", "have"})
_CLAUSE_BREAKS = frozenset({"but", "though", "although", "however"})
# An overdose is a mental-health crisis when it was meant.
_INTENT = re.compile(
    r"\b(on purpose|intentionally|deliberately|to end (it|my life|everything|things)"
    r"|to die|so i (would|will|can|could) die|kill myself|suicid\w*)\b"
)
# How many words before a match may name who it happens to (Rule.needs_before).
_SUBJECT_WINDOW = 6


def _alternatives(item: str) -> list[list[str]]:
    """``a|b+c`` as word sequences: [["a"], ["b", "c"]]."""
    return [alt.split("+") for alt in item.split("|")]


# The token attribute naming the typo-tolerant words a token may stand for (see _detector).
TYPOS = "emergency_typos"


# Plain rule words this long take keyboard slips (slip_compare: "myslef", "tonihgt",
# "briidge"); "=" keeps one exact ("=noose": "nose" and "noise" are one letter away).
_SLIP_LENGTH = 6


def _is_fuzzy(word: str) -> bool:
    """Matched through the typo attribute: a ``~`` word, or a plain one that takes slips."""
    return word.startswith("~") or _takes_slips(word)


def _takes_slips(word: str) -> bool:
    return not word.startswith(("~", "=")) and len(word) >= _SLIP_LENGTH and word.isalpha()


def _bare(word: str) -> str:
    return word.removeprefix("~").removeprefix("=")


def _pattern_words(pattern: str) -> list[str]:
    """Every word of a pattern, as written ("~chest", "=noose", "a")."""
    return [w for w in re.split(r"[\s|+?]|\{\d+,\d+\}", pattern)
            if w and not w.startswith(("*", "#"))]


def _word_spec(words: list[str]) -> dict[str, Any]:
    fuzzy = [_bare(w) for w in words if _is_fuzzy(w)]
    exact = [_bare(w) for w in words if not _is_fuzzy(w)]
    if fuzzy:  # a mixed group: the attribute holds the word itself too, for the exact ones
        return {"_": {TYPOS: {"INTERSECTS": fuzzy + exact}}}
    if len(exact) == 1:  # compared by the matcher itself, without a Python predicate
        return {"LOWER": exact[0]}
    return {"LOWER": {"IN": exact}}


_MANY = (r"^([6-9]|[1-9]\d+|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|dozen"
         r"|dozens|hundred|hundreds)$")
_REPEATED = re.compile(r"^(?P<words>[^*+?]+)\{(?P<least>\d+),(?P<most>\d+)\}$")


def compile_pattern(pattern: str) -> list[list[dict[str, Any]]]:
    """One rule pattern as Matcher patterns: multi-word alternatives expand into several.

    Besides the notation in Rule, ``a|b|c{0,3}`` is zero to three words from the list.
    Optional single words stay one token with ``"OP": "?"``, so they add no pattern: the
    matcher starts every pattern at every token, and its time grows with their number.
    """
    variants: list[list[dict[str, Any]]] = [[]]
    for item in pattern.split():
        if item == "#many":
            variants = [v + [{"LOWER": {"REGEX": _MANY}}] for v in variants]
            continue
        if item.startswith("*"):
            skip = {"IS_PUNCT": False, "OP": f"{{0,{int(item[1:])}}}"}
            variants = [v + [skip] for v in variants]
            continue
        repeated = _REPEATED.match(item)
        if repeated:
            spec = {**_word_spec(repeated["words"].split("|")),
                    "OP": f"{{{repeated['least']},{repeated['most']}}}"}
            variants = [v + [spec] for v in variants]
            continue
        optional = item.endswith("?")
        alts = _alternatives(item.removesuffix("?"))
        singles = [alt[0] for alt in alts if len(alt) == 1]
        if optional and len(singles) == len(alts):
            spec = {**_word_spec(singles), "OP": "?"}
            variants = [v + [spec] for v in variants]
            continue
        choices: list[list[dict[str, Any]]] = []
        if singles:
            choices.append([_word_spec(singles)])
        choices += [[_word_spec([w]) for w in alt] for alt in alts if len(alt) > 1]
        if optional:
            choices.append([])
        variants = [v + c for v in variants for c in choices]
    return variants


# Words too common to tell messages apart; the prefilter (_anchor) avoids them.
_COMMON = _words(
    "i me my a an the to is am are was were be been being not no can could will would do does"
    " did of in on at for and or it its this that he she they him her them his their you your"
    " we us our have has had having so just like up out off all some going want get got about"
    " with feel feels felt now one too really very what how when if there here please but as"
    " by from into over again")


def _anchor(pattern: str) -> frozenset[str] | None:
    """Words one of which a message must hold, or be a typo of, for ``pattern`` to match:
    one word from each alternative of its least common required item (None: no such item)."""
    best: tuple[tuple[int, int], frozenset[str]] | None = None
    for item in pattern.split():
        if item.startswith("*") or item == "#many" or item.endswith("?"):
            continue
        repeated = _REPEATED.match(item)
        if repeated and int(repeated["least"]) == 0:
            continue
        alts = ([[w] for w in repeated["words"].split("|")] if repeated
                else _alternatives(item))
        chosen = []
        for alt in alts:
            words = [_bare(w) for w in alt]
            chosen.append(max([w for w in words if w not in _COMMON] or words, key=len))
        score = (sum(w in _COMMON for w in chosen), len(chosen))
        if best is None or score < best[0]:
            best = (score, frozenset(chosen))
    return None if best is None else best[1]


@dataclass(frozen=True)
class _CompiledRule:
    index: int
    rule: Rule
    # a message holding none of these words (or typos of them) cannot match; None: any can
    anchors: frozenset[str] | None
    matcher: Matcher


@dataclass(frozen=True)
class _Detector:
    nlp: Language
    rules: tuple[_CompiledRule, ...]
    # the rule words a word is a plausible typo of (itself included when it is one)
    typos: Callable[[str], frozenset[str]]


@lru_cache(maxsize=1)
def _detector() -> _Detector:
    """The pipeline and matchers, built on first use: nothing heavy happens at import.

    Typo-tolerant words are matched through a token attribute: the set of rule words the
    token is a plausible typo of (typo_compare), worked out once per distinct word against
    the rule words with its first letter. (The matcher's FUZZY operator would compare every
    token with every word of every list, in every message.) Each rule has its own matcher,
    run only when the message holds one of the rule's anchor words: the matcher starts
    every pattern at every token, so most of its time went on rules that cannot match.
    """
    import spacy
    from spacy.matcher import Matcher
    from spacy.tokens import Token

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    book = rule_book().rules
    compiled = [[spec for p in rule.patterns for spec in compile_pattern(p)] for rule in book]
    words = {word for rule in book for pattern in rule.patterns
             for word in _pattern_words(pattern)}
    typo_words = {_bare(w) for w in words if w.startswith("~")}
    by_letter: dict[str, list[tuple[str, Callable[[str, str], bool]]]] = {}
    for word, compare in sorted(
        [(w, typo_compare) for w in typo_words]
        + [(_bare(w), slip_compare) for w in words
           if _takes_slips(w) and _bare(w) not in typo_words],
        key=lambda pair: pair[0],
    ):
        by_letter.setdefault(word[0], []).append((word, compare))
    strings = nlp.vocab.strings

    @lru_cache(maxsize=65536)
    def typos(word: str) -> frozenset[str]:
        """The rule words ``word`` may be a typo (~ words) or a slip (plain words) of, and
        the word itself."""
        return frozenset(
            t for t, compare in by_letter.get(word[:1], ()) if compare(word, t)) | {word}

    @lru_cache(maxsize=65536)
    def typo_keys(word: str) -> frozenset[int]:
        return frozenset(strings.add(t) for t in typos(word))

    Token.set_extension(TYPOS, getter=lambda token: typo_keys(token.lower_), force=True)
    rules = []
    for index, (rule, patterns) in enumerate(zip(book, compiled, strict=True)):
        anchors = [_anchor(p) for p in rule.patterns]
        matcher = Matcher(nlp.vocab)
        matcher.add(f"emergency_rule_{index}", patterns)
        rules.append(_CompiledRule(index, rule, None if None in anchors else frozenset(
            word for words in anchors if words is not None for word in words), matcher))
    return _Detector(nlp, tuple(rules), typos)


def _negated(doc: Doc, start: int) -> bool:
    """A denial of the symptom: "no chest pain", "not having ...", "no pain or trouble ..."."""
    before = [t for t in doc[max(0, start - 2):start]]
    if any(t.lower_ in _NEGATORS for t in before) and not any(t.is_punct for t in before):
        return True
    if start > 0 and doc[start - 1].lower_ in {"or", "nor"}:  # a list under one denial
        for token in reversed(doc[max(0, start - 8):start - 1]):
            if token.is_punct or token.lower_ in _CLAUSE_BREAKS:
                return False
            if token.lower_ in _NEGATORS:
                return True
    return False


def _historical(rule: Rule, span: Span) -> bool:
    """A past episode: "had a stroke last year", "my chest pain was just heartburn"."""
    sentence = span.sent.text
    if _ONGOING.search(sentence):
        return False
    doc = span.doc
    following = doc[span.end].lower_ if span.end < len(doc) else ""
    if following in {"was", "were", "turned", "ended"}:
        return True
    if rule.event and any(t.lower_ in _PAST_AUX for t in doc[max(0, span.start - 3):span.end]):
        return True
    return bool(_HISTORY.search(sentence))


def _followed_by(doc: Doc, end: int, phrases: frozenset[str]) -> bool:
    for phrase in phrases:
        words = phrase.split("+")
        if [t.lower_ for t in doc[end:end + len(words)]] == words:
            return True
    return False


def _preceded_by(doc: Doc, start: int, phrases: frozenset[str]) -> bool:
    for phrase in phrases:
        words = phrase.split("+")
        if start >= len(words) and [t.lower_ for t in doc[start - len(words):start]] == words:
            return True
    return False


def _has_subject(rule: Rule, span: Span) -> bool:
    """Rule.needs_before: who the match happens to is one of the rule's words. The nearest
    such word, or thing, before it decides: "the baby swallowed a coin and is choking", but
    not "my son's car engine is choking"."""
    assert rule.needs_before is not None
    sentence_start = span.sent.start
    if span.start == sentence_start or all(t.is_punct for t in span.doc[sentence_start:span.start]):
        return "^" in rule.needs_before
    window = span.doc[max(sentence_start, span.start - _SUBJECT_WINDOW):span.start]
    for token in reversed(window):
        if token.lower_ in rule_book().sets["THINGS"]:
            return False
        if token.lower_ in rule.needs_before:
            return True
    return False


def _accept(rule: Rule, span: Span) -> bool:
    doc = span.doc
    following = doc[span.end] if span.end < len(doc) else None
    if _followed_by(doc, span.end, rule.not_followed_by):
        return False
    if rule.not_preceded_by and _preceded_by(doc, span.start, rule.not_preceded_by):
        return False
    if rule.clause_end_or is not None and following is not None and not (
        following.is_punct or _followed_by(doc, span.end, rule.clause_end_or)
    ):
        return False
    if rule.needs_before is not None and not _has_subject(rule, span):
        return False
    if rule.alone and any(
        not t.is_punct and t.lower_ not in rule_book().sets["ALARM_FILLERS"]
        for t in (*doc[:span.start], *doc[span.end:])
    ):
        return False
    if rule.laughter_silences and _LAUGHTER.search(span.sent.text):
        return False
    if rule.check_context and (_negated(doc, span.start) or _historical(rule, span)):
        return False
    return True


def detect_emergency(text: str) -> EmergencyMatch | None:
    """The emergency in ``text``, if any. Mental-health crises win over physical ones
    (the caller then gives 988 as well as 911)."""
    if not text or not text.strip():
        return None
    detector = _detector()
    normalized = normalize(text)
    doc = detector.nlp(normalized)
    words = {token.lower_ for token in doc}
    words.update(*(detector.typos(word) for word in list(words)))
    found: list[tuple[int, int, Rule]] = []
    for compiled in detector.rules:
        if compiled.anchors is not None and compiled.anchors.isdisjoint(words):
            continue
        for _, start, end in compiled.matcher(doc):
            if _accept(compiled.rule, doc[start:end]):
                found.append((compiled.index, start, compiled.rule))
    if not found:
        return None
    _, _, best = min(found, key=lambda item: (item[0], item[1]))
    if best.kind == "medical" and _INTENT.search(normalized) and any(
        rule.reason == "overdose" for _, _, rule in found
    ):
        return EmergencyMatch("mental_health", "overdose")
    return EmergencyMatch(best.kind, best.reason)
