"""The conversation's language, decided from a few words, never from one; switched by name."""

import pytest

from bot.backoffice.enums import LanguageSource
from bot.conversations import language as lang
from bot.conversations.language import ConversationLanguage


@pytest.mark.parametrize("text", [
    "no", "ok", "Ok", "sí", "si", "yes", "hola", "hi", "gracias", "Maria Lopez", "maria lopez",
    "Rosa Martínez", "Lopez Maria 02139", "03/12/1984", "2", "", "   ", "my name is maria lopez",
    "talk to a person"])
def test_too_little_to_tell_decides_nothing(text: str) -> None:
    assert lang.detect(text) is None


@pytest.mark.parametrize(("text", "language"), [
    ("quiero pagar mi cuenta", "es"), ("necesito cambiar mi cita", "es"),
    ("tengo un dolor fuerte en el pecho", "es"), ("el martes en la tarde", "es"),
    ("cuanto debo", "es"), ("Buenos dias", "es"), ("me llamo maria lopez", "es"),
    ("I want to pay my bill", "en"), ("when is my appointment", "en"),
    ("cancel my appointment", "en"), ("help me please", "en")])
def test_a_few_words_say_the_language(text: str, language: str) -> None:
    assert lang.detect(text) == language


def test_the_detector_is_built_once_for_english_and_spanish() -> None:
    assert lang.detector() is lang.detector()
    assert {v.language.name for v in lang.detector().compute_language_confidence_values(
        "bonjour tout le monde")} == {"ENGLISH", "SPANISH"}


@pytest.mark.parametrize(("text", "language"), [
    ("español", "es"), ("Espanol", "es"), ("SPANISH", "es"), ("en español", "es"),
    ("Español.", "es"), ("english", "en"), ("Inglés", "en"), ("ingles", "en"),
    ("in English!", "en"), ("en inglés", "en")])
def test_the_whole_message_naming_a_language_is_a_switch(text: str, language: str) -> None:
    assert lang.switch_to(text) == language


@pytest.mark.parametrize("text", ["hablo español", "do you speak spanish", "no", "es",
                                  "english please or spanish"])
def test_a_sentence_with_the_name_in_it_is_not_a_switch(text: str) -> None:
    assert lang.switch_to(text) is None


def test_a_settled_language_is_not_changed_by_what_is_written() -> None:
    fresh = ConversationLanguage()
    assert (fresh.language, fresh.source, fresh.settled) == ("en", None, False)
    assert lang.decide(fresh, None) == fresh
    assert lang.decide(fresh, "es") == ConversationLanguage("es", LanguageSource.detected)
    detected = ConversationLanguage("es", LanguageSource.detected, 5.0)
    assert lang.decide(detected, "en") == ConversationLanguage("en", LanguageSource.detected,
                                                               5.0)
    for source in (LanguageSource.record, LanguageSource.patient):
        settled = ConversationLanguage("es", source, 5.0)
        assert settled.settled and lang.decide(settled, "en") == settled


def test_stored_and_read_back() -> None:
    state = ConversationLanguage("es", LanguageSource.patient, 1765000000.5)
    assert lang.loads(lang.dumps(state)) == state
    assert lang.loads(lang.dumps(ConversationLanguage())) == ConversationLanguage()
    assert lang.loads(None) == lang.loads(b"") == lang.loads("not json") == ConversationLanguage()
    assert lang.loads('{"language": "xx", "source": "nobody"}') == ConversationLanguage()


def test_the_engine_session_expiry_comes_from_the_domain() -> None:
    assert lang.session_expiry_seconds() == 15 * 60
