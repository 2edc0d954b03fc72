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


_PAIN = ("~pain|~pains|~pressure|~tightness|~ache|~aching|~hurts|~hurting|~squeezing"
         "|~heaviness|~crushing|~burning|~discomfort")
_BREATHE = "~breathe|~breath|~breathing"
# Medicines by kind and by name. "sleeping" is left out ("sleeping bag"): the patterns skip a
# word or two before the noun ("a dozen sleeping pills").
_PILLS = ("~pills|pill|~meds|~medication|~medications|~medicine|~medicines|~tablets|~capsules"
          "|~insulin|~painkillers|~opioids|~opiates|~tylenol|~ibuprofen|~xanax|~benadryl"
          "|~advil|~aspirin|~oxycodone|~oxycontin|oxy|oxys|~percocet|percs|~vicodin|~fentanyl"
          "|~heroin|~acetaminophen|~paracetamol|~naproxen|~aleve|~motrin|~morphine|~codeine"
          "|~tramadol|~hydrocodone|~methadone|~lithium|~ambien|~valium|~klonopin|~ativan"
          "|~adderall|~seroquel|~antidepressants|~gabapentin|~nyquil|~melatonin|~warfarin"
          "|~norco|xans|~zoloft|~prozac|~lorazepam|~clonazepam|~diazepam|~alprazolam|~metformin"
          "|~digoxin|~antihistamines|~syrup")
_DRUGS = _PILLS + "|~drugs"
# A lot of them, as three slots: "way too much of my", "a whole bottle of", "double my".
_QUANTITY = ("too|way|a|an|the|whole|entire|full|half{0,3} many|much|bunch|lot|lots|handful"
             "|bottle|bottles|box|pack|packet|double|triple|fistful|mouthful|every"
             " of|my|the|his|her|their|those|these|them|dose|doses|amount|dosage{0,3}")
# The same with "all": "all of my", "all the" (taking all one's pills is only alarming when
# meant, or at once).
_QUANTITY_ALL = _QUANTITY.replace(" many|", " all|many|")
_BOTTLE = "a+whole|an+entire|the+whole|a+full|the+entire bottle|box|pack|packet|package"
_TOOK = "took|taken|swallowed|ate|eaten|popped|downed|gulped|chugged|snorted|injected|drank"
_INTEND = ("~going|want|~wanted|planning|plan|about|ready|decided|trying|gonna|will|might"
           "|should|would")
_PEOPLE = ("he|she|they|him|her|them|baby|mom|dad|husband|wife|son|daughter|kid|child|grandma"
           "|grandpa|father|mother|brother|sister|friend|partner|boyfriend|girlfriend|roommate"
           "|grandmother|grandfather|uncle|aunt|toddler|infant|patient|man|woman|someone"
           "|somebody|mum|mommy|daddy|nana|papa|grandson|granddaughter|nephew|niece|neighbor"
           "|coworker|teen|teenager|boy|girl|guy|lady|person|cousin|fiance|fiancee")
# Who takes medicines or poisons by accident (pets too: the same poison line answers).
_YOUNG = ("toddler|toddlers|baby|babies|infant|kid|kids|child|children|son|daughter|grandson"
          "|granddaughter|nephew|niece|boy|girl|old|dog|cat|puppy|kitten|pet|little"
          "|grandchild|grandkid|grandbaby|twins")
_LITTLE = "toddler|toddlers|baby|babies|infant|old|dog|cat|puppy|kitten|pet|little|grandbaby"
# What they get into: medicines, and what is kept under the sink.
_INGESTED = (_PILLS + "|~vitamins|~edibles|~nicotine|~bleach|~poison|~detergent|~cleaner"
             "|~cleaners|~cleaning|~chemicals|~antifreeze|~ammonia|~pesticide|~batteries|~battery"
             "|pods|pod|~magnets|~gasoline|~kerosene|~lighter+fluid|~mouthwash")
# Whose medicines: "all my moms pills", "some of grandma's meds".
_OWNERS = ("mom|moms|dad|dads|mum|mums|grandma|grandmas|grandpa|grandpas|nana|nanas|wife|wifes"
           "|husband|husbands|brother|brothers|sister|sisters|mother|mothers|father|fathers"
           "|roommate|roommates|grandmother|grandfather|parents|aunt|uncle|someone|somebody")
# Whose, and how many: "my", "some of grandma's", "a bunch of the", "20 of my".
_SOME_OF = ("my|our|the|some|a|an|all|half|few|several|someone|somebody|like|bunch|handful|of"
            "|couple|lot|lots|" + _OWNERS.replace("|someone|somebody", "") + "|'s{1,4}")
_SELF = "myself|meself|himself|herself|themselves|themself"
# Between "i" and "burden": "i am just such a", "i feel like i have become the".
_BURDEN_WORDS = ("am|feel|like|have|become|becoming|always|will|would|only|be|just|nothing|but"
                 "|such|a|an|really|basically|literally|so|huge|big|total|heavy|massive|constant"
                 "|useless|the|i|been|being|ever|feeling|still|much|of|too")
# Words after an event noun that make it a topic, not an event ("seizure medication").
_TOPIC_WORDS = frozenset({
    "medication", "medications", "meds", "medicine", "med", "clinic", "doctor", "specialist",
    "rehab", "rehabilitation", "unit", "center", "centre", "risk", "test", "testing",
    "screening", "prevention", "awareness", "survivor", "survivors", "history", "support",
    "group", "appointment", "visit", "bill", "insurance", "coverage", "of", "drug", "drugs",
    "disorder", "kit", "kits", "training", "warning", "education", "program", "follow",
    "followup", "patients", "ward", "team", "nurse",
})
# An overdose "of" something is one; these make it a topic, or a joke ("od'd on netflix").
_OVERDOSE_TOPICS = (_TOPIC_WORDS - {"of", "drug", "drugs"}) | _words(
    "reversal naloxone narcan class deaths crisis statistics rates on+coffee on+sugar"
    " on+chocolate on+candy on+netflix on+tv on+pizza on+carbs on+cuteness on+memes"
    " on+youtube on+tiktok on+anime on+love on+cookies on+sun on+sunshine on+shopping"
    " on+christmas on+cheese on+junk on+reality on+video on+games on+gaming on+sleep on+work"
    " on+halloween on+cake on+ice+cream on+music on+drama on+news on+cat+videos on+podcasts"
    " on+k+dramas on+true+crime on+caffeine+lol on+coffee+lol on+fun on+vibes")
_BLOOD_TOPICS = frozenset({
    "test", "tests", "work", "draw", "draws", "pressure", "sugar", "type", "bank",
    "donation", "drive", "panel", "results", "count", "thinner", "thinners", "glucose",
})
_END_IT_FOLLOWERS = frozenset({
    "tonight", "now", "today", "soon", "already", "forever", "all", "for", "once", "tomorrow",
    "right", "please", "i", "and", "so", "because", "lol", "honestly", "anymore",
})
# After "I am going to jump", "I wrote a goodbye note", ...: still the crisis, not a plan.
_CRISIS_FOLLOWERS = _words(
    "tonight now today soon tomorrow right please i and so because honestly anymore forever"
    " already help but")
_LOVED_ONES = ("everyone|everybody|people|others|them|you|y'all|you+all|you+guys|family"
               "|my+family|my+kids|my+children|my+wife|my+husband|my+parents|my+mom|my+dad"
               "|my+friends|my+partner|my+loved+ones|the+world|the+people+i+love"
               "|the+people+around+me|those+around+me|all+of+you|all+of+them|my+mum"
               "|my+whole+family|my+entire+family|the+whole+family|the+family|my+family+and+friends"
               "|my+friends+and+family|everyone+around+me|everyone+i+love|all+my+friends"
               "|my+son|my+daughter|my+boyfriend|my+girlfriend|my+sister|my+brother"
               "|my+husband+and+kids|my+wife+and+kids|my+caregivers|my+caregiver")
_TO_LOVED_ONES = frozenset(f"{prep}+{who}" for prep in ("to", "on", "for")
                           for who in _LOVED_ONES.split("|"))
# Passive ideation: the others would be better off without me, if I were gone, and nobody
# would notice. For whom is a run of single optional words, so that it adds no pattern.
_BETTER = "better|easier|happier|safer|relieved|lighter|simpler"
# for whom: "for everyone", "on my whole family", "to the world", or no one named
_WHOM = ("my|the|our|you|all? whole|entire? everyone|everybody|family|kids|children|parents"
         "|wife|husband|friends|partner|world|people|them|us|others|mom|dad|son|daughter"
         "|boyfriend|girlfriend|humanity|society|all")
_FOR_WHOM = f"for|to|on {_WHOM}"
_FOR_WHOM_OPTIONAL = " ".join(item if item.endswith("?") else item + "?"
                              for item in _FOR_WHOM.split())
_IF_I = "if|when i just|only|simply|finally|quietly?"
# What makes it a crisis whatever follows: dead, or never born.
_GONE_FOR_GOOD = ("dead|died|die|killed+myself|ended+it|ended+my+life|took+my+own+life|to+die"
                  "|did+not+exist|never+born|never+been+born|never+existed|not+alive"
                  "|no+longer+alive|never+woke+up|did+not+wake+up|never+wake+up")
# What is a crisis only when the clause ends there: "if i was gone", not "gone for a week".
_GONE = ("gone|not+here|not+around|no+longer+here|no+longer+around|out+of+the+picture"
         "|out+of+the+way|disappeared|vanished|to+disappear|disappear|vanish|not+in+their+lives"
         "|never+came+back|did+not+come+back|went+away|go+away")
# Who would not notice, care or miss: "nobody", or "they" with a "not".
_NOBODY = "no? one|nobody|anyone|anybody|who"
_THEY = ("they|people|everyone|everybody|family|kids|children|parents|friends|husband|wife"
         "|world|he|she|mom|dad|partner|boyfriend|girlfriend|anyone|anybody")
_NOTICE = "miss|notice|care|cares|notices|mind"
# Doing everyone a favor
_FAVOR = "a|the? big|huge|massive|real? favor|favour|favors|favours|service"
_GONE_FOLLOWERS = _CRISIS_FOLLOWERS | _words(
    "anymore forever for+good permanently tbh anyway at+all altogether from+their+lives"
    " from+this+world from+the+world from+existence off+the+face+of+the+earth for+real"
    " without+a+trace")
# After "better off without me": its end, or who it is said of ("around", "in their lives").
_WITHOUT_ME_FOLLOWERS = _GONE_FOLLOWERS | _words(
    "around here alive in+it in+their+lives in+his+life in+her+life in+your+life"
    " in+the+picture in+the+world in+this+world in+my+family in+the+way")
_ALARM_FILLERS = _words(
    "help please 911 ambulance omg i think it is its a an my me having now call urgent"
    " emergency possible maybe sos he she mom dad am quick hurry right going on this need needs"
    " send get someone somebody us here asap medical real really serious the immediately"
    " quickly fast pls plz there symptoms signs we have urgently oh god")
# A sentence that laughs: "i can not breathe lol", "dying 😂".
_LAUGHTER = re.compile(r"\b(?:lo+l+|lmf?ao+|rofl|(?:ha){2,}h?|(?:he){2,}|hilarious|laughing"
                       r"|laughed|so funny)\b|[\U0001F602\U0001F923\U0001F480]")
# Who something happens to, in the few words before it ("won't wake up", "turned blue").
_BODY_OR_PERSON = _words(_PEOPLE, _YOUNG, "i me lips lip face skin fingers fingertips toes"
                         " nails mouth we you body")
# What chokes, blacks out, bleeds through or turns blue without being anyone.
_THINGS = _words(
    "engine car motor truck mower printer pipe pipes drain sink toilet computer laptop phone"
    " screen monitor tv sky hair paint ink pen marker water pool sea lake ocean light lights"
    " led battery server website app page site system network wifi router dye fabric shirt"
    " dress jeans team market stock stocks economy plant plants garden lawn grass fire flame"
    " candle radiator heater ac furnace boiler tire tires bike scooter")
_DEVICE_WORDS = _words(
    "massage glue nail heat water nerf staple spray paint squirt hot foam caulk caulking"
    " tattoo grease temperature thermometer radar ray butter pizza bread steak putty lotion"
    " cream toy")

RULES: tuple[Rule, ...] = (
    # ---- mental health: checked first, never silenced by negation or history
    Rule("mental_health", "suicidal thoughts", (
        "~suicide|~suicidal|~suicidality",
        f"~kill|~killing|~killed|murder {_SELF}",
        f"~unalive|~unaliving {_SELF}|me",
        f"to|gonna|will|should|going+to off|offing {_SELF}",
        "end|ending|ended|take|taking my|his|her|their own? ~life",
        "end|ending it all",
        "end|ending everything",
        "~want|~wanted|wish|going|ready|deserve to be dead",
        "wish i|he|she was|were dead",
        "better off dead",
        "nothing|no|none|nobody|no+one|anything|nothing+left|no+reason|no+reason+left *2 to live"
        " for",
        "tired|sick of living|life|being+alive",
        "~want|wish it+all|everything|my+life to end|stop|be+over",
        "~want|wish it|the+pain|this|everything|it+all to end|stop|be+over forever|for+good"
        "|permanently",
        "no+one|nobody cares|care if i live|die|am+alive|am+dead|exist",
        "no|not reason|point|will|purpose to ~live|living|go+on|keep+going|keep+living"
        "|go+on+living|continue|continue+living|be+alive|stay+alive|exist",
        "no|not point|reason in|for living|life|going+on",
        "~want|wish|hope|going *6 never wake up",
        "wish|want|going|hope|like|wish+i+could|wish+i+would|i+could|i+would|i+will|i+am+going"
        " to? disappear|vanish forever|for+good|permanently"
        "|and+never+come+back|from+this+world|from+existence",
        "wish i|he|she did|could not exist|be+alive",
        "wish i|he|she was|were|had never|not been? born",
        "jump|jumping|drive|drove|driving off|from a|the|my bridge|building|roof|cliff|balcony"
        "|overpass|window"
        "|ledge|tower|parking+garage|rooftop",
        f"hang|hanging|hanged|shoot|shooting|shot|drown|drowning {_SELF}",
        "slit|slitting|cut|cutting my|his|her wrists|wrist|throat",
        "step|stepping|jump|jumping|walk|walking|throw+myself|lie|lying|run|running in+front+of a"
        "|the|an? oncoming? train|bus|truck|car|traffic|cars|subway",
        "step|stepping|walk|walking|throw+myself|run|running into oncoming? traffic",
        f"{_INTEND}|thinking|think|thought about|of? to? drive|driving|crash|crashing|steer"
        f"|steering my|the? car? into|off a|the|oncoming? traffic|tree|wall|pole|cliff|bridge"
        f"|river|lake|truck",
        "=noose|=nooses",  # exact: "nose" and "noise" are one letter away
        "rope|belt|cord *3 around my|his|her neck",
        "gun|pistol|revolver|rifle|shotgun|firearm|knife|blade|razor to|in|against my|his|her"
        " head|mouth|temple|chin|wrist|wrists|throat|neck",
        "blow|blowing my|his|her brains out",
        "bullet|bullets in|through my|his|her head|brain|skull",
    ), check_context=False, not_followed_by=_words(
        "savings insurance policy in+the+foot in+my+foot in+the+leg ")),
    Rule("mental_health", "suicidal thoughts", (
        "done|finished with life|living|everything",
    ), check_context=False, not_followed_by=_words(
        # "done with everything on my list", "done with life admin"
        "this+week this+month this+year for+today for+the+day for+now for+the+week on+my+list"
        " on+the+list on+my+to on+my+plate at+work i+needed i+need+to i+had+to admin stuff"
        " insurance coaching lessons that+i else except")),
    Rule("mental_health", "suicidal thoughts", (
        "~want|~wanted|wants|wish|wishes|wishing|going|ready|trying|planning|plan|decided"
        "|deserve|deserves|like|gonna+just|just to ~die",
    ), check_context=False, not_followed_by=_words(
        # not "my hair": "i want to die my hair is falling out" has no comma either
        "of laughing for inside on+this+hill on+that+hill")),
    Rule("mental_health", "suicidal thoughts", (
        "not|never ~want to live|exist|be+alive|be+here+anymore|go+on",
    ), check_context=False, not_followed_by=_words(
        "in near at there here by on off alone close with+them with+my with+him with+her")),
    # No reason left to live: "theres no reason for me to keep going", "what reason do i even
    # have to keep living", "cant think of one reason to stay alive". Not "a reason to keep
    # going to the gym" (followed by where).
    Rule("mental_health", "suicidal thoughts", (
        "reason|reasons *5 to keep+living|keep+going|go+on+living|stay+alive|be+alive|~live"
        "|~living",
    ), check_context=False, not_followed_by=_words(
        "in near at there here by on off to with for like+this like+that is are was")),
    Rule("mental_health", "suicidal thoughts", (
        f"{_INTEND}|thinking|think|thought|wants|~wanted|i to|about|of? end|ending it|things",
        "to end it|things",
        "~planning|~planned how|when to end it|things|my+life",
    ), check_context=False, clause_end_or=_END_IT_FOLLOWERS),
    Rule("mental_health", "suicidal thoughts", (
        # not waking up, not existing
        "not ~want|wish|plan|planning|intend to wake|be+waking up",
        "hope|wish|pray i do+not|will+not|would+not|never|can+not wake up",
        "~want|wish|hope|going|sleep *6 and not|never wake up",
        "thinking|thoughts|think|thought about|of ~dying|death|being+dead",
        "~want|wish|going|ready|like to go+to? sleep forever|permanently",
        "~want|wish|wishing|going|ready|trying|like to stop|quit existing|being+alive",
        "~want|wish|wishing|going|ready|trying|like to stop|quit living",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _words(
        "tomorrow again anymore ever ever+again in+the+morning at+all")),
    Rule("mental_health", "suicidal thoughts", (
        # better off if I were dead, and nobody would care: whatever the clause goes on to say
        f"{_BETTER}|fine|okay|ok off|place? {_FOR_WHOM_OPTIONAL} {_IF_I} was|were|am|had|got|is"
        f"|would? never|just? been|be? {_GONE_FOR_GOOD}",
        f"{_BETTER} off|place? {_FOR_WHOM_OPTIONAL} with|without me dead",
        f"{_NOBODY} *3 {_NOTICE} me|even? if|when i *2 {_GONE_FOR_GOOD}",
        f"{_THEY} would|will|do|does|did|could not|never even|really|actually|honestly|ever?"
        f" {_NOTICE} me|even? if|when i *2 {_GONE_FOR_GOOD}",
        f"doing|do|did {_WHOM} {_FAVOR} if|when i *2 {_GONE_FOR_GOOD}",
        f"doing|do|did {_WHOM} {_FAVOR} by dying|killing+myself|ending+it|ending+my+life"
        f"|taking+my+own+life",
    ), check_context=False),
    Rule("mental_health", "suicidal thoughts", (
        # better off if I were gone, without me around, nobody would notice: unless the clause
        # goes on ("without me on the project", "if i was gone for a week")
        f"{_BETTER} off|place? {_FOR_WHOM_OPTIONAL} {_IF_I} was|were|am|had|got|is? {_GONE}",
        # "fine" only as a guess about the others, not "is it fine if i am not here, ..."
        f"be fine|okay|ok {_FOR_WHOM_OPTIONAL} {_IF_I} was|were|am|had|got|is? {_GONE}",
        f"{_BETTER} off|place|world? {_FOR_WHOM_OPTIONAL} with me {_GONE}",
        f"{_NOBODY} *3 {_NOTICE} me|even? if|when i *2 {_GONE}",
        f"{_THEY} would|will|do|does|did|could not|never even|really|actually|honestly|ever?"
        f" {_NOTICE} me|even? if|when i *2 {_GONE}",
        f"doing|do|did {_WHOM} {_FAVOR} if|when i *2 {_GONE}",
        f"doing|do|did {_WHOM} {_FAVOR} by disappearing|vanishing|not+being+here"
        f"|not+being+around|not+existing|being+gone|going+away+forever",
    ), check_context=False, clause_end_or=_GONE_FOLLOWERS),
    Rule("mental_health", "suicidal thoughts", (
        # "everyone would be better off without me", "easier for my family without me in it",
        # not "the team would be better off without me on the project"
        f"{_BETTER} off {_FOR_WHOM_OPTIONAL} without me",
        f"{_BETTER} place|world? {_FOR_WHOM} without me",
        # "nobody would even miss me", "would anyone miss me?", not "... miss me if i left"
        f"{_NOBODY} would|will|is|going|to|even|really|actually|honestly|ever{{1,4}} {_NOTICE}"
        f" me",
        "would|will|does|do anyone|anybody even|really|actually|ever? miss|notice me",
    ), check_context=False, clause_end_or=_WITHOUT_ME_FOLLOWERS),
    Rule("mental_health", "suicidal thoughts", (
        # the same said of people: "they'd all be happier without me around", "the world would
        # be a better place without me", not "the project is better without me"
        f"{_BETTER} place|world? without me",
    ), check_context=False, clause_end_or=_WITHOUT_ME_FOLLOWERS,
        needs_before=_words(_THEY, "^ all others them we us kids son daughter mother"
                            " father sister brother grandkids everyones")),
    Rule("mental_health", "suicidal thoughts", (
        # a burden to the people around them
        f"i {_BURDEN_WORDS}{{1,8}} ~burden|~burdens",
        "feel|feeling|being like|a|an|such|just|nothing|but|the|huge|big|total|heavy|constant"
        "|useless|only|so|much|of{1,5} ~burden|~burdens",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _TO_LOVED_ONES | _words(
        "all+the+time always constantly lately these+days every+day every+single+day"
        " more+and+more anyway tbh")),
    Rule("mental_health", "suicidal thoughts", (
        # the last things: a goodbye note, giving everything away
        "~goodbye note|notes|letter|letters",
        "said|saying|say|writing|wrote|written my|a final|last goodbye|goodbyes",
        "giving|gave|give|given away all|all+of? my|of+my? things|stuff|belongings|possessions"
        "|everything",
        "will|would not need|be+needing it|them|this|anything|my+things|my+stuff where i am"
        " going",
        "will|would not need|be+needing it|them|anything|my+things|my+stuff after|by tonight"
        "|tomorrow|today|this+weekend",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _TO_LOVED_ONES),
    Rule("mental_health", "suicidal thoughts", (
        # the means at hand
        f"gun|pistol|revolver|rifle|shotgun|firearm|knife|blade|razor|rope *8 on|against"
        f" {_SELF}",
        f"~stockpiling|~stockpiled|=hoarding|=hoarded|=stashing|=stashed|saving+up|saved+up"
        f" *3 {_PILLS}",
        f"{_PILLS} saved|stashed|hoarded up",
        f"{_PILLS} stockpiled|stashed|hoarded",
    ), check_context=False, not_preceded_by=_DEVICE_WORDS,
        clause_end_or=_CRISIS_FOLLOWERS | _words(
            "to and if with just in+case for+weeks for+months for+days for+a+while")),
    Rule("mental_health", "suicidal thoughts", (
        # "I have a gun and I'm thinking of using it on myself"
        f"~use|~using it|them|this|that on|against {_SELF}",
    ), check_context=False, needs_before=_words(
        "gun guns pistol revolver rifle shotgun firearm knife knives blade blades razor razors"
        " rope"), clause_end_or=_CRISIS_FOLLOWERS),
    Rule("mental_health", "suicidal thoughts", (
        f"{_INTEND}|thinking+about|thinking+of|gonna|want+to|wanted+to to? jump|jumping",
        f"{_INTEND}|thinking+about|thinking+of|gonna|want+to|wanted+to to? jump|jumping off|out",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _words(
        "out+of+the+window out+the+window out+a+window out+of+a+window in+front"),
        not_followed_by=_words(
            "on in into at start ship ahead the+gun the+queue the+line rope for+joy up+and+down"
            " off+the+call off+this+call")),
    Rule("mental_health", "suicidal thoughts", (
        f"{_INTEND}|thinking+about|thinking+of|gonna|want+to|wanted+to to? jump|jumping|throw"
        f"+myself in|into|onto|on+to|off|on|in+front+of the|a tracks|river|lake|ocean|sea|water"
        f"|bay|canal|gorge|canyon|freeway|highway|traffic|railway|subway|train",
    ), check_context=False, not_preceded_by=_words("go")),
    Rule("mental_health", "suicidal thoughts", (
        # going on, what life is worth, the point of it
        "can|could not go|carry|keep on|going like+this|anymore|any+longer|much+longer",
        "can|could not keep|continue living|going like+this|anymore|any+longer|much+longer",
        "can|could not live like+this",
        "can|could not go|carry on",
    ), check_context=False, clause_end_or=_words(
        "like anymore any+longer much+longer living i and so because honestly please help")),
    Rule("mental_health", "suicidal thoughts", (
        "life|living|existing is|feels|seems|just|really|honestly|even *2 not|no+longer worth"
        " it|living|anything|the+pain|the+effort|the+trouble",
        "not|no+longer worth living|being+alive|staying+alive",
        "life is|feels|seems|has+become pointless|meaningless|worthless|hopeless",
        "the|no|any point of|in|to living|life|existing|being+alive|going+on|waking+up"
        "|staying+alive|continuing|me+being+here|me+being+alive|carrying+on",
        "the|no|any point of|in|to? anymore|it+all|anything|me",
        "see|find the|a|any|no point anymore|any+more",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _words(
        "like to+live in+living in+life"),
        not_followed_by=_words("insurance savings policy coaching plan")),
    Rule("mental_health", "suicidal thoughts", (
        # not safe with themselves
        "i+am|am|i+feel|i+am+feeling not safe",
        "i+do+not+feel|do+not+feel|i+no+longer+feel|i+never+feel safe",
        "i+do+not|do+not|can+not|can+no+longer trust myself",
    ), check_context=False, clause_end_or=_words(
        "right+now now tonight today with+myself around+myself by+myself alone at+home here"
        " from+myself anymore i and please help with+pills with+my+pills with+knives"
        " with+a+knife with+my+meds around+knives around+pills around+my+pills around+my+meds"
        " to+be+alone being+alone in+my+own+head in+my+head with+my+thoughts")),
    Rule("mental_health", "self-harm", (
        "self harm|harming|harmed|injury|injuring|~mutilation",
        f"{_INTEND}|tempted|urge|urges|wants to ~hurt|~harm|cut|burn|~starve|poison|drown|shoot"
        f"|hang {_SELF}",
        f"thinking|think|thought|thoughts|urges|urge|impulses|impulse|fantasizing about|of|to"
        f" ~hurting|~harming|~cutting|~burning|~starving|hurt|harm|cut|burn {_SELF}",
        f"feel|feeling like ~hurting|~harming|~cutting|~burning {_SELF}",
        f"been|keep|keeps|started|still|is|are|am|was|were ~cutting|~harming|~burning|~starving"
        f" {_SELF}",
        f"been ~hurting {_SELF}",
        f"cut|cutting|hurt|harmed|burned|burnt {_SELF} on+purpose|deliberately|intentionally",
        "relapsed|relapsing on|with|into? self harm|cutting",
    ), check_context=False, not_followed_by=_words("a some off free slack a+break")),
    Rule("mental_health", "self-harm", (
        # "scared I'll hurt myself", "he might hurt himself"
        f"i|he|she|they will|might|may|could|would|am+going+to|is+going+to ~hurt|~harm|~kill"
        f"|cut {_SELF}",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _words(
        "if+i+do+not if+no+one if+nobody if+he+does+not if+she+does+not if+someone+does+not"
        " badly bad really+bad")),
    Rule("mental_health", "overdose", (
        f"{_INTEND} to take|swallow|overdose|down|od {_QUANTITY_ALL} *3 {_PILLS}",
        f"{_INTEND} to take|swallow|down {_BOTTLE}",
        f"{_INTEND} to ~overdose|od",
    ), check_context=False, not_followed_by=_words(
        # carrying or scheduling them, not swallowing them
        "in+the back along as with+me with+us to+the to+my to+your to+pharmacy on+vacation"
        " on+my on+the when+i on+time every+day daily exactly correctly")),
    Rule("mental_health", "suicidal thoughts", (
        "feel|feels|felt|feeling like ~dying",
    ), check_context=False, clause_end_or=_CRISIS_FOLLOWERS | _words("inside"),
        laughter_silences=True),
    # ---- medical
    Rule("medical", "chest pain", (
        f"~chest {_PAIN}",
        "~chestpain|~chestpains",
        "~chest is|feels|feel|are|has|keeps *2 ~hurting|tight|~heavy|~killing|~burning"
        "|~exploding|~squeezing|~crushing|~pounding|~aching",
        "~chest ~hurts|~aches",
        "~chest feels|feel|is|like *4 elephant|elephants|sitting+on|squeezed|crushed|vice|vise"
        "|weight|bricks|band|on+fire|exploding|tightening|caving",
        "~elephant|~elephants|weight|bricks|ton|truck|anvil|boulder|vice|vise|~someone"
        "|~somebody|something *3 sitting|standing|pressing|pushing|squeezing|crushing|stepping"
        "|lying|laying|sat|stood|pressed on|down+on|onto my|his|her ~chest",
        "~elephant|~elephants|bricks|anvil|boulder on|in my|his|her ~chest",
    )),
    Rule("medical", "chest pain", (
        # the same ending at "chest": not "pain in chest x ray", "burning chest workout"
        f"{_PAIN} *2 in|on|across|around|through|inside|behind|under|at my|the|his|her? left|right"
        f"|middle|center|centre|upper|lower|front|side|part|area|whole? of? my|the|his|her? ~chest",
        "tight|heavy|crushing|squeezing|burning ~chest",
    ), not_followed_by=_words(
        "x xray ct scan cold+and congestion hair of+drawers freezer tube exam piece day press"
        " workout muscles muscle binder strap pocket")),
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
        "lips|lip|face|skin|fingers|fingertips are|is|look|looks|turning|turned? blue|purple|grey"
        "|gray",
        "~wheezing|~wheezy|~wheeze so|really|very|too|super bad|badly|hard|much|loud|heavily",
        "~wheezing|~wheezy|~wheeze *6 can|could not|barely|hardly|not+even talk|speak|breathe"
        "|stop|walk",
        "can|could not talk|speak *2 without gasping|wheezing|stopping|coughing",
        "too out+of+breath|breathless|winded to talk|speak|walk|move",
        "can|could not finish|say a? sentence|sentences|full+sentences|a+full+sentence",
    ), laughter_silences=True, not_followed_by=_words(
        # "breathing down my neck", "can't breathe in these jeans"
        "down a+word in+these in+those in+this+dress in+this+outfit in+this+shirt in+this+suit"
        " in+this+costume in+this+corset in+this+mask in+this+heat in+this+humidity")),
    Rule("medical", "cannot breathe", (
        # someone choking, not an engine: "he's choking on food", "choking help"
        "~choking",
    ), needs_before=_BODY_OR_PERSON | {"^"}, laughter_silences=True, not_followed_by=_words(
        "up back on+my+words on+his+words on+her+words on+their+words on+the+words on+words"
        " under+pressure on+this+paperwork")),
    Rule("medical", "cannot breathe", (
        f"{_PEOPLE}|i *1 ~suffocating|suffocated",
    ), laughter_silences=True, not_followed_by=_words(
        # "I'm suffocating in this heat", "at this job", "under all this pressure"
        "in+this in+here in+these at+work at+this at+my+job with+all with+this under+pressure"
        " under+the+pressure under+all from+the+heat by+the me")),
    Rule("medical", "cannot breathe", (
        "~asthma ~attack *4 not|is+not|does+not helping|working|help|stopping",
        "~having|into|bad|severe|terrible|really+bad an|a? ~asthma ~attack",
    ), event=True, not_followed_by=_TOPIC_WORDS | _words("action plan")),
    Rule("medical", "cannot breathe", (
        "turning|turned|went|gone|going blue|purple",
    ), needs_before=_BODY_OR_PERSON | {"^"}, not_followed_by=_words("in+the+face")),
    Rule("medical", "heart attack", (
        "~having|into|had ~heart ~attack",
        "~having|into|be|am|is|had|its a|an ~heart ~attack",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "heart attack", ("~heart ~attack", "~heart ~attack ~symptoms|~signs"),
         alone=True),
    Rule("medical", "stroke signs", (
        "~having|into|had ~stroke",
        "~having|into|be|am|is|had|its a|an ~stroke|~strokes",
        "showing|~having|has|with ~signs|~symptoms of a|an? ~stroke",
        "have|has|having|getting|got|get a? ~heatstroke|heat+~stroke",
    ), event=True, not_followed_by=_TOPIC_WORDS),
    Rule("medical", "stroke signs", ("~stroke", "~stroke ~symptoms|~signs"), alone=True),
    Rule("medical", "stroke signs", (
        "~face|~mouth|~smile|~lip|~eyelid *3 ~drooping|~droopy|~droops|~drooped|~sagging"
        "|~saggy|~lopsided|=slack",
        "~face *3 ~crooked|~twisted|~slanted",
        "~drooping|~droopy|~lopsided ~face|~mouth|~smile",
        "~speech|~words|~speaking|~voice *2 ~slurred|~slurring|~slurry|~garbled",
        "his|her|their|'s ~speech|~words|~sentences|~talking *2 ~jumbled|~scrambled|mixed+up"
        "|~gibberish|~garbled",
        "~slurred|~slurring|~garbled|~jumbled ~speech|~words|~talking",
        "~slurring my|his|her ~words|~speech",
        f"{_PEOPLE}|i *2 ~slurring|~slurry",
        "can|could not feel|move|lift|use my|his|her left|right|one? arm|leg|face|side|hand|foot",
        "can|could not feel|move|lift *2 one|left|right|either side|half",
        "can|could not get my|his|her words out",
        "~numbness|~numb|~weakness|~weak|~tingling|~paralyzed|~paralysis on|in|down one|my|the"
        "|his|her left|right|one? side",
        "left|right|one? arm|leg|side|hand went|is|feels|has|gone|going *1 ~numb|~weak|~limp"
        "|~paralyzed|~dead",
        "one|left|right|half side|half of my|his|her|the? body|face *4 ~numb|~weak|~limp"
        "|~paralyzed|~paralysed|~droopy|~drooping|~sagging|~tingling|~frozen|~heavy|dead"
        "|not+working|~tingly",
        "~face|~arm|~leg and|plus my|his|her|the? ~face|~arm|~leg *4 ~numb|~weak|~limp|~tingling"
        "|~tingly|~paralyzed|~heavy|~droopy",
        "~numbness|~numb|~weakness|~weak|~tingling|~paralysis in|on|of my|his|her|the? ~face"
        "|~arm|~leg and|plus my|his|her|the? ~face|~arm|~leg",
        "~sudden|~suddenly|all+of+a+sudden|out+of+nowhere ~numbness|~weakness|~confusion|~numb"
        "|~weak|~paralyzed|=blind|~blindness",
        "~suddenly|~sudden can|could not talk|speak|walk",
        "~suddenly|~sudden|all+of+a+sudden|out+of+nowhere *3 ~slurring|~slurred|~gibberish|~numb"
        "|~paralyzed|=blind|can+not+speak|can+not+talk|can+not+walk",
    ), not_followed_by=_words(
        "teeth tooth braces from+the+dentist after+the+dentist from+novocaine"
        " after+my+dental")),
    Rule("medical", "unconscious", (
        "~unconscious|~unconsciousness",
        "found him|her|them ~unresponsive",
        "can|could not wake him|her|them|my|up",
        "~fainted|~fainting|=faints|keeled+over",
    ), not_followed_by=_words(
        "bias on+the+couch on+the+sofa on+the+bed on+my+bed in+bed into+bed on+my+couch"
        " at+the+price at+the+sight+of+the+bill when+i+saw when+i+heard when+i+read"
        " when+i+got+the when+i+opened from+laughing laughing"),
        not_preceded_by=_words("almost nearly practically basically")),
    Rule("medical", "unconscious", (
        # not handing things out: "passed out flyers", "passed out the tests"
        "passed|passing out",
    ), not_followed_by=_words(
        "on+the+couch on+the+sofa on+the+bed on+my+bed in+bed into+bed on+my+couch drunk"
        " watching the some free copies candy cookies food water gifts treats snacks tests"
        " ballots programs handouts coupons samples invitations cards pamphlets brochures menus"
        " tickets papers worksheets presents bills statements flyers forms"),
        not_preceded_by=_words("almost nearly practically basically")),
    Rule("medical", "unconscious", (
        f"{_PEOPLE} is|are|was|seems|looks|went|found? not|stopped|stop ~responding|~responsive",
        f"{_PEOPLE} is|are|was|seems|looks|went? ~unresponsive",
        f"{_PEOPLE} will|does|can|is|wo not ~respond|~responding|wake|open+his+eyes"
        "|open+her+eyes",
        "will|can|could|does|is not ~wake|~waking|~woken up",
    ), needs_before=_BODY_OR_PERSON | {"^"}, not_followed_by=_words(
        "to+my+texts to+texts to+my+messages to+messages to+my+emails to+emails to+my+calls"
        " to+calls to+email to+my+email to+text to+my+text to+the to+our to+my+dms to+dms"
        " online in+the+chat to+my+question to+treatment to+the+treatment to+medication"
        " to+his+meds to+her+meds to+the+meds early on+time in+time for+school for+work"
        " for+class before until till from+sleep")),
    Rule("medical", "unconscious", (
        # not "knocked out his opponent", "blacked out the windows"
        "blacked|knocked out",
    ), needs_before=_BODY_OR_PERSON | {"^"}, not_followed_by=_words(
        "at+the+party drunk the+power power the a an his her their my our your him them"
        " someone some all")),
    Rule("medical", "unconscious", (
        f"{_PEOPLE} is|was|has not|stopped moving",
    ), clause_end_or=_words("and at+all i please help he she")),
    Rule("medical", "unconscious", (
        f"{_PEOPLE}|i|lung|lungs *2 ~collapsed",
    ), not_followed_by=_words(
        "on+the+couch on+the+sofa on+the+bed on+my+bed on+my+couch in+bed into+bed laughing"
        " with+laughter in+laughter after+work")),
    Rule("medical", "passing out", (
        "going|about|gonna to pass+out|faint|~collapse|black+out",
    ), not_followed_by=_words("on+the+couch on+the+sofa in+bed from+boredom lol")),
    Rule("medical", "severe bleeding", (
        "~bleeding|~bleed|~bled|~bleeds a+lot|heavily|badly|bad|everywhere|profusely|~nonstop"
        "|non+stop|like+crazy|so+much|too+much|really+bad|really+badly|heavy|uncontrollably"
        "|all+over",
        "~bleeding|~bleed|~bleeds *4 will|does|can|would|is|has|wo not stop|stopping|stopped",
        "can|could not stop *2 ~bleeding|blood",
        "severe|heavy|uncontrolled|massive|uncontrollable|serious ~bleeding|~hemorrhage"
        "|~haemorrhage",
        "lot|lots|pool|puddle|so+much|too+much of? blood",
        "blood everywhere|~gushing|~pouring|~spurting|~squirting",
        "~gushing|~pouring|~spurting|~squirting blood",
        "blood is|keeps|keep|started|starts *1 ~gushing|~pouring|~spurting|~squirting",
        "~coughing|~vomiting|~puking|throwing|spitting up? blood",
        "~hemorrhaging|~haemorrhaging",
    ), not_followed_by=_BLOOD_TOPICS | _words(
        "money cash edge heart hearts me+dry sweat ,+sweat and+sweat")),
    Rule("medical", "severe bleeding", (
        # a body bleeds through, not a pen: "bleeding through the bandage", "bleeding out"
        "~bleeding|~bleed|~bled|~bleeds through|out|thru",
    ), needs_before=_BODY_OR_PERSON | _words(
        "^ cut cuts wound wounds head nose leg arm hand finger foot stitches incision gauze"
        " bandage"), not_followed_by=_BLOOD_TOPICS),
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
    ), event=True, not_followed_by=_TOPIC_WORDS | {"up"}),
    Rule("medical", "seizure", ("~seizure",), alone=True),
    Rule("medical", "poisoning", (
        "swallowed|drank|ate|ingested|drinking|eating|licked some|a|the|of? ~bleach|~poison"
        "|~antifreeze|~detergent|~battery|~batteries|~cleaner|~ammonia|~lye|~pesticide"
        "|laundry+pods|~pods|rat+poison",
        "~poisoned",
        "swallowed|drank|ate|eaten|ingested|drinking|eating|licked|inhaled|got+into *4"
        " ~poisonous|~toxic|~poison",
        "swallowed|swallow|ate|ingested a|some|the|two|button|his|her ~magnet|~magnets|~battery"
        "|~batteries|broken+glass|~razor|~blade|=needle|=needles|~nail",
        "~carbon ~monoxide ~poisoning|~leak",
        f"{_YOUNG} *3 swallowed|swallow|ate|eaten|eating|chewed|chewing|ingested|drank|drunk"
        f"|drinking|licked on|up? {_SOME_OF} *2 {_INGESTED}",
        f"{_LITTLE} *3 drank|drunk|drinking|swallowed|got+into {_SOME_OF} *2 ~alcohol|wine"
        f"|vodka|beer|liquor|whiskey|rum|tequila|gin|mouthwash",
        f"{_YOUNG} *3 got|gotten|get|getting|gets into {_SOME_OF} *2 {_INGESTED}",
        f"{_LITTLE} *3 took|grabbed|found {_SOME_OF} *2 {_INGESTED}",
        f"{_YOUNG} *3 found|got|grabbed|opened {_SOME_OF} *2 {_INGESTED} and *2 ate|swallowed"
        f"|chewed|ingested|drank|took",
    ), not_followed_by=_words("ivy oak control+number control+hours")),
    Rule("medical", "overdose", (
        "~overdose|~overdosed|~overdosing|~overdoses",
        f"{_TOOK} down|back? {_QUANTITY} *2 {_DRUGS}",
        f"took|taken|swallowed|popped|downed|gulped|chugged all of|my|the|his|her{{1,2}} *3"
        f" {_PILLS} at+once|together|at+the+same+time|in+one+go|at+one+time",
        f"swallowed|downed|gulped|chugged|ate down? all of|my|the|his|her{{1,2}} *3 {_PILLS}",
        f"{_TOOK} down|back? a|the{{0,1}} all|some|half|bunch|handful|lot|lots of|my|the{{0,2}}"
        f" {_OWNERS} 's? *2 {_PILLS}",
        f"{_TOOK} down|back? like|about|around|over|maybe|almost|nearly|at+least|more+than|a|an?"
        f" #many of? my|the|his|her|those|these|them? *2 {_PILLS}",
        f"took|taken|swallowed|downed|popped {_BOTTLE} of my|the|his|her|those|these{{0,2}} *1"
        f" {_DRUGS}|them|those|these|it",
    ), not_followed_by=_OVERDOSE_TOPICS),
    Rule("medical", "overdose", (
        # "she took a whole bottle", but not "a whole bottle of wine to the party"
        f"took|taken|swallowed|downed|popped {_BOTTLE}",
    ), clause_end_or=_CRISIS_FOLLOWERS | _words("on+purpose")),
    Rule("medical", "worst headache", (
        "~worst ~headache of my|his|her ~life",
        "~worst ~headache i+have+ever+had|i+ever+had|i+have+ever+felt|ever+in+my+life",
        "~worst ~headache *3 ~suddenly|~sudden|out+of+nowhere|came+on+fast",
        "~sudden|~suddenly *3 ~worst ~headache",
        "~thunderclap ~headache",
    )),
    Rule("medical", "feels like dying", (
        "feel|feels|think|thinks|felt like? i|he|she am|is|are ~dying",
    ), not_followed_by=_words("to of for laughing inside here lol"), laughter_silences=True),
    Rule("medical", "emergency", (
        # an emergency said outright: "call 911", "we need an ambulance"
        "call|calling|called|dial|dialing|dialed|phone|ring an|the? 911|ambulance|paramedics"
        "|emts|ems|999|112",
        "get|send|need|needs|needed|sending|getting me|us|him|her|them? an|a|the? ambulance"
        "|paramedics|emts|911",
        "it+is|this+is|we+have|i+have|is+having|am+having|having a|an medical|real|serious"
        "|life+threatening|real+medical ~emergency",
    ), event=True, not_followed_by=_words(
        "bill bills ride rides charge charges fee fees company service services transport"
        " transportation cost costs fund funds contact contacts kit kits insurance coverage"
        " claim claims visit room department dept plan number line dispatcher leave savings"
        " refill appointment appointments card cards info information operator training bag"
        " alert alerts exit powers surgery care"),
        not_preceded_by=_words("me+to you+to him+to her+to them+to us+to not no"),
        laughter_silences=True),
    Rule("medical", "emergency", ("~emergency", "911", "sos", "~ambulance", "mayday"),
         alone=True),
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
    compiled = [[spec for p in rule.patterns for spec in compile_pattern(p)] for rule in RULES]
    words = {word for rule in RULES for pattern in rule.patterns
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
    for index, (rule, patterns) in enumerate(zip(RULES, compiled, strict=True)):
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
        if token.lower_ in _THINGS:
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
        not t.is_punct and t.lower_ not in _ALARM_FILLERS
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
