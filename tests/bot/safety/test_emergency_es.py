"""The Spanish emergency safety net: every crisis phrasing caught with its kind, denials,
past episodes and idioms not; answered in Spanish (the match names its language)."""

from __future__ import annotations

import pytest

from bot.safety import EmergencyMatch, detect_emergency
from bot.safety.emergency import normalize
from tests.bot.safety.phrases import MUST_CATCH as ENGLISH_MUST_CATCH
from tests.bot.safety.phrases_es import MUST_CATCH, MUST_NOT_CATCH, NOT_HEALTH


@pytest.mark.parametrize(("text", "kind"), MUST_CATCH, ids=[t for t, _ in MUST_CATCH])
def test_catches(text: str, kind: str) -> None:
    found = detect_emergency(text)
    assert found is not None, f"missed: {text!r} ({normalize(text, 'es')!r})"
    assert found.kind == kind, f"{text!r}: {found}"
    assert found.language == "es", f"{text!r}: {found}"
    assert found.reason


@pytest.mark.parametrize("text", MUST_NOT_CATCH)
def test_does_not_alarm_on_denials_history_and_requests(text: str) -> None:
    assert detect_emergency(text) is None, f"false alarm on {text!r} ({normalize(text, 'es')!r})"


@pytest.mark.parametrize("text", NOT_HEALTH)
def test_does_not_alarm_on_idioms(text: str) -> None:
    assert detect_emergency(text) is None, f"false alarm on {text!r} ({normalize(text, 'es')!r})"


def test_phrase_lists_are_big_enough_and_distinct() -> None:
    caught = [text for text, _ in MUST_CATCH]
    assert len(caught) >= 150 and len(MUST_NOT_CATCH) >= 60 and len(NOT_HEALTH) >= 60
    assert len(set(caught)) == len(caught)
    assert len(set(MUST_NOT_CATCH)) == len(MUST_NOT_CATCH)
    assert len(set(NOT_HEALTH)) == len(NOT_HEALTH)
    assert not set(caught) & (set(MUST_NOT_CATCH) | set(NOT_HEALTH))
    assert not set(MUST_NOT_CATCH) & set(NOT_HEALTH)


@pytest.mark.parametrize(("text", "reason"), [
    ("me duele mucho el pecho", "chest pain"),
    ("no puedo respirar", "cannot breathe"),
    ("se me durmió la mitad de la cara", "stroke signs"),
    ("no despierta", "unconscious"),
    ("estoy sangrando mucho", "severe bleeding"),
    ("se me cierra la garganta", "allergic reaction"),
    ("tomé demasiadas pastillas", "overdose"),
    ("está convulsionando", "seizure"),
    ("mi niño se tomó el cloro", "poisoning"),
    ("me quiero morir", "suicidal thoughts"),
    ("quiero hacerme daño", "self-harm"),
    ("el peor dolor de cabeza de mi vida", "worst headache"),
    ("llamen al 911", "emergency"),
])
def test_reasons_are_the_same_codes_as_in_english(text: str, reason: str) -> None:
    found = detect_emergency(text)
    assert found is not None and found.reason == reason and found.language == "es"


def test_mental_health_wins_and_an_overdose_meant_is_mental_health() -> None:
    assert detect_emergency("me corté las venas y estoy sangrando mucho") == EmergencyMatch(
        "mental_health", "suicidal thoughts", "es")
    assert detect_emergency("mi hermano se tomó muchas pastillas") == EmergencyMatch(
        "medical", "overdose", "es")
    assert detect_emergency("tomé muchas pastillas a propósito") == EmergencyMatch(
        "mental_health", "overdose", "es")


def test_negation_is_spanish_too() -> None:
    """A denial silences a physical symptom; someone else who cannot breathe is not one."""
    assert detect_emergency("no puedo respirar") is not None
    assert detect_emergency("mi mamá no puede respirar") is not None
    assert detect_emergency("ya no me falta el aire") is None
    assert detect_emergency("no tengo fiebre ni dolor de pecho") is None
    assert detect_emergency("no tengo fiebre, pero me duele mucho el pecho") is not None


def test_judgement_calls_that_fire_on_purpose() -> None:
    """Cautious by design, as in English; asserted so a change is a decision."""
    # a denial of suicidal thoughts is still a mention of them
    assert detect_emergency("no estoy pensando en suicidarme") is not None
    # "de tristeza" is not an idiom, "de la vergüenza" is
    assert detect_emergency("me quiero morir de tristeza") is not None
    assert detect_emergency("me quiero morir de la vergüenza") is None
    # said of just now ("le dio"), not history ("tuvo")
    assert detect_emergency("a mi papá le dio un infarto") is not None
    assert detect_emergency("mi papá tuvo un infarto hace dos años") is None
    # shortness of breath alarms even when it sounds lasting (as "shortness of breath" does)
    assert detect_emergency("tuve covid y me quedó falta de aire") is not None
    # "no me quiero morir" is a fear, not a wish
    assert detect_emergency("no me quiero morir sin ver a mis nietos") is None


def test_english_is_still_english() -> None:
    """Every English crisis phrase is answered in English, even those the Spanish rules
    also know ("suicide", "911"): the message's other words are English."""
    assert detect_emergency("i want to kill myself") == EmergencyMatch(
        "mental_health", "suicidal thoughts", "en")
    assert detect_emergency("my chest hurts really bad") == EmergencyMatch(
        "medical", "chest pain", "en")
    in_spanish = [text for text, _ in ENGLISH_MUST_CATCH
                  if (found := detect_emergency(text)) is None or found.language != "en"]
    assert in_spanish == []


def test_a_mixed_message_is_caught_by_the_language_of_its_crisis() -> None:
    assert detect_emergency("my mom no puede respirar") == EmergencyMatch(
        "medical", "cannot breathe", "es")
    assert detect_emergency("mi mamá can't breathe") == EmergencyMatch(
        "medical", "cannot breathe", "en")


def test_normalize_folds_accents_and_spells_out_sms_in_spanish() -> None:
    assert normalize("Me tomé TODAS las pastillas", "es") == "me tome todas las pastillas"
    assert normalize("ya no kiero vivir xq nadie me kiere", "es") == (
        "ya no quiero vivir porque nadie me kiere")
    assert normalize("mañana ¿sí?", "es") == "manana ¿si?"
    assert normalize("se desmallo", "es") == "se desmayo"
    # English keeps its accents and its own spellings
    assert normalize("José can't", "en") == "josé can not"
