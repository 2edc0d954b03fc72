"""Replies to an outreach message in the patient's own words, through the conversation
service as the SMS channel hands it each text: a reminder really sent (its choices and
reply window kept), then one reply. The engine's HTTP API is the edge: what it was sent is
what the dialogue gets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy.orm import Session, sessionmaker

from bot.backoffice import consent
from bot.backoffice.models import Patient
from bot.conversations import transcript
from bot.conversations.deps import emergency_text
from bot.conversations.engine import EngineClient
from bot.conversations.schemas import BotMessage, Button
from bot.conversations.service import ConversationService
from bot.outreach.enums import OutreachStatus, Purpose, SuppressReason
from bot.outreach.service import run_due
from bot.settings import Settings
from channels.sms_sender import OutboxSender
from tests.bot.outreach.conftest import TODAY, at
from tests.bot.outreach.helpers import by_key, texts_to
from tests.conftest import TEST_REDIS_URL
from tests.support.engine_server import engine_server

NOW = at(TODAY, 10, 45)
# Rosa's visit is Saturday 9:00: her 72 h reminder (in Spanish, her language) goes Wednesday.
ROSA_DAY = at(TODAY + timedelta(days=2), 9, 5)
MARIA, ROSA = "+15555550101", "+15555550104"


@dataclass
class Engine:
    """The engine's HTTP API: the patient messages it was sent, "ok" to each."""

    sent: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/webhooks/rest/webhook"):
            body = json.loads(request.content)
            self.sent.append(body["message"])
            return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": "ok"}])
        if path.endswith("/trigger_intent"):
            return httpx.Response(200, json={"messages": []})
        if path.endswith("/tracker"):
            return httpx.Response(200, json={"slots": {}, "events": []})
        return httpx.Response(200, json={})


@pytest.fixture
async def service(outreach_env: dict[str, str]) -> AsyncIterator[tuple[ConversationService,
                                                                        Engine]]:
    from bot.db import get_sessionmaker

    engine = Engine()
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    await redis.flushdb()
    with engine_server(engine.handler) as url:
        conversations = ConversationService(
            EngineClient(url, "t"), lambda: redis, get_sessionmaker(), apology="sorry",
            emergency_text=emergency_text(), clinic_name="Riverside Health")
        yield conversations, engine
        await conversations.engine.aclose()
    await redis.aclose()


async def send_reminders(sessions: sessionmaker[Session], settings: Settings,
                         conversations: ConversationService, when: Any = NOW) -> None:
    await run_due(sessions, OutboxSender(sessions, "+15555550100"), when, settings,
                  conversations, "test-worker")


def reminder_id(sessions: sessionmaker[Session], patient: Patient) -> int:
    return by_key(sessions)[("appointment_reminder", patient.id, "72h")].id


@pytest.mark.parametrize(("typed", "intent", "title"), [
    ("I'll be there", "outreach_confirm", "Confirm"),
    ("yes see you then", "outreach_confirm", "Confirm"),
    ("can't make it", "outreach_reschedule", "Reschedule"),
    ("need a different day", "outreach_reschedule", "Reschedule"),
    ("please cancel", "outreach_cancel", "Cancel it"),
    ("no, cancel", "outreach_cancel", "Cancel it"),
])
async def test_a_reply_in_words_answers_the_reminder_it_follows(
        typed: str, intent: str, title: str, service: tuple[ConversationService, Engine],
        demo: Session, people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations)
    message_id = reminder_id(sessions, people["Maria"])
    replies = await conversations.turn(f"sms:{MARIA}", typed, {"channel": "sms",
                                                              "phone": MARIA})
    assert engine.sent == [f'/{intent}{{"outreach_id":"{message_id}"}}']
    assert replies == [BotMessage(text="ok")]
    with sessions() as session:
        said = [(i.role, i.text) for i in transcript.read(session, f"sms:{MARIA}")][1:]
    assert said == [("patient", f'{typed} ("{title}")'), ("bot", "ok")]


async def test_a_negated_or_unrelated_reply_goes_to_the_conversation(
        service: tuple[ConversationService, Engine], demo: Session,
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations)
    await conversations.turn(f"sms:{MARIA}", "don't cancel", {"channel": "sms"})
    assert engine.sent == ["don't cancel"]
    await send_reminders(sessions, settings, conversations, at(TODAY + timedelta(days=2), 10, 31))
    await conversations.turn(f"sms:{MARIA}", "what do I owe", {"channel": "sms"})
    assert engine.sent == ["don't cancel", "what do I owe"]


async def test_an_emergency_in_a_reply_is_answered_first(
        service: tuple[ConversationService, Engine], demo: Session,
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations)
    await conversations.turn(f"sms:{MARIA}", "I'll be there if my chest pain stops",
                             {"channel": "sms"})
    assert engine.sent == ["/emergency"]


async def test_wrong_number_stops_outreach_to_the_number_and_says_so_kindly(
        service: tuple[ConversationService, Engine], demo: Session,
        people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations)
    replies = await conversations.turn(f"sms:{MARIA}", "wrong number", {"channel": "sms"})
    assert replies == [BotMessage(text="Sorry about that, and thank you for telling us. We "
                                       "won't text this number again.")]
    assert engine.sent == []  # nothing of the record was read or told
    assert await conversations.offered_choices(f"sms:{MARIA}") == []
    with sessions() as session:
        maria = session.get(Patient, people["Maria"].id)
        assert maria is not None
        assert {p: consent.refusal(session, maria, p) for p in Purpose} == {
            Purpose.care: SuppressReason.wrong_number,
            Purpose.billing: SuppressReason.wrong_number}
        said = [(i.role, i.text) for i in transcript.read(session, f"sms:{MARIA}")][1:]
    assert said == [("patient", "wrong number"), ("bot", replies[0].text)]
    # Her 24 h reminder is not texted to the number.
    await send_reminders(sessions, settings, conversations, at(TODAY + timedelta(days=2), 10, 31))
    later = by_key(sessions)[("appointment_reminder", people["Maria"].id, "24h")]
    assert (later.status, later.reason) == (OutreachStatus.suppressed,
                                            SuppressReason.wrong_number)
    assert len(texts_to(sessions, MARIA)) == 1


async def test_who_is_this_says_who_writes_and_offers_the_choices_again(
        service: tuple[ConversationService, Engine], demo: Session,
        people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations)
    message_id = reminder_id(sessions, people["Maria"])
    choices = await conversations.offered_choices(f"sms:{MARIA}")
    replies = await conversations.turn(f"sms:{MARIA}", "who is this?", {"channel": "sms"})
    assert replies == [BotMessage(
        text="This is the automated text assistant of Riverside Health. If this message "
             "isn't for you, reply WRONG NUMBER and we won't text you again.",
        buttons=choices)]
    assert [b.title for b in choices] == ["Confirm", "Reschedule", "Cancel it"]
    assert engine.sent == []
    # The reply window is still open: words still answer the reminder.
    assert await conversations.offered_choices(f"sms:{MARIA}") == choices
    await conversations.turn(f"sms:{MARIA}", "ok I'll be there", {"channel": "sms"})
    assert engine.sent == [f'/outreach_confirm{{"outreach_id":"{message_id}"}}']


async def test_a_spanish_reply_in_words_answers_in_spanish(
        service: tuple[ConversationService, Engine], demo: Session,
        people: dict[str, Patient], settings: Settings,
        sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations, ROSA_DAY)
    message_id = by_key(sessions)[("appointment_reminder", people["Rosa"].id, "72h")].id
    asked = await conversations.turn(f"sms:{ROSA}", "¿quién es?", {"channel": "sms"})
    assert asked[0].text == (
        "Le escribe el asistente automático de mensajes de Riverside Health. Si este mensaje "
        "no es para usted, responda NÚMERO EQUIVOCADO y no le volveremos a escribir.")
    assert [b.title for b in asked[0].buttons] == ["Confirmar", "Cambiar la cita", "Cancelarla"]
    await conversations.turn(f"sms:{ROSA}", "cancélela por favor", {"channel": "sms"})
    assert engine.sent == [f'/outreach_cancel{{"outreach_id":"{message_id}"}}']


async def test_a_spanish_wrong_number(
        service: tuple[ConversationService, Engine], demo: Session,
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    conversations, engine = service
    await send_reminders(sessions, settings, conversations, ROSA_DAY)
    replies = await conversations.turn(f"sms:{ROSA}", "número equivocado", {"channel": "sms"})
    assert replies == [BotMessage(text="Disculpe la molestia y gracias por avisarnos. No "
                                       "volveremos a escribir a este número.")]
    assert engine.sent == []


async def test_on_the_web_words_answer_an_outreach_question_on_screen(
        service: tuple[ConversationService, Engine], demo: Session) -> None:
    """The choices after "cancel it?" (an outreach action's, on any channel): "I'll be
    there" keeps the visit. Words about the message itself are the message's only: here
    "who is this?" goes to the conversation."""
    conversations, engine = service
    asked = [Button(title="Yes, cancel it",
                    payload='/outreach_cancel_confirmed{"outreach_id":"5"}'),
             Button(title="Find a new time instead",
                    payload='/outreach_reschedule{"outreach_id":"5"}'),
             Button(title="Keep it", payload='/outreach_confirm{"outreach_id":"5"}')]
    await conversations.offer_choices("web:s1", asked, 300)
    await conversations.turn("web:s1", "never mind I'll be there", {"channel": "web"})
    await conversations.offer_choices("web:s1", asked, 300)
    await conversations.turn("web:s1", "yes please cancel", {"channel": "web"})
    await conversations.offer_choices("web:s1", asked, 300)
    await conversations.turn("web:s1", "who is this?", {"channel": "web"})
    assert engine.sent == ['/outreach_confirm{"outreach_id":"5"}',
                           '/outreach_cancel_confirmed{"outreach_id":"5"}', "who is this?"]


async def test_a_balance_reminder_is_asked_about_too(
        service: tuple[ConversationService, Engine], demo: Session) -> None:
    """Its one choice names no outreach message; the reply window does."""
    conversations, engine = service
    balance = [Button(title="See my balance", payload="/billing_balance")]
    await conversations.offer_choices(f"sms:{MARIA}", balance, 3600, outreach=True)
    replies = await conversations.turn(f"sms:{MARIA}", "who's this", {"channel": "sms"})
    assert replies[0].buttons == balance and "Riverside Health" in replies[0].text
    await conversations.turn(f"sms:{MARIA}", "ok see you", {"channel": "sms"})
    assert engine.sent == ["ok see you"]  # nothing to confirm: the conversation reads it
