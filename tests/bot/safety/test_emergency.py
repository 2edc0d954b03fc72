"""The emergency safety net: the phrase lists (one test case per phrase) and its pieces."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from bot.safety import EmergencyMatch, detect_emergency
from bot.safety.emergency import (
    _anchor,
    compile_pattern,
    normalize,
    slip_compare,
    typo_compare,
    typos_attribute,
)
from tests.bot.safety.phrases import MUST_CATCH, MUST_NOT_CATCH, NOT_HEALTH


@pytest.mark.parametrize(("text", "kind"), MUST_CATCH, ids=[t for t, _ in MUST_CATCH])
def test_catches(text: str, kind: str) -> None:
    found = detect_emergency(text)
    assert found is not None, f"missed: {text!r} ({normalize(text)!r})"
    assert found.kind == kind, f"{text!r}: {found}"
    assert found.reason


@pytest.mark.parametrize("text", MUST_NOT_CATCH)
def test_does_not_alarm_on_ordinary_messages(text: str) -> None:
    assert detect_emergency(text) is None, f"false alarm on {text!r} ({normalize(text)!r})"


@pytest.mark.parametrize("text", NOT_HEALTH)
def test_does_not_alarm_on_everyday_idioms(text: str) -> None:
    assert detect_emergency(text) is None, f"false alarm on {text!r} ({normalize(text)!r})"


def test_phrase_lists_are_big_enough_and_distinct() -> None:
    caught = [text for text, _ in MUST_CATCH]
    assert len(caught) >= 200 and len(MUST_NOT_CATCH) >= 60 and len(NOT_HEALTH) >= 120
    assert len(set(caught)) == len(caught)
    assert len(set(MUST_NOT_CATCH)) == len(MUST_NOT_CATCH)
    assert len(set(NOT_HEALTH)) == len(NOT_HEALTH)
    assert not set(caught) & (set(MUST_NOT_CATCH) | set(NOT_HEALTH))
    assert not set(MUST_NOT_CATCH) & set(NOT_HEALTH)


def test_match_is_a_frozen_value_with_a_short_reason() -> None:
    found = detect_emergency("i think my dad is having a stroke")
    assert found == EmergencyMatch("medical", "stroke signs")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.kind = "mental_health"  # type: ignore[misc]


@pytest.mark.parametrize(("text", "reason"), [
    ("chest pian", "chest pain"),
    ("cant breath", "cannot breathe"),
    ("my face is drooping", "stroke signs"),
    ("she is unresponsive", "unconscious"),
    ("bleeding a lot", "severe bleeding"),
    ("my throat is closing", "allergic reaction"),
    ("took too many pills", "overdose"),
    ("he's having a seizure", "seizure"),
    ("i want to kill myself", "suicidal thoughts"),
    ("been cutting myself", "self-harm"),
])
def test_reasons(text: str, reason: str) -> None:
    found = detect_emergency(text)
    assert found is not None and found.reason == reason


def test_mental_health_wins_over_a_physical_sign() -> None:
    """Both lines are needed; the 988 line is only added for mental_health."""
    assert detect_emergency("i cut my wrists and i am bleeding a lot") == EmergencyMatch(
        "mental_health", "suicidal thoughts")


def test_overdose_is_mental_health_only_when_meant() -> None:
    assert detect_emergency("my toddler took too many pills") == EmergencyMatch(
        "medical", "overdose")
    assert detect_emergency("took too many pills on purpose") == EmergencyMatch(
        "mental_health", "overdose")
    assert detect_emergency("i am going to swallow a bunch of my pills") == EmergencyMatch(
        "mental_health", "overdose")


@pytest.mark.parametrize(("alarm", "joke_or_thing"), [
    # a laugh makes a breathing complaint a joke (not an overdose: "i think i od'd lol")
    ("this song is so good i can not breathe", "this song slaps so hard I can't breathe lol"),
    # who it happens to: the nearest person, or thing, before the words
    ("my baby is turning blue", "the sky is turning blue"),
    ("the baby swallowed a coin and is choking", "my son's old car engine is choking again"),
    ("my daughter won't wake up", "my laptop won't wake up"),
    # the clause goes on as a crisis, or as a plan
    ("i am going to jump tonight", "i am going to jump in the pool"),
    ("thinking of ending things", "thinking of ending things with my boyfriend"),
    ("i'm a burden to everyone", "I'm a burden on the team budget?"),
    ("they'd all be happier without me around",
     "the team would be better off without me on the project this week"),
    ("nobody would notice if i was gone", "nobody would notice if i was gone for a week"),
    ("i'd be doing everyone a favor if i disappeared",
     "i'd be doing everyone a favor if i brought snacks"),
])
def test_context_decides(alarm: str, joke_or_thing: str) -> None:
    assert detect_emergency(alarm) is not None
    assert detect_emergency(joke_or_thing) is None
    assert detect_emergency("i think i od'd lol") is not None


@pytest.mark.parametrize("text", ["", "   ", "?!", "\n"])
def test_empty_messages(text: str) -> None:
    assert detect_emergency(text) is None


def test_judgement_calls_that_fire_on_purpose() -> None:
    """Cautious by design: a patient who writes these gets the crisis line. Asserted so a
    change in behaviour is a decision, not an accident."""
    # a denial of suicidal thoughts is still a mention of them
    assert detect_emergency("I'm not suicidal, just want my refill") is not None
    # "die" for "dye" cannot be told apart from "want to die" by rules
    assert detect_emergency("I want to die my hair before the appointment") is not None


def test_normalize_spells_out_sms() -> None:
    assert normalize("I CAN\u2019T breeeathe") == "i can not breeathe"
    assert normalize("cnt breath, wanna go") == "can not breath, want to go"
    assert normalize("self-harm, x-ray") == "self harm, x ray"
    assert normalize("i think i od'd") == "i think i overdosed"
    assert normalize("i just wanna kms") == "i just want to kill myself"
    assert normalize("the clinic is 5 kms away") == "the clinic is 5 kms away"
    assert normalize("hurt my self") == "hurt myself"
    assert normalize("i wish i were dead") == "i wish i were dead"  # "were" is not "we are"
    assert normalize("youre they're") == "you are they are"
    # "2" is "to" only before a word that cannot be counted
    assert normalize("im a burden 2 every1, no1 wud care") == (
        "i am a burden to everyone, no one would care")
    assert normalize("took 2 pills for my 2 kids") == "took 2 pills for my 2 kids"


@pytest.mark.parametrize(("word", "target", "similar"), [
    ("pian", "pain", True),  # a swap
    ("paid", "pain", False),  # a real word one letter away
    ("kil", "kill", True),  # a dropped double letter
    ("bill", "kill", False),
    ("cheast", "chest", True),
    ("strok", "stroke", True),
    ("strike", "stroke", False),
    ("seizer", "seizure", True),
    ("overdue", "overdose", False),
    ("unconsious", "unconscious", True),
    ("breath", "breathe", True),
    ("bathe", "breathe", False),
])
def test_typo_compare(word: str, target: str, similar: bool) -> None:
    assert typo_compare(word, target, -1) is similar


@pytest.mark.parametrize(("word", "target", "similar"), [
    ("myslef", "myself", True),  # two neighbours swapped
    ("myslf", "myself", True),  # one dropped
    ("mysself", "myself", True),  # one doubled
    ("tonigt", "tonight", True),  # a dropped letter
    ("talking", "taking", False),  # an added letter is another word
    ("locked", "licked", False),  # so is a changed one
    ("liked", "licked", False),  # a real word, listed
    ("smyelf", "myself", False),  # the first letter stays
])
def test_slip_compare(word: str, target: str, similar: bool) -> None:
    assert slip_compare(word, target) is similar


def test_pattern_notation() -> None:
    """Optional words stay one token, multi-word alternatives expand into several Matcher
    patterns, and typo-tolerant words are matched through the typo attribute."""
    typos = {"_": {typos_attribute("en"): {"INTERSECTS": ["chest"]}}}
    assert compile_pattern("~chest *2 pain|ache?") == [
        [typos, {"IS_PUNCT": False, "OP": "{0,2}"},
         {"LOWER": {"IN": ["pain", "ache"]}, "OP": "?"}],
    ]
    assert compile_pattern("no|a+lot of") == [
        [{"LOWER": "no"}, {"LOWER": "of"}],
        [{"LOWER": "a"}, {"LOWER": "lot"}, {"LOWER": "of"}],
    ]
    # from six letters on a plain word takes slips, through the attribute; "=" keeps it exact
    assert compile_pattern("myself|me =myself|me") == [
        [{"_": {typos_attribute("en"): {"INTERSECTS": ["myself", "me"]}}},
         {"LOWER": {"IN": ["myself", "me"]}}],
    ]
    assert compile_pattern("all|of|my{1,3} a+b?") == [
        [{"LOWER": {"IN": ["all", "of", "my"]}, "OP": "{1,3}"}, {"LOWER": "a"}, {"LOWER": "b"}],
        [{"LOWER": {"IN": ["all", "of", "my"]}, "OP": "{1,3}"}],
    ]


def test_anchor_is_a_word_every_match_needs() -> None:
    """The prefilter: the least common required item, one word per alternative."""
    assert _anchor("i am|feel *2 ~chest|~heart pain|ache?") == {"chest", "heart"}
    assert _anchor("i am|feel *2 ~chest|~heart ~pain") == {"pain"}  # fewer words
    assert _anchor("i+am|a+lot ~chest?") == {"am", "lot"}  # the longest, or a rare, word
    assert _anchor("took|had a|the{1,3} pills?") == {"took", "had"}
    assert _anchor("a? *3 #many") is None


def test_import_is_light() -> None:
    """Importing the package must not load spaCy: the matcher is built on first use."""
    code = "import sys, bot.safety; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
