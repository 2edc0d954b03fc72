"""A rule-based emergency safety net that runs beside the NLU classifier.

The classifier is trained on tidy examples; patients in trouble type fast, misspell and use
slang. These rules catch the phrases that must never wait for verification (chest pain,
cannot breathe, stroke signs, suicidal thoughts, overdose, ...) and deliberately ignore
the idioms patients use about bills ("this bill is killing me"). They are built on a blank
spaCy pipeline (no model weights) with a Matcher whose FUZZY operator uses a comparison
tuned for SMS typos, plus a few general context checks (negation, history, intent).

Misses are worse than false alarms here, but false alarms on everyday billing talk would
teach patients to ignore the 911 reply, so the rules ask for a symptom *and* its framing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

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
    (r"\b(?:i'?m|ima|i am)\b", "i am"),
    (r"\b(?:i'?ve|ive)\b", "i have"),
    (r"\bi'd\b", "i would"),
    (r"\b(he|she|it|there|that)'?s\b", r"\1 is"),
    (r"\b(you|they)'?re\b|\b(we)'re\b", r"\1\2 are"),  # not "were"
    (r"\bwann?a\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\bgotta\b", "got to"),
    (r"\balot\b", "a lot"),
    (r"\b(my|him|her|them|your) (self|selves)\b", r"\1\2"),
    (r"\bmyslef\b", "myself"),
    (r"\b(?:u)\b", "you"),
    (r"\b(?:ur)\b", "your"),
    (r"\b(?:r)\b", "are"),
    (r"\bto many\b", "too many"),
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
    if word in _NEAR_MISS_WORDS or len(word) < 3 or not word.isalpha():
        return False
    squeezed, squeezed_target = _squeeze(word), _squeeze(target)
    if squeezed == squeezed_target:
        return True
    if word[0] != target[0]:
        return False
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


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Rule:
    """One reason to alarm: token patterns plus the context checks that apply to them.

    Patterns use a compact notation, one token per space-separated item:
    ``word`` exact, ``a|b`` any of, ``~word`` typo-tolerant, ``a+lot`` a multi-word
    alternative, a trailing ``?`` makes the item optional, ``*N`` skips up to N words
    (never punctuation, so a skip stays inside its clause) and ``#many`` is a count of six
    or more ("20", "twenty", "a dozen").
    """

    kind: Kind
    reason: str
    patterns: tuple[str, ...]
    # physical symptoms can be denied ("no chest pain") or be history ("last year")
    check_context: bool = True
    # an event noun ("a stroke", "a seizure"): "had a ..." is history unless still going on
    event: bool = False
    # the next words must not be one of these ("dying to know", "stroke of luck"; "to+the"
    # for two words)
    not_followed_by: frozenset[str] = frozenset()
    # when set, the match must end its clause or be followed by one of these words
    clause_end_or: frozenset[str] | None = None
    # the match must be (almost) the whole message: "heart attack!!", "stroke help"
    alone: bool = False


_PAIN = ("~pain|~pains|~pressure|~tightness|~ache|~aching|~hurts|~hurting|~squeezing"
         "|~heaviness|~crushing|~burning|~discomfort")
_BREATHE = "~breathe|~breath|~breathing"
_PILLS = ("~pills|~meds|~medication|~medications|~medicine|~tablets|~capsules|~insulin"
          "|~painkillers|~sleeping|~opioids|~tylenol|~ibuprofen|~xanax|~benadryl|~advil"
          "|~aspirin|~oxycodone|~percocet|~vicodin|~fentanyl|~heroin")
_QUANTITY = ("too+many|way+too+many|a+bunch+of|bunch+of|a+lot+of|lots+of|a+handful+of"
             "|handful+of|all+of+my|all+my|all+of+the|all+the|all+of+his|all+of+her|all+his"
             "|all+her|a+whole+bottle+of|an+entire+bottle+of|the+whole+bottle+of"
             "|whole+bottle+of|a+bottle+of|double+my|triple+my")
_BOTTLE = "a+whole|an+entire|the+whole|a+full|the+entire bottle|box|pack|packet|package"
_INTEND = ("going|want|~wanted|planning|plan|about|ready|decided|trying|gonna|will|might"
           "|should|would")
_PEOPLE = ("he|she|they|him|her|them|baby|mom|dad|husband|wife|son|daughter|kid|child|grandma"
           "|grandpa|father|mother|brother|sister|friend|partner|boyfriend|girlfriend|roommate"
           "|grandmother|grandfather|uncle|aunt|toddler|infant|patient|man|woman|someone")
# Words after an event noun that make it a topic, not an event ("seizure medication").
_TOPIC_WORDS = frozenset({
    "medication", "medications", "meds", "medicine", "med", "clinic", "doctor", "specialist",
    "rehab", "rehabilitation", "unit", "center", "centre", "risk", "test", "testing",
    "screening", "prevention", "awareness", "survivor", "survivors", "history", "support",
    "group", "appointment", "visit", "bill", "insurance", "coverage", "of", "drug", "drugs",
    "disorder", "kit", "kits", "training", "warning", "education", "program", "follow",
    "followup", "patients", "ward", "team", "nurse",
})
_BLOOD_TOPICS = frozenset({
    "test", "tests", "work", "draw", "draws", "pressure", "sugar", "type", "bank",
    "donation", "drive", "panel", "results", "count", "thinner", "thinners", "glucose",
})
_END_IT_FOLLOWERS = frozenset({
    "tonight", "now", "today", "soon", "already", "forever", "all", "for", "once", "tomorrow",
    "right", "please", "i", "and", "so", "because", "lol", "honestly", "anymore",
})
_ALARM_FILLERS = frozenset({
    "help", "please", "911", "ambulance", "omg", "i", "think", "it", "is", "its", "a", "an",
    "my", "me", "having", "now", "call", "urgent", "emergency", "possible", "maybe", "sos",
    "he", "she", "mom", "dad", "am", "quick", "hurry", "right", "going", "on",
})

RULES: tuple[Rule, ...] = (
    # ---- mental health: checked first, never silenced by negation or history
    Rule("mental_health", "suicidal thoughts", (
        "~suicide|~suicidal|~suicidality",
        "~kill|~killing|~killed|murder myself|meself",
        "~unalive|~unaliving myself|me",
        "to|gonna|will|should|going+to off|offing myself",
        "end|ending|ended|take|taking my|his|her own? ~life",
        "end|ending it all",
        "end|ending everything",
        "~want|~wanted|wish|going|ready|deserve to be dead",
        "wish i|he|she was|were dead",
        "better off dead|without+me",
        "nothing+to+live+for",
        "done|finished with life|living|everything",
        "tired|sick of living|life|being+alive",
        "~want|wish it+all|everything|my+life to end|stop|be+over",
        "no+one|nobody would|will|is+going+to miss|care+if me|i",
        "no|not reason|point|will|purpose to ~live|living|go+on|keep+going",
        "no|not point|reason in|for living|life|going+on",
        "~want|wish|hope|going *6 never wake up",
        "jump|jumping off|from a|the|my bridge|building|roof|cliff|balcony|overpass",
        "hang|hanging|shoot|shooting|drown|drowning myself",
        "slit|slitting|cut|cutting my|his|her wrists|wrist",
        "step|stepping|jump|jumping|walk|walking|throw|lie|lying in front of a|the train|bus"
        "|truck|car",
    ), check_context=False, not_followed_by=frozenset({"savings", "insurance", "policy"})),
    Rule("mental_health", "suicidal thoughts", (
        "~want|~wanted|wish|wishing|going|ready|trying|planning|plan|decided|deserve|like to"
        " ~die",
    ), check_context=False, not_followed_by=frozenset({"of", "laughing", "for", "inside"})),
    Rule("mental_health", "suicidal thoughts", (
        "not|never ~want to live|exist|be+alive|be+here+anymore|go+on",
    ), check_context=False, not_followed_by=frozenset({
        "in", "near", "at", "there", "here", "by", "on", "off", "alone", "close", "with+them",
        "with+my", "with+him", "with+her",
    })),
    Rule("mental_health", "suicidal thoughts", (
        f"{_INTEND}|thinking|think|thought to|about|of? end|ending it",
        "to end it",
    ), check_context=False, clause_end_or=_END_IT_FOLLOWERS),
    Rule("mental_health", "self-harm", (
        "self harm|harming|harmed|injury|injuring|~mutilation",
        f"{_INTEND}|tempted|urge|urges to ~hurt|~harm|cut|burn|~starve myself",
        "thinking|think|thought about|of ~hurting|~harming|~cutting|~burning|~starving myself",
        "feel|feeling like ~hurting|~harming|~cutting|~burning myself",
        "been|keep|started|still ~cutting|~harming|~burning|~starving myself",
        "been ~hurting myself",
        "cut|cutting|hurt|harmed|burned|burnt myself on+purpose|deliberately|intentionally",
    ), check_context=False),
    Rule("mental_health", "overdose", tuple(
        f"{_INTEND} to take|swallow|overdose|down|od {q} *2 {_PILLS}"
        for q in _QUANTITY.split("|")
    ) + (
        f"{_INTEND} to take|swallow|down {_BOTTLE}",
        f"{_INTEND} to ~overdose|od",
    ), check_context=False, not_followed_by=frozenset({
        # carrying or scheduling them, not swallowing them
        "in+the", "back", "along", "as", "with+me", "with+us", "to+the", "to+my", "to+your",
        "to+pharmacy", "on+vacation", "on+my", "on+the", "when+i",
    })),
    # ---- medical
    Rule("medical", "chest pain", (
        f"~chest {_PAIN}",
        "~chestpain|~chestpains",
        f"{_PAIN} *2 in|on|across|around my|the|his|her ~chest",
        "~chest is|feels|feel|are|has|keeps *2 ~hurting|tight|~heavy|~killing|~burning"
        "|~exploding|~squeezing|~crushing|~pounding|~aching",
        "~chest ~hurts|~aches",
        "~chest feels|feel|is|like *4 elephant|elephants|sitting+on|squeezed|crushed|vice|vise"
        "|weight|bricks|band|on+fire|exploding|tightening|caving",
    )),
    Rule("medical", "cannot breathe", (
        "can|could not really|even|barely|hardly|properly|seem|fully|seem+to? ~breathe|~breath"
        "|~breathing",
        "can|could not catch|get|take my|a|his|her ~breath",
        "unable to ~breathe",
        "not|stopped|stop|quit|barely|hardly ~breathing|~breathe",
        f"~trouble|~difficulty|difficult|hard|~struggling|struggle|labored|laboured time? "
        f"to? {_BREATHE}",
        "~short|shortness of ~breath",
        "gasping|gasp|fighting|struggling for air|~breath",
        "can|could not get *2 air",
        "turning|turned|gone|going blue",
        "lips|lip|face|skin are|is|look|looks|turning|turned? blue",
        f"is|am|are|keeps|started|{_PEOPLE} ~choking",
        "~choking on",
    )),
    Rule("medical", "heart attack", (
        "~having|into|had ~heart ~attack",
        "~having|into|be|am|is|had|its a|an ~heart ~attack",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "heart attack", ("~heart ~attack",), alone=True),
    Rule("medical", "stroke signs", (
        "~having|into|had ~stroke",
        "~having|into|be|am|is|had|its a|an ~stroke|~strokes",
        "showing|~having|has|with ~signs|~symptoms of a|an? ~stroke",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "stroke signs", ("~stroke", "~stroke ~symptoms|~signs"), alone=True),
    Rule("medical", "stroke signs", (
        "~face|~mouth|~smile|~lip|~eyelid *3 ~drooping|~droopy|~droops|~drooped",
        "~drooping|~droopy ~face|~mouth|~smile",
        "~speech|~words|~speaking|~voice *2 ~slurred|~slurring|~slurry|~garbled",
        "~slurred|~slurring|~garbled ~speech|~words|~talking",
        "~slurring my|his|her ~words|~speech",
        "can|could not feel|move|lift my|his|her left|right|one? arm|leg|face|side|hand|foot",
        "~numbness|~numb|~weakness|~weak|~tingling|~paralyzed|~paralysis on|in|down one|my|the"
        "|his|her left|right|one? side",
        "left|right|one? arm|leg|side|hand went|is|feels|has|gone|going *1 ~numb|~weak|~limp"
        "|~paralyzed|~dead",
        "~sudden ~numbness|~weakness|~confusion",
    )),
    Rule("medical", "unconscious", (
        "~unconscious|~unconsciousness",
        f"{_PEOPLE} is|are|was|seems|looks|went|found? not|stopped|stop ~responding|~responsive",
        f"{_PEOPLE} is|are|was|seems|looks|went? ~unresponsive",
        "found him|her|them ~unresponsive",
        "will|can|could|does|is not ~wake|~waking|~woken up",
        "can|could not wake him|her|them|my|up",
        "passed|passing out|~fainted|~collapsed|~blacked",
        "knocked out",
    ), not_followed_by=frozenset({"bills", "statements", "flyers", "forms", "papers"})),
    Rule("medical", "passing out", (
        "going|about|gonna to pass+out|faint|~collapse|black+out",
    )),
    Rule("medical", "severe bleeding", (
        "~bleeding|~bleed|~bled|~bleeds a+lot|heavily|badly|bad|everywhere|profusely|~nonstop"
        "|non+stop|through|out|like+crazy|so+much|too+much|really+bad|really+badly|heavy"
        "|uncontrollably|all+over",
        "~bleeding|~bleed|~bleeds *4 will|does|can|would|is|has|wo not stop|stopping|stopped",
        "can|could not stop *2 ~bleeding|blood",
        "severe|heavy|uncontrolled|massive|uncontrollable|serious ~bleeding|~hemorrhage"
        "|~haemorrhage",
        "lot|lots|pool|puddle|so+much|too+much of? blood",
        "blood everywhere|~gushing|~pouring|~spurting",
        "~coughing|~vomiting|~puking|throwing|spitting up? blood",
        "~hemorrhaging|~haemorrhaging",
    ), not_followed_by=_BLOOD_TOPICS),
    Rule("medical", "allergic reaction", (
        "~throat|~airway|~airways *4 ~closing|~closed|swelling+shut|shut",
        "~throat|~airway|~airways is|are|feels|feel|keeps? ~swelling",
        "~tongue|~lips|~lip is|are|feels|started|keeps? ~swelling|~swollen|~swelled|~puffing"
        "|~puffy",
        "~anaphylaxis|~anaphylactic",
        "~having|into|severe|bad|serious|major|terrible an|a? ~allergic ~reaction",
        "~allergic ~reaction help|911|ambulance|please",
        "used|using|use+his|use+her|gave+him|gave+her my|his|her|an ~epipen",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "seizure", (
        "~having|into|had ~seizure|~seizures|~convulsion|~convulsions",
        "~having|into|is|am|had|its a|an ~seizure|~convulsion",
        "is|am|are|started|keeps|keep seizing|~convulsing",
        "~convulsing",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "seizure", ("~seizure",), alone=True),
    Rule("medical", "poisoning", (
        "swallowed|drank|ate|ingested|drinking|eating|licked some|a|the|of? ~bleach|~poison"
        "|~antifreeze|~detergent|~battery|~batteries|~cleaner|~ammonia|~lye|~pesticide"
        "|laundry+pods|~pods|rat+poison",
        "~poisoned",
    ), not_followed_by=frozenset({"ivy", "oak"})),
    Rule("medical", "overdose", (
        "~overdose|~overdosed|~overdosing|~overdoses",
        *(f"took|taken|swallowed|ate|popped|downed {q} *2 {_PILLS}"
          for q in _QUANTITY.split("|") if not q.startswith("all")),
        f"took|taken|swallowed|popped|downed all+my|all+of+my|all+the|all+of+the|all+his|all+her"
        f" *2 {_PILLS} at+once|together|at+the+same+time|in+one+go",
        f"took|taken|swallowed|popped|downed like|about|around|over|maybe|almost|nearly|a? #many"
        f" *1 {_PILLS}",
        f"took|taken|swallowed|downed {_BOTTLE}",
    ), not_followed_by=_TOPIC_WORDS),
    Rule("medical", "worst headache", (
        "~worst ~headache of my|his|her ~life",
        "~thunderclap ~headache",
    )),
    Rule("medical", "feels like dying", (
        "feel|feels|think|thinks|felt like? i|he|she am|is|are ~dying",
    ), not_followed_by=frozenset({"to", "of", "for", "laughing", "inside", "here", "lol"})),
)

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


def _alternatives(item: str) -> list[list[str]]:
    """``a|b+c`` as word sequences: [["a"], ["b", "c"]]."""
    return [alt.split("+") for alt in item.split("|")]


def _word_spec(words: list[str]) -> dict[str, Any]:
    fuzzy = [w.removeprefix("~") for w in words if w.startswith("~")]
    exact = [w for w in words if not w.startswith("~")]
    if fuzzy:  # a mixed group: exact words go through the comparison, which accepts them
        return {"LOWER": {"FUZZY": {"IN": fuzzy + exact}}}
    return {"LOWER": {"IN": exact}}


_MANY = (r"^([6-9]|[1-9]\d+|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|dozen"
         r"|dozens|hundred|hundreds)$")


def compile_pattern(pattern: str) -> list[list[dict[str, Any]]]:
    """One rule pattern as Matcher patterns: multi-word alternatives expand into several."""
    variants: list[list[dict[str, Any]]] = [[]]
    for item in pattern.split():
        if item == "#many":
            variants = [v + [{"LOWER": {"REGEX": _MANY}}] for v in variants]
            continue
        if item.startswith("*"):
            skip = {"IS_PUNCT": False, "OP": f"{{0,{int(item[1:])}}}"}
            variants = [v + [skip] for v in variants]
            continue
        optional = item.endswith("?")
        alts = _alternatives(item.removesuffix("?"))
        singles = [alt[0] for alt in alts if len(alt) == 1]
        choices: list[list[dict[str, Any]]] = []
        if singles:
            choices.append([_word_spec(singles)])
        choices += [[_word_spec([w]) for w in alt] for alt in alts if len(alt) > 1]
        if optional:
            choices.append([])
        variants = [v + c for v in variants for c in choices]
    return variants


@dataclass(frozen=True)
class _Detector:
    nlp: Language
    matcher: Matcher
    rules: dict[str, tuple[int, Rule]]


@lru_cache(maxsize=1)
def _detector() -> _Detector:
    """The pipeline and matcher, built on first use: nothing heavy happens at import."""
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher = Matcher(nlp.vocab, fuzzy_compare=typo_compare)
    rules: dict[str, tuple[int, Rule]] = {}
    for index, rule in enumerate(RULES):
        key = f"emergency_rule_{index}"
        rules[key] = (index, rule)
        matcher.add(key, [spec for p in rule.patterns for spec in compile_pattern(p)])
    return _Detector(nlp, matcher, rules)


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


def _accept(rule: Rule, span: Span) -> bool:
    doc = span.doc
    following = doc[span.end] if span.end < len(doc) else None
    if _followed_by(doc, span.end, rule.not_followed_by):
        return False
    if rule.clause_end_or is not None and following is not None and not (
        following.is_punct or following.lower_ in rule.clause_end_or
    ):
        return False
    if rule.alone and any(
        not t.is_punct and t.lower_ not in _ALARM_FILLERS
        for t in (*doc[:span.start], *doc[span.end:])
    ):
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
    found: list[tuple[int, int, Rule]] = []
    for match_id, start, end in detector.matcher(doc):
        index, rule = detector.rules[detector.nlp.vocab.strings[match_id]]
        if _accept(rule, doc[start:end]):
            found.append((index, start, rule))
    if not found:
        return None
    _, _, best = min(found, key=lambda item: (item[0], item[1]))
    if best.kind == "medical" and _INTENT.search(normalized) and any(
        rule.reason == "overdose" for _, _, rule in found
    ):
        return EmergencyMatch("mental_health", "overdose")
    return EmergencyMatch(best.kind, best.reason)
