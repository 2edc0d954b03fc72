"""Emergencies: 911 and an urgent handoff only when sure; a safety check otherwise."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handoff_client import HandoffClient
from actions.safety import ActionEmergency, answering_safety_check, is_sure
from bot.backoffice.models import Patient
from bot.handoff import service
from tests.actions.conftest import DOMAIN, make_tracker, text_of

CHECK_BOT_EVENT = {"event": "bot", "text": "Are you having a medical emergency right now?",
                   "metadata": {"utter_action": "utter_safety_check"}}
OTHER_BOT_EVENT = {"event": "bot", "text": "Okay.", "metadata": {"utter_action": "utter_ok"}}


@pytest.fixture
def handoff_client(app) -> Callable[[], HandoffClient]:  # type: ignore[no-untyped-def]
    return lambda: HandoffClient("http://backoffice.test", "test-backoffice-token",
                                 transport=httpx.ASGITransport(app=app))


def after(previous_bot: dict[str, Any] | None, text: str, intent: str) -> Tracker:
    tracker = make_tracker(text=text, intent=intent)
    earlier = [{"event": "user", "text": "roll a die please"}]
    if previous_bot is not None:
        earlier.append(previous_bot)
    tracker.events = earlier + [{"event": "action", "name": "action_listen"},
                                {"event": "user", "text": text}]
    return tracker


async def run(tracker: Tracker, client: Callable[[], HandoffClient]) -> list[str]:
    dispatcher = CollectingDispatcher()
    assert await ActionEmergency(client).run(dispatcher, tracker, DOMAIN) == []
    return [m["response"] for m in dispatcher.messages]


async def test_the_safety_nets_emergency_is_answered_and_urgent(
        seeded: Session, handoff_client) -> None:
    responses = await run(make_tracker(text="/emergency", intent="emergency"), handoff_client)
    assert responses == ["utter_emergency", "utter_handoff_urgent"]
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and handoff.urgency.value == "urgent"
    assert handoff.reason == "emergency"


async def test_the_classifier_alone_gets_a_safety_check_and_no_handoff(
        seeded: Session, handoff_client) -> None:
    responses = await run(make_tracker(text="roll a die please", intent="emergency"),
                          handoff_client)
    assert responses == ["utter_safety_check"]
    assert service.open_handoff(seeded, "sms:+15555550101") is None


@pytest.mark.parametrize(("text", "intent"), [("yes", "affirm"), ("/emergency", "emergency"),
                                              ("i feel faint", "emergency")])
async def test_yes_to_the_check_is_an_emergency(seeded: Session, handoff_client, text: str,
                                                intent: str) -> None:
    responses = await run(after(CHECK_BOT_EVENT, text, intent), handoff_client)
    assert responses == ["utter_emergency", "utter_handoff_urgent"]
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and handoff.urgency.value == "urgent"


async def test_no_to_the_check_raises_nothing(seeded: Session, handoff_client) -> None:
    responses = await run(after(CHECK_BOT_EVENT, "no", "deny"), handoff_client)
    assert responses == ["utter_safety_check_clear"]
    assert service.open_handoff(seeded, "sms:+15555550101") is None


async def test_a_yes_that_answers_something_else_is_not_an_emergency(
        seeded: Session, handoff_client) -> None:
    responses = await run(after(OTHER_BOT_EVENT, "yes", "affirm"), handoff_client)
    assert responses == ["utter_ok"]
    assert service.open_handoff(seeded, "sms:+15555550101") is None


def test_only_the_bots_last_words_count() -> None:
    assert answering_safety_check(after(CHECK_BOT_EVENT, "yes", "affirm"))
    assert not answering_safety_check(after(OTHER_BOT_EVENT, "yes", "affirm"))
    assert not answering_safety_check(after(None, "yes", "affirm"))
    # The check two turns back no longer counts.
    tracker = after(CHECK_BOT_EVENT, "yes", "affirm")
    tracker.events[-1:-1] = [{"event": "user", "text": "what's my balance"}, OTHER_BOT_EVENT]
    assert not answering_safety_check(tracker)
    assert not is_sure(tracker)


def at_the_name_question(text: str, intent: str, asking: str = "full_name") -> Tracker:
    """A web chat whose verification form asked `asking` when `text` came; the rule that stops
    the form for an emergency has deactivated it, as the engine does before the action."""
    tracker = make_tracker(sender="web:abc123", text=text, intent=intent)
    tracker.events = [
        {"event": "user", "text": "how much do I owe"},
        {"event": "action", "name": "verify_form"},
        {"event": "active_loop", "name": "verify_form"},
        {"event": "slot", "name": "requested_slot", "value": asking},
        {"event": "bot", "text": "What's your full name?"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text},
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "active_loop", "name": None},
        {"event": "slot", "name": "requested_slot", "value": None},
    ]
    return tracker


async def test_a_name_the_classifier_took_for_an_emergency_is_a_name(
        seeded: Session, handoff_client) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency(handoff_client).run(
        dispatcher, at_the_name_question("Peter Nobody", "emergency"), DOMAIN)
    # Back to the form, which asks the date of birth next; no safety check, no handoff.
    assert events == [{"event": "active_loop", "name": "verify_form", "timestamp": None},
                      {"event": "slot", "name": "full_name", "value": "Peter Nobody",
                       "timestamp": None}]
    assert dispatcher.messages == []
    assert service.open_handoff(seeded, "web:abc123") is None


async def test_the_safety_net_still_answers_at_the_name_question(
        seeded: Session, handoff_client) -> None:
    # "my chest hurts" typed as the name: the bot service's safety net sends /emergency.
    responses = await run(at_the_name_question("/emergency", "emergency"), handoff_client)
    # Not verified yet on the web: asked for a number to be called back on.
    assert responses == ["utter_emergency", "utter_handoff_urgent_callback"]
    handoff = service.open_handoff(seeded, "web:abc123")
    assert handoff is not None and handoff.urgency.value == "urgent"


@pytest.mark.parametrize("text", ["please help me", "i am dying", "911", "ayúdeme por favor",
                                  "me estoy muriendo", "Auxilio"])
async def test_words_asking_for_help_at_the_name_question_get_the_check(
        seeded: Session, handoff_client, text: str) -> None:
    responses = await run(at_the_name_question(text, "emergency"), handoff_client)
    assert responses == ["utter_safety_check"]


async def test_only_the_name_question_takes_a_name(seeded: Session, handoff_client) -> None:
    responses = await run(at_the_name_question("Peter Nobody", "emergency", asking="dob"),
                          handoff_client)
    assert responses == ["utter_safety_check"]
    # Outside the form, as before.
    responses = await run(make_tracker(sender="web:abc123", text="Peter Nobody",
                                       intent="emergency"), handoff_client)
    assert responses == ["utter_safety_check"]


@pytest.mark.parametrize(("language", "said"), [
    ("en", ["If this is an emergency, call 911 now or go to the nearest emergency room. If "
            "you're thinking about suicide or hurting yourself, call or text 988 (Suicide & "
            "Crisis Lifeline), any time.",
            "Don't wait for us: call 911 now. I've also alerted our nurse line, but they have "
            "no way to reach you from this chat. Please type a phone number where they can "
            "call you."]),
    ("es", ["Si es una emergencia, llame al 911 ahora o vaya a una sala de emergencias. Si "
            "piensa en el suicidio o en hacerse daño, llame al 988 y oprima 2 para español, o "
            "mande un texto con la palabra AYUDA al 988, a cualquier hora.",
            "No espere a que le llamemos: llame al 911 ahora. También avisé a nuestra línea de "
            "enfermería, pero no tienen forma de comunicarse con usted por este chat. Por "
            "favor, escriba un número de teléfono donde le puedan llamar."]),
])
async def test_an_anonymous_web_visitor_is_told_911_first_and_asked_for_a_number(
        seeded: Session, handoff_client, language: str, said: list[str]) -> None:
    """Nobody can reach out to an unverified web visitor: 911 first, then the number asked
    for in the same reply; the nurse line is alerted as for anyone."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender="web:anon42", text="/emergency", intent="emergency",
                           slots={"language": language})
    assert await ActionEmergency(handoff_client).run(dispatcher, tracker, DOMAIN) == []
    assert [text_of(m, language) for m in dispatcher.messages] == said
    handoff = service.open_handoff(seeded, "web:anon42")
    assert handoff is not None and handoff.urgency.value == "urgent" and handoff.team == "nurse"
    assert dispatcher.messages[-1]["custom"] == {"handoff_opened": handoff.id}


async def test_a_verified_web_patient_is_not_asked_for_a_number(
        seeded: Session, handoff_client) -> None:
    maria = str(seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one())
    tracker = make_tracker(sender="web:known", text="/emergency", intent="emergency",
                           slots={"verified": True, "patient_id": maria})
    assert await run(tracker, handoff_client) == ["utter_emergency", "utter_handoff_urgent"]
