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

Each language is a rules file (emergency_rules.yml for English, emergency_rules.es.yml for
Spanish: "me duele mucho el pecho", not "me muero de hambre"), with what the matcher needs
to know about the language beside its rules: SMS spellings, whether accents are folded, and
the words of the negation, history, intent and laughter checks. Every message is checked
against every language (a patient in crisis may switch), and the match names the language
it was found in, so the answer can be in it when the conversation's language is not known.
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
    # the language of the rule that matched: the answer's language when the conversation's
    # is not known ("me quiero morir" is answered in Spanish)
    language: str = "en"


# --------------------------------------------------------------------------- normalization

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u00b4": "'", "`": "'"})

_REPEATS = re.compile(r"(.)\1{2,}")
_HYPHEN_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[-_/](?=[a-z])")
_SPACES = re.compile(r"\s+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalize(text: str, language: str = "en") -> str:
    """Lowercase SMS text with the language's common spellings spelled out (and, where the
    language says so, accents taken off: "tomé" and "tome" are typed alike), so patterns
    stay few."""
    profile = language_profile(language)
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    if profile.fold_accents:  # "ñ" too: "mañana" is often typed "manana"
        folded = unicodedata.normalize("NFC", _COMBINING.sub(
            "", unicodedata.normalize("NFD", folded)))
    folded = _REPEATS.sub(r"\1\1", folded)  # "paaaain" -> "paain", "alll" -> "all"
    folded = _HYPHEN_BETWEEN_LETTERS.sub(" ", folded)  # "self-harm", "x-ray"
    for pattern, repl in profile.sms_rules:
        folded = pattern.sub(repl, folded)
    return _SPACES.sub(" ", folded).strip()


# --------------------------------------------------------------------------- fuzzy compare

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
def typo_compare(word: str, target: str, fuzzy: int = -1, language: str = "en") -> bool:
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
    if word in language_profile(language).near_misses or len(word) < 3 or not word.isalpha():
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
def slip_compare(word: str, target: str, language: str = "en") -> bool:
    """Is ``word`` a keyboard slip of a plain (not ``~``) rule word: two neighbouring letters
    swapped, one dropped or one doubled ("myslef", "myslf", "mysself")? No other edit: a
    changed or an added letter makes another real word too often ("talking", "taking")."""
    if word == target:
        return True
    if (word[0] != target[0] or word in language_profile(language).near_misses
            or not word.isalpha()):
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


# The rules are data, for clinicians to review without reading Python: one file per language,
# emergency_rules.yml (English) and emergency_rules.<code>.yml beside it. Each file names its
# language and carries what the matcher needs to know about it (LanguageProfile), so a
# language is added by adding a file.
RULES_FILE = Path(__file__).with_name("emergency_rules.yml")
_PIECE = re.compile(r"\{([A-Z_]+)\}")
_WORD_SETS = ("not_followed_by", "clause_end_or", "not_preceded_by", "needs_before")


@dataclass(frozen=True)
class LanguageProfile:
    """What the matcher needs to know about a language besides its rules (a rules file's
    `language` section): how its SMS spellings are spelled out and the context checks' words."""

    code: str
    spacy: str  # the blank spaCy pipeline (tokenizer only) for the language
    fold_accents: bool
    sms_rules: tuple[tuple[re.Pattern[str], str], ...]
    near_misses: frozenset[str]
    negators: frozenset[str]
    past_aux: frozenset[str]
    clause_breaks: frozenset[str]
    list_joins: frozenset[str]
    # auxiliaries a denial reaches across ("no he tenido dolor de pecho")
    negation_bridges: frozenset[str]
    history_followers: frozenset[str]
    history: re.Pattern[str]
    ongoing: re.Pattern[str]
    intent: re.Pattern[str]
    laughter: re.Pattern[str]
    many: str
    common: frozenset[str]


def _profile(raw: dict[str, Any]) -> LanguageProfile:
    return LanguageProfile(
        code=str(raw["code"]),
        spacy=str(raw["spacy"]),
        fold_accents=bool(raw["fold_accents"]),
        sms_rules=tuple((re.compile(pattern), repl) for pattern, repl in raw["sms_spellings"]),
        near_misses=_words(raw["near_misses"]),
        negators=_words(raw["negators"]),
        past_aux=_words(raw["past_aux"]),
        clause_breaks=_words(raw["clause_breaks"]),
        list_joins=_words(raw["list_joins"]),
        negation_bridges=_words(raw.get("negation_bridges", "")),
        history_followers=_words(raw["history_followers"]),
        history=re.compile(raw["history"]),
        ongoing=re.compile(raw["ongoing"]),
        intent=re.compile(raw["intent"]),
        laughter=re.compile(raw["laughter"]),
        many=str(raw["many"]),
        common=_words(raw["common"]),
    )


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    sets: dict[str, frozenset[str]]
    language: LanguageProfile


def rule_files() -> tuple[Path, ...]:
    """Every language's rules file, English first (it is checked first on a tie)."""
    return (RULES_FILE, *sorted(RULES_FILE.parent.glob("emergency_rules.*.yml")))


@lru_cache
def rule_books() -> dict[str, RuleBook]:
    """Every language's rules, by language code, English first."""
    books: dict[str, RuleBook] = {}
    for path in rule_files():
        book = rule_book(path)
        if book.language.code in books:
            raise ValueError(f"{path} names language {book.language.code!r} a second time")
        books[book.language.code] = book
    return books


def language_profile(language: str) -> LanguageProfile:
    try:
        return rule_books()[language].language
    except KeyError:
        raise ValueError(f"no emergency rules for language {language!r}") from None


@lru_cache
def rule_book(path: Path = RULES_FILE) -> RuleBook:
    """A rules file, read on first use: {NAME} in a pattern is the named piece of `words`,
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
    return RuleBook(tuple(rules), sets, _profile(data["language"]))


# How many words before a match may name who it happens to (Rule.needs_before).
_SUBJECT_WINDOW = 6


def _alternatives(item: str) -> list[list[str]]:
    """``a|b+c`` as word sequences: [["a"], ["b", "c"]]."""
    return [alt.split("+") for alt in item.split("|")]


# The token attribute naming the typo-tolerant words a token may stand for (see _detector),
# one per language: each language's matchers have their own words and near misses.
TYPOS = "emergency_typos"


def typos_attribute(language: str) -> str:
    return f"{TYPOS}_{language}"


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


def _word_spec(words: list[str], language: str) -> dict[str, Any]:
    fuzzy = [_bare(w) for w in words if _is_fuzzy(w)]
    exact = [_bare(w) for w in words if not _is_fuzzy(w)]
    if fuzzy:  # a mixed group: the attribute holds the word itself too, for the exact ones
        return {"_": {typos_attribute(language): {"INTERSECTS": fuzzy + exact}}}
    if len(exact) == 1:  # compared by the matcher itself, without a Python predicate
        return {"LOWER": exact[0]}
    return {"LOWER": {"IN": exact}}


_REPEATED = re.compile(r"^(?P<words>[^*+?]+)\{(?P<least>\d+),(?P<most>\d+)\}$")


def compile_pattern(pattern: str, language: str = "en") -> list[list[dict[str, Any]]]:
    """One rule pattern as Matcher patterns: multi-word alternatives expand into several.

    Besides the notation in Rule, ``a|b|c{0,3}`` is zero to three words from the list.
    Optional single words stay one token with ``"OP": "?"``, so they add no pattern: the
    matcher starts every pattern at every token, and its time grows with their number.
    """
    variants: list[list[dict[str, Any]]] = [[]]
    for item in pattern.split():
        if item == "#many":
            many = {"LOWER": {"REGEX": language_profile(language).many}}
            variants = [v + [many] for v in variants]
            continue
        if item.startswith("*"):
            skip = {"IS_PUNCT": False, "OP": f"{{0,{int(item[1:])}}}"}
            variants = [v + [skip] for v in variants]
            continue
        repeated = _REPEATED.match(item)
        if repeated:
            spec = {**_word_spec(repeated["words"].split("|"), language),
                    "OP": f"{{{repeated['least']},{repeated['most']}}}"}
            variants = [v + [spec] for v in variants]
            continue
        optional = item.endswith("?")
        alts = _alternatives(item.removesuffix("?"))
        singles = [alt[0] for alt in alts if len(alt) == 1]
        if optional and len(singles) == len(alts):
            spec = {**_word_spec(singles, language), "OP": "?"}
            variants = [v + [spec] for v in variants]
            continue
        choices: list[list[dict[str, Any]]] = []
        if singles:
            choices.append([_word_spec(singles, language)])
        choices += [[_word_spec([w], language) for w in alt] for alt in alts if len(alt) > 1]
        if optional:
            choices.append([])
        variants = [v + c for v in variants for c in choices]
    return variants


def _anchor(pattern: str, language: str = "en") -> frozenset[str] | None:
    """Words one of which a message must hold, or be a typo of, for ``pattern`` to match:
    one word from each alternative of its least common required item (None: no such item)."""
    common = language_profile(language).common
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
            chosen.append(max([w for w in words if w not in common] or words, key=len))
        score = (sum(w in common for w in chosen), len(chosen))
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
    book: RuleBook
    nlp: Language
    rules: tuple[_CompiledRule, ...]
    # the rule words a word is a plausible typo of (itself included when it is one)
    typos: Callable[[str], frozenset[str]]
    # the words of the rules and the language's common words: which language a message is in
    vocabulary: frozenset[str]


@lru_cache(maxsize=8)
def _detector(language: str = "en") -> _Detector:
    """A language's pipeline and matchers, built on first use: nothing heavy at import.

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

    book = rule_books()[language]
    nlp = spacy.blank(book.language.spacy)
    nlp.add_pipe("sentencizer")
    compiled = [[spec for p in rule.patterns for spec in compile_pattern(p, language)]
                for rule in book.rules]
    words = {word for rule in book.rules for pattern in rule.patterns
             for word in _pattern_words(pattern)}
    typo_words = {_bare(w) for w in words if w.startswith("~")}
    by_letter: dict[str, list[tuple[str, Callable[[str, str, str], bool]]]] = {}
    for word, compare in sorted(
        [(w, _typo_compare) for w in typo_words]
        + [(_bare(w), _slip_compare) for w in words
           if _takes_slips(w) and _bare(w) not in typo_words],
        key=lambda pair: pair[0],
    ):
        by_letter.setdefault(word[0], []).append((word, compare))
    strings = nlp.vocab.strings

    @lru_cache(maxsize=65536)
    def typos(word: str) -> frozenset[str]:
        """The rule words ``word`` may be a typo (~ words) or a slip (plain words) of, and
        the word itself."""
        return frozenset(t for t, compare in by_letter.get(word[:1], ())
                         if compare(word, t, language)) | {word}

    @lru_cache(maxsize=65536)
    def typo_keys(word: str) -> frozenset[int]:
        return frozenset(strings.add(t) for t in typos(word))

    Token.set_extension(typos_attribute(language),
                        getter=lambda token: typo_keys(token.lower_), force=True)
    rules = []
    for index, (rule, patterns) in enumerate(zip(book.rules, compiled, strict=True)):
        anchors = [_anchor(p, language) for p in rule.patterns]
        matcher = Matcher(nlp.vocab)
        matcher.add(f"emergency_rule_{language}_{index}", patterns)
        rules.append(_CompiledRule(index, rule, None if None in anchors else frozenset(
            word for words in anchors if words is not None for word in words), matcher))
    vocabulary = frozenset(_bare(w) for w in words) | book.language.common
    return _Detector(book, nlp, tuple(rules), typos, vocabulary)


def _typo_compare(word: str, target: str, language: str) -> bool:
    return typo_compare(word, target, -1, language)


def _slip_compare(word: str, target: str, language: str) -> bool:
    return slip_compare(word, target, language)


def _negated(profile: LanguageProfile, doc: Doc, start: int) -> bool:
    """A denial of the symptom: "no chest pain", "not having ...", "no pain or trouble ..."."""
    # the two words before it, not counting auxiliaries the denial reaches across
    before = [t for t in doc[max(0, start - 4):start]
              if t.lower_ not in profile.negation_bridges][-2:]
    if any(t.lower_ in profile.negators for t in before) and not any(t.is_punct for t in before):
        return True
    if start > 0 and doc[start - 1].lower_ in profile.list_joins:  # a list under one denial
        for token in reversed(doc[max(0, start - 8):start - 1]):
            if token.is_punct or token.lower_ in profile.clause_breaks:
                return False
            if token.lower_ in profile.negators:
                return True
    return False


def _historical(profile: LanguageProfile, rule: Rule, span: Span) -> bool:
    """A past episode: "had a stroke last year", "my chest pain was just heartburn"."""
    sentence = span.sent.text
    if profile.ongoing.search(sentence):
        return False
    doc = span.doc
    following = doc[span.end].lower_ if span.end < len(doc) else ""
    if following in profile.history_followers:
        return True
    if rule.event and any(t.lower_ in profile.past_aux
                          for t in doc[max(0, span.start - 3):span.end]):
        return True
    return bool(profile.history.search(sentence))


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


def _has_subject(book: RuleBook, rule: Rule, span: Span) -> bool:
    """Rule.needs_before: who the match happens to is one of the rule's words. The nearest
    such word, or thing, before it decides: "the baby swallowed a coin and is choking", but
    not "my son's car engine is choking"."""
    assert rule.needs_before is not None
    sentence_start = span.sent.start
    if span.start == sentence_start or all(t.is_punct for t in span.doc[sentence_start:span.start]):
        return "^" in rule.needs_before
    window = span.doc[max(sentence_start, span.start - _SUBJECT_WINDOW):span.start]
    for token in reversed(window):
        if token.lower_ in book.sets["THINGS"]:
            return False
        if token.lower_ in rule.needs_before:
            return True
    return False


def _accept(book: RuleBook, rule: Rule, span: Span) -> bool:
    doc = span.doc
    profile = book.language
    following = doc[span.end] if span.end < len(doc) else None
    if _followed_by(doc, span.end, rule.not_followed_by):
        return False
    if rule.not_preceded_by and _preceded_by(doc, span.start, rule.not_preceded_by):
        return False
    if rule.clause_end_or is not None and following is not None and not (
        following.is_punct or _followed_by(doc, span.end, rule.clause_end_or)
    ):
        return False
    if rule.needs_before is not None and not _has_subject(book, rule, span):
        return False
    if rule.alone and any(
        not t.is_punct and t.lower_ not in book.sets["ALARM_FILLERS"]
        for t in (*doc[:span.start], *doc[span.end:])
    ):
        return False
    if rule.laughter_silences and profile.laughter.search(span.sent.text):
        return False
    if rule.check_context and (_negated(profile, doc, span.start)
                               or _historical(profile, rule, span)):
        return False
    return True


def _detect_in(language: str, text: str) -> EmergencyMatch | None:
    """The emergency in ``text`` by one language's rules."""
    detector = _detector(language)
    normalized = normalize(text, language)
    doc = detector.nlp(normalized)
    words = {token.lower_ for token in doc}
    words.update(*(detector.typos(word) for word in list(words)))
    found: list[tuple[int, int, Rule]] = []
    for compiled in detector.rules:
        if compiled.anchors is not None and compiled.anchors.isdisjoint(words):
            continue
        for _, start, end in compiled.matcher(doc):
            if _accept(detector.book, compiled.rule, doc[start:end]):
                found.append((compiled.index, start, compiled.rule))
    if not found:
        return None
    _, _, best = min(found, key=lambda item: (item[0], item[1]))
    if best.kind == "medical" and detector.book.language.intent.search(normalized) and any(
        rule.reason == "overdose" for _, _, rule in found
    ):
        return EmergencyMatch("mental_health", "overdose", language)
    return EmergencyMatch(best.kind, best.reason, language)


def detect_emergency(text: str) -> EmergencyMatch | None:
    """The emergency in ``text``, if any, by every language's rules: a patient in crisis may
    write in another language than the conversation's (or mix them), and a miss costs more
    than the few microseconds a prefiltered rule set takes. Mental-health crises win over
    physical ones (the caller then gives 988 as well as 911); then the languages' order."""
    if not text or not text.strip():
        return None
    found = [match for language in rule_books()
             if (match := _detect_in(language, text)) is not None]
    if not found:
        return None
    kind = "mental_health" if any(m.kind == "mental_health" for m in found) else "medical"
    found = [m for m in found if m.kind == kind]
    if len(found) == 1:
        return found[0]
    # Several languages' rules matched ("suicidio", "911"): the match is said in the language
    # the message's other words belong to.
    scores = _language_scores(text)
    return max(found, key=lambda m: scores[m.language])


def _language_scores(text: str) -> dict[str, int]:
    """How many of the message's words only one language's rules (or common words) know:
    "me voy a suicidar" has two Spanish ones, "i want to kill myself" five English ones."""
    vocabularies = {language: _detector(language).vocabulary for language in rule_books()}
    scores: dict[str, int] = {}
    for language, vocabulary in vocabularies.items():
        others = set().union(*(v for other, v in vocabularies.items() if other != language))
        words = set(re.findall(r"[\w']+", normalize(text, language)))
        scores[language] = len((words & vocabulary) - others)
    return scores
