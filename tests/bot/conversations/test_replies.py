import pytest

from bot.conversations.replies import (
    ReadReply,
    Reply,
    answers_outreach,
    read_reply,
    reply_choice,
)
from bot.conversations.schemas import Button

REMINDER = [Button(title="Confirm", payload='/outreach_confirm{"outreach_id":"7"}'),
            Button(title="Reschedule", payload='/outreach_reschedule{"outreach_id":"7"}'),
            Button(title="Cancel it", payload='/outreach_cancel{"outreach_id":"7"}')]
CANCEL_ASKED = [
    Button(title="Yes, cancel it", payload='/outreach_cancel_confirmed{"outreach_id":"7"}'),
    Button(title="Find a new time instead", payload='/outreach_reschedule{"outreach_id":"7"}'),
    Button(title="Keep it", payload='/outreach_confirm{"outreach_id":"7"}')]
NO_SHOW = [Button(title="Book a new time", payload='/outreach_rebook{"outreach_id":"8"}')]
REFILL = [Button(title="Refill it", payload='/outreach_refill{"outreach_id":"9"}')]


@pytest.mark.parametrize("typed", [
    "I'll be there", "ill be there", "I will be there!", "yes see you then", "Yes, see you then.",
    "confirmed", "Confirm", "i confirm", "CONFIRMED", "confrim", "confimred", "ok see u then",
    "yes", "Yep", "sounds good", "I'll be ther", "count me in", "no problem, I'll be there",
    "no problem I'll be there", "don't cancel, I'll be there", "I'll be there but I may be late",
    "keep my appointment", "never mind I'll be there",
])
def test_confirm_in_english(typed: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.confirm, "en")


@pytest.mark.parametrize("typed", [
    "sí ahí estaré", "si ahi estare", "Sí, ahí estaré.", "ahi estare", "allí estaré",
    "nos vemos", "sí voy", "voy a ir", "asistiré", "cuente conmigo", "claro", "sí",
])
def test_confirm_in_spanish(typed: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.confirm, "es")


@pytest.mark.parametrize("typed", ["confirmo", "Confirmado", "confirmada, gracias"])
def test_confirm_in_either_language_by_the_shared_word(typed: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.confirm, "en")


@pytest.mark.parametrize(("typed", "language"), [
    ("can't make it", "en"), ("cant make it", "en"), ("I can't be there", "en"),
    ("I won't be there", "en"), ("need a different day", "en"), ("reschedule", "en"),
    ("reschedual please", "en"), ("can we do another time?", "en"), ("can I reschedule?", "en"),
    ("yes but I can't make it", "en"), ("something came up", "en"),
    ("cancel and give me another day", "en"), ("cancel it and can you reschedule", "en"),
    ("no puedo ir, otro día", "es"), ("no puedo ir", "es"), ("no voy a poder", "es"),
    ("quiero cambiar la cita", "es"), ("mejor otro dia", "es"), ("reprogramar por favor", "es"),
    ("la semana que viene mejor", "es"),
])
def test_reschedule(typed: str, language: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.reschedule, language)


@pytest.mark.parametrize("typed", [
    "please cancel", "cancel it", "Cancel", "cancel my appointment", "cancle", "cancel pls",
    "no, cancel", "no cancel it", "yes cancel it", "can't make it, please cancel",
    "cancélela por favor", "cancelela", "Cancélala", "quiero cancelar la cita", "cancelarla",
    "anúlela", "cancelled",
])
def test_cancel(typed: str) -> None:
    assert read_reply(typed) is not None
    assert read_reply(typed).reply is Reply.cancel  # type: ignore[union-attr]


@pytest.mark.parametrize(("typed", "language"), [
    ("wrong number", "en"), ("Wrong number!", "en"), ("you have the wrong number", "en"),
    ("wrong numbr", "en"), ("who is this? wrong number", "en"), ("not me", "en"),
    ("no one here by that name", "en"),
    ("número equivocado", "es"), ("numero equivocado", "es"), ("se equivocó de número", "es"),
    ("no soy yo", "es"), ("persona equivocada", "es"),
])
def test_wrong_number(typed: str, language: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.wrong_number, language)


@pytest.mark.parametrize(("typed", "language"), [
    ("who is this?", "en"), ("Who's this", "en"), ("whos this", "en"), ("who are you?", "en"),
    ("who is texting me", "en"), ("who dis", "en"),
    ("¿quién es?", "es"), ("quien es", "es"), ("¿Quién habla?", "es"),
    ("quién me escribe", "es"), ("¿quiénes son?", "es"),
])
def test_who_is_this(typed: str, language: str) -> None:
    assert read_reply(typed) == ReadReply(Reply.who_is_this, language)


@pytest.mark.parametrize("typed", [
    "don't cancel", "do not cancel it", "please don't cancel", "I don't want to cancel",
    "no la cancele", "no me la cancele", "no cancele", "I don't want to reschedule",
    "can you confirm the address?", "is it ok if I come late", "¿Confirmado?",
    "I might not be there", "I have cancer", "charge it", "what is my balance",
    "I need a refill", "thanks", "tal vez", "no puedo", "hello", "", "   ", "?",
    "I'll be there, but also I need to ask about my bill and my refill for lisinopril please",
    "I'll be there, please cancel", "see you then, or another day",
])
def test_anything_else_is_no_reply_of_these(typed: str) -> None:
    assert read_reply(typed) is None


def test_a_reply_picks_the_offered_choice_for_it() -> None:
    assert reply_choice(Reply.confirm, REMINDER) == REMINDER[0]
    assert reply_choice(Reply.reschedule, REMINDER) == REMINDER[1]
    assert reply_choice(Reply.cancel, REMINDER) == REMINDER[2]
    # Asked "cancel it?": "yes cancel" is the cancel, "I'll be there" keeps it.
    assert reply_choice(Reply.cancel, CANCEL_ASKED) == CANCEL_ASKED[0]
    assert reply_choice(Reply.confirm, CANCEL_ASKED) == CANCEL_ASKED[2]
    # After a missed visit, "another day" books a new time; there is nothing to confirm.
    assert reply_choice(Reply.reschedule, NO_SHOW) == NO_SHOW[0]
    assert reply_choice(Reply.confirm, NO_SHOW) is None
    assert reply_choice(Reply.cancel, REFILL) is None
    assert reply_choice(Reply.wrong_number, REMINDER) is None


def test_only_an_outreach_messages_choices_are_answered_in_words() -> None:
    assert answers_outreach(REMINDER) and answers_outreach(NO_SHOW)
    assert not answers_outreach([Button(title="Yes", payload="/affirm"),
                                 Button(title="No", payload="/deny")])
    assert not answers_outreach([])
