"""The emergency safety net: the phrase lists (one test case per phrase) and its pieces."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from bot.safety import EmergencyMatch, detect_emergency
from bot.safety.emergency import compile_pattern, normalize, typo_compare
from tests.bot.safety.phrases import MUST_CATCH, MUST_NOT_CATCH


@pytest.mark.parametrize(("text", "kind"), MUST_CATCH, ids=[t for t, _ in MUST_CATCH])
def test_catches(text: str, kind: str) -> None:
    found = detect_emergency(text)
    assert found is not None, f"missed: {text!r} ({normalize(text)!r})"
    assert found.kind == kind, f"{text!r}: {found}"
    assert found.reason


@pytest.mark.parametrize("text", MUST_NOT_CATCH)
def test_does_not_alarm_on_ordinary_messages(text: str) -> None:
    assert detect_emergency(text) is None, f"false alarm on {text!r} ({normalize(text)!r})"


def test_phrase_lists_are_big_enough_and_distinct() -> None:
    caught = [text for text, _ in MUST_CATCH]
    assert len(caught) >= 60 and len(MUST_NOT_CATCH) >= 60
    assert len(set(caught)) == len(caught)
    assert len(set(MUST_NOT_CATCH)) == len(MUST_NOT_CATCH)
    assert not set(caught) & set(MUST_NOT_CATCH)


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


def test_pattern_notation() -> None:
    """Optional items and multi-word alternatives expand into several Matcher patterns."""
    assert compile_pattern("~chest *2 pain|ache?") == [
        [{"LOWER": {"FUZZY": {"IN": ["chest"]}}}, {"IS_PUNCT": False, "OP": "{0,2}"},
         {"LOWER": {"IN": ["pain", "ache"]}}],
        [{"LOWER": {"FUZZY": {"IN": ["chest"]}}}, {"IS_PUNCT": False, "OP": "{0,2}"}],
    ]
    assert compile_pattern("no|a+lot of") == [
        [{"LOWER": {"IN": ["no"]}}, {"LOWER": {"IN": ["of"]}}],
        [{"LOWER": {"IN": ["a"]}}, {"LOWER": {"IN": ["lot"]}}, {"LOWER": {"IN": ["of"]}}],
    ]


def test_import_is_light() -> None:
    """Importing the package must not load spaCy: the matcher is built on first use."""
    code = "import sys, bot.safety; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
