import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.handoff import ActionHandoff, session_intents, topic_of
from actions.handoff_client import HandoffClient
from bot.agents.models import Role, Team
from bot.agents.service import ensure_agent
from bot.backoffice.models import Patient
from bot.clock import now
from bot.desk import service as desk
from bot.handoff import service
from bot.handoff.models import HandoffStatus
from bot.settings import get_settings
from tests.actions.conftest import DOMAIN, make_tracker, text_of


@pytest.fixture
def handoff_client(app) -> Callable[[], HandoffClient]:  # type: ignore[no-untyped-def]
    return lambda: HandoffClient("http://backoffice.test", "test-backoffice-token",
                                 transport=httpx.ASGITransport(app=app))


async def test_request_tells_the_place_in_line(seeded: Session, handoff_client) -> None:
    # The rough wait counts the routed team's available agents (here one, in general).
    ensure_agent(seeded, "gen@example.org", "a-long-enough-password", "Gen",
                 roles=[Role.agent], teams=[Team.general])
    maria = str(seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one())
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff", slots={"verified": True, "patient_id": maria})
    assert await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert (message["response"], message["position"], message["wait"]) == (
        "utter_handoff_queued", "1", "3 minutes")
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    # The bot service learns from the message that the chat now waits for a person.
    assert handoff is not None and message["custom"] == {"handoff_opened": handoff.id}
    assert handoff is not None and handoff.verified and handoff.reason == "requested"


async def test_emergency_is_urgent(seeded: Session, handoff_client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="emergency")
    await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_urgent"]
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and handoff.urgency.value == "urgent"
    assert handoff.reason == "emergency"


async def test_desk_unreachable_gives_the_phone_number(seeded: Session) -> None:
    dispatcher = CollectingDispatcher()
    down = ActionHandoff(lambda: HandoffClient("http://127.0.0.1:9", "t", timeout=1))
    assert await down.run(dispatcher, make_tracker(intent="human_handoff"), DOMAIN) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_failed"]


def test_session_intents_are_listed_once_in_order() -> None:
    tracker = make_tracker()
    tracker.events = [
        {"event": "user", "parse_data": {"intent": {"name": "billing_balance"}}},
        {"event": "user", "parse_data": {"intent": {"name": "inform"}}},
        {"event": "user", "parse_data": {"intent": {"name": "billing_balance"}}},
        {"event": "user", "parse_data": {"intent": {"name": "human_handoff"}}},
    ]
    assert session_intents(tracker) == ["billing_balance", "inform", "human_handoff"]


@pytest.fixture
def general_opens_tomorrow_at_9(monkeypatch: pytest.MonkeyPatch) -> None:
    """The general team open only tomorrow 09:00-10:00 (clinic time): closed now."""
    tomorrow = datetime.now(ZoneInfo(get_settings().clinic_timezone)) + timedelta(days=1)
    day = tomorrow.strftime("%a").lower()
    monkeypatch.setenv("DESK_TEAM_HOURS", json.dumps({"general": f"{day} 09:00-10:00"}))
    get_settings.cache_clear()


@pytest.mark.parametrize(("sender", "language", "said"), [
    ("sms:+15555550101", "en",
     "Our patient support team is closed right now and opens tomorrow at 9 AM. I've saved your "
     "request, and they'll call you back at your number on file then. They'll see our "
     "conversation, so you won't need to repeat anything. Meanwhile, I'm here for anything I "
     "can do: just type it."),
    ("sms:+15555550101", "es",
     "En este momento nuestro equipo de atención al paciente está fuera de horario (abre "
     "mañana a las 9:00 a. m.). Guardé su solicitud, y le van a llamar a su número registrado a "
     "esa hora. Verán nuestra conversación, así que no tendrá que repetir nada. Mientras "
     "tanto, aquí estoy para lo que pueda hacer: solo escríbalo."),
    ("web:anon", "en",
     "Our patient support team is closed right now and opens tomorrow at 9 AM. I've saved your "
     "request: please call us at (555) 555-0199 after it opens, and they'll see what you "
     "wrote. Meanwhile, I'm here for anything I can do: just type it."),
    ("web:anon", "es",
     "En este momento nuestro equipo de atención al paciente está fuera de horario (abre "
     "mañana a las 9:00 a. m.). Guardé su solicitud: por favor llámenos al (555) 555-0199 "
     "cuando abra, y verán lo que usted escribió. Mientras tanto, aquí estoy para lo que "
     "pueda hacer: solo escríbalo."),
])
async def test_after_hours_a_request_is_answered_in_one_message(
        seeded: Session, handoff_client, general_opens_tomorrow_at_9: None, sender: str,
        language: str, said: str) -> None:
    """Outside the routed team's hours there is no line to stand in: one message says the
    team is closed, when it opens and how it gets back to the patient; the request is a
    callback task already, so the desk's sweep has nothing more to tell them."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender=sender, intent="human_handoff", slots={"language": language})
    assert await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert text_of(message, language) == said
    handoff = service.unfinished_handoff(seeded, sender)
    assert handoff is not None and handoff.status is HandoffStatus.callback
    assert message["custom"] == {"handoff_opened": handoff.id}
    assert desk.make_callbacks(seeded, now()) == []


async def test_the_place_in_line_in_spanish(seeded: Session, handoff_client) -> None:
    ensure_agent(seeded, "gen@example.org", "a-long-enough-password", "Gen",
                 roles=[Role.agent], teams=[Team.general])
    maria = str(seeded.scalars(select(Patient.id).where(Patient.last_name == "Lopez")).one())
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff",
                           slots={"verified": True, "patient_id": maria, "language": "es"})
    await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert text_of(message, "es") == (
        "Le voy a comunicar con alguien de nuestro equipo. Usted es el número 1 en la fila; la "
        "espera es de unos 3 minutos. Verán nuestra conversación, así que no tendrá que repetir "
        "nada. Puede seguir escribiendo aquí.")


@pytest.mark.parametrize(("text", "topic"), [
    ("I want to talk about my bill", "billing"),
    ("can I talk to someone about my billing statement", "billing"),
    ("I need to talk to someone about my appointment", "scheduling"),
    ("let me speak to a person about my prescription refill", "pharmacy"),
    ("quiero hablar con alguien sobre mi factura", "billing"),
    ("necesito hablar con una persona sobre mi cita", "scheduling"),
    ("quiero hablar con alguien de la farmacia sobre mi receta", "pharmacy"),
    ("Quiero hablar con alguien de facturación", "billing"),
    ("can i talk to a real person please", None),
    ("I want someone in charge", None),
    ("talk to someone about my bill and my appointment", None),
    ("I need a nurse about my medication", None),
    ("quiero hablar con un médico sobre mi receta", None),
])
def test_the_topic_a_request_for_a_person_names(text: str, topic: str | None) -> None:
    assert topic_of(text) == topic


@pytest.mark.parametrize(("text", "language", "response"), [
    ("I want to talk to someone about my bill", "en", "utter_handoff_offer_billing"),
    ("I need to talk to someone about my appointment", "en", "utter_handoff_offer_scheduling"),
    ("quiero hablar con alguien sobre mi factura", "es", "utter_handoff_offer_billing"),
    ("necesito hablar con alguien de mi cita", "es", "utter_handoff_offer_scheduling"),
])
async def test_a_person_asked_for_about_a_topic_gets_its_help_offered_first(
        seeded: Session, handoff_client, text: str, language: str, response: str) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff", text=text, slots={"language": language})
    events = await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN)
    topic = response.removeprefix("utter_handoff_offer_")
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_topic",
                       "value": topic}]
    assert [m["response"] for m in dispatcher.messages] == [response]
    assert service.open_handoff(seeded, "sms:+15555550101") is None
    # The response offers the topic's help, and a person, in both languages.
    domain = yaml.safe_load((Path(__file__).parents[2] / "domain.yml").read_text("utf-8"))
    variations = domain["responses"][response]
    assert len(variations) == 2
    for variation in variations:
        assert [b["payload"].split("_")[0] for b in variation["buttons"][:-1]] == [
            "/" + {"billing": "billing", "scheduling": "appointment"}[topic]] * (
                len(variation["buttons"]) - 1)
        assert variation["buttons"][-1]["payload"] == "/human_handoff"


async def test_a_person_still_wanted_after_the_offer_comes_from_the_topics_team(
        seeded: Session, handoff_client) -> None:
    ensure_agent(seeded, "bill@example.org", "a-long-enough-password", "Bill",
                 roles=[Role.agent], teams=[Team.billing])
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff", text="/human_handoff",
                           slots={"handoff_topic": "billing"})
    assert await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_queued"]
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and (handoff.team, handoff.reason) == ("billing", "requested")


async def test_asked_again_in_words_the_person_comes_without_a_second_offer(
        seeded: Session, handoff_client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff",
                           text="no, I really want a person about my bill",
                           slots={"handoff_topic": "billing"})
    await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN)
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and handoff.team == "billing"


async def test_a_person_asked_for_with_no_topic_comes_at_once(seeded: Session,
                                                             handoff_client) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="human_handoff", text="can i talk to a real person please")
    await ActionHandoff(handoff_client).run(dispatcher, tracker, DOMAIN)
    handoff = service.open_handoff(seeded, "sms:+15555550101")
    assert handoff is not None and handoff.team == "general"
