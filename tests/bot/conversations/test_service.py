import json

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import clinic_today
from bot.conversations import transcript
from bot.conversations.deps import emergency_text
from bot.conversations.engine import EngineClient
from bot.conversations.models import TranscriptEntry
from bot.conversations.schemas import Button
from bot.conversations.service import ConversationService
from bot.db import get_sessionmaker
from bot.handoff import service as handoffs
from bot.handoff.models import Urgency
from bot.handoff.schemas import HandoffRequest
from bot.insights.queue import QUEUE_KEY, Report
from bot.safety import EmergencyMatch
from tests.conftest import TEST_REDIS_URL
from tests.support.engine_server import engine_server


class RecordingEngine:
    """The engine's REST channel at the edge of a unit test: records what it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []
        self.appended: list[object] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path.endswith("/tracker/events"):
            self.appended.extend(body)
            return httpx.Response(200, json={})
        self.sent.append(body)
        return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": "ok"}])


@pytest.fixture
async def conversations(db: Session):  # type: ignore[no-untyped-def]
    engine = RecordingEngine()
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    with engine_server(engine.handler) as url:
        service = ConversationService(
            EngineClient(url, "t"), lambda: redis, get_sessionmaker(), apology="sorry",
            emergency_text=emergency_text())
        yield service, engine
        await service.engine.aclose()
    await redis.aclose()


async def test_an_unusual_emergency_reaches_the_engine_as_one(conversations) -> None:
    service, engine = conversations
    await service.turn("sms:+15555550101", "chest pian and i cant breth", {"channel": "sms"})
    assert engine.sent[-1]["message"] == "/emergency"
    await service.turn("sms:+15555550101", "this bill is killing me", {"channel": "sms"})
    assert engine.sent[-1]["message"] == "this bill is killing me"


async def test_the_transcript_keeps_the_patients_own_words(conversations, db: Session) -> None:
    service, _ = conversations
    await service.turn("web:abc", "want to end it all", {"channel": "web"})
    items = transcript.read(db, "web:abc")
    assert [(i.role, i.text) for i in items] == [("patient", "want to end it all"), ("bot", "ok")]


async def test_a_picked_choice_is_recorded_by_its_title_and_sent_as_its_payload(
        conversations, db: Session) -> None:
    service, engine = conversations
    await service.turn("sms:+15555550102", '/inform{"slot_id":"12"}', {"channel": "sms"},
                       shown='2 ("Tue, Dec 1 at 2:00 PM")')
    assert engine.sent[-1]["message"] == '/inform{"slot_id":"12"}'
    items = transcript.read(db, "sms:+15555550102")
    assert [(i.role, i.text) for i in items] == [
        ("patient", '2 ("Tue, Dec 1 at 2:00 PM")'), ("bot", "ok")]


async def test_typed_words_of_a_choice_on_the_web_are_sent_as_its_payload(
        conversations, db: Session) -> None:
    """"keep it" after "Cancel your appointment?" answers the question: the classifier never
    sees it (it once read it as an emergency); an emergency typed there still comes first."""
    service, engine = conversations
    await service.offer_choices("web:choice", [
        Button(title="Yes, cancel it", payload="/affirm"),
        Button(title="Find a new time instead", payload="/appointment_reschedule"),
        Button(title="Keep it", payload="/deny")], 300)
    await service.turn("web:choice", "kep it", {"channel": "web"})
    assert engine.sent[-1]["message"] == "/deny"
    assert [(i.role, i.text) for i in transcript.read(db, "web:choice")][0] == (
        "patient", 'kep it ("Keep it")')

    await service.offer_choices("web:choice", [
        Button(title="Yes, cancel it", payload="/affirm"),
        Button(title="Keep it", payload="/deny")], 300)
    await service.turn("web:choice", "keep it", {"channel": "web"})
    assert engine.sent[-1]["message"] == "/deny"

    await service.offer_choices("web:choice", [Button(title="Keep it", payload="/deny")], 300)
    await service.turn("web:choice", "keep it, i have chest pain", {"channel": "web"})
    assert engine.sent[-1]["message"] == "/emergency"


async def test_an_emergency_during_a_handoff_is_answered_and_made_urgent(conversations,
                                                                          db: Session) -> None:
    service, engine = conversations
    handoff, _ = handoffs.request_handoff(
        db, HandoffRequest(conversation_id="web:h1", reason="requested"), clinic_today())
    # Waiting: acknowledged by the bot service (desk teams), the engine not asked.
    ack = await service.turn("web:h1", "are you there", {"channel": "web"})
    assert [m.text for m in ack] == [
        "Got it, I've passed that on. Our patient support team will see it when they pick up "
        "your conversation: you're number 1 in line, about 15 minutes."]
    urgent = await service.turn("web:h1", "i took too many pills", {"channel": "web"})
    assert [m.text for m in urgent] == [emergency_text()]
    db.expire_all()
    assert handoffs.get(db, handoff.id).urgency is Urgency.urgent
    # Nothing went to the engine's REST channel while a person had the conversation; the
    # tracker got both messages appended.
    assert engine.sent == []
    assert [e["text"] for e in engine.appended] == ["are you there", "i took too many pills"]
    # Insights hear of both messages to the agent, and that the safety net answered the second.
    reports = [Report.loads(raw) for raw in await service.redis.lrange(QUEUE_KEY, 0, -1)]
    assert [(r.kind, r.text, r.safety) for r in reports] == [
        ("patient_message", "are you there", None),
        ("patient_message", "i took too many pills", "safety_net")]


@pytest.mark.parametrize(("language", "typed", "confirmed"), [
    ("en", "you can call me at 617-555-0123",
     "Thank you. Our nurse line has your number, (617) 555-0123, and will call you there. If "
     "things get worse, call 911 now."),
    ("es", "mi número es (617) 555 0123",
     "Gracias. Nuestra línea de enfermería tiene su número, (617) 555-0123, y le va a llamar "
     "ahí. Si se siente peor, llame al 911 ahora."),
])
async def test_an_anonymous_emergencys_callback_number_goes_on_the_handoff_and_is_confirmed(
        conversations, db: Session, language: str, typed: str, confirmed: str) -> None:
    """An unverified web visitor in an emergency is asked for a number (the engine's reply):
    the number they type next is on the urgent handoff for the nurse line, confirmed once."""
    service, engine = conversations
    handoff, _ = handoffs.request_handoff(db, HandoffRequest(
        conversation_id="web:sos", reason="emergency", urgency=Urgency.urgent,
        language=language), clinic_today())
    replies = await service.turn("web:sos", typed, {"channel": "web"})
    assert [m.text for m in replies] == [confirmed]
    db.expire_all()
    saved = handoffs.get(db, handoff.id)
    assert saved.phone == "+16175550123" and saved.team == "nurse"
    assert handoffs.patient_label(saved) == "Unverified web visitor, call back …0123"
    assert [(i.role, i.text) for i in transcript.read(db, "web:sos")] == [
        ("patient", typed), ("bot", confirmed)]
    assert engine.sent == []
    # Said once: a second number is only passed on to the desk (the waiting acknowledgement).
    again = await service.turn("web:sos", "or 617-555-0999", {"channel": "web"})
    assert [m.text for m in again] != [confirmed]
    db.expire_all()
    assert handoffs.get(db, handoff.id).phone == "+16175550123"


async def test_a_number_is_not_taken_when_the_handoff_can_already_call_back(
        conversations, db: Session) -> None:
    service, _ = conversations
    sms, _ = handoffs.request_handoff(db, HandoffRequest(
        conversation_id="sms:+15555550102", reason="emergency", urgency=Urgency.urgent),
        clinic_today())
    normal, _ = handoffs.request_handoff(db, HandoffRequest(
        conversation_id="web:normal", reason="requested"), clinic_today())
    await service.turn("sms:+15555550102", "617-555-0123", {"channel": "sms"})
    await service.turn("web:normal", "617-555-0123", {"channel": "web"})
    db.expire_all()
    assert handoffs.get(db, sms.id).phone == "+15555550102"
    assert handoffs.get(db, normal.id).phone is None


async def test_an_emergency_is_answered_in_the_language_it_was_written_in(db: Session) -> None:
    """With no conversation language known, the safety net's match says it: a Spanish crisis
    gets the domain's Spanish utter_emergency (988, oprima 2), an English one the default."""
    engine = RecordingEngine()
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    with engine_server(engine.handler) as url:
        service = ConversationService(
            EngineClient(url, "t"), lambda: redis, get_sessionmaker(), apology="sorry",
            emergency_text=emergency_text(), emergency_text_in=emergency_text)
        handoffs.request_handoff(
            db, HandoffRequest(conversation_id="sms:+15555550104", reason="requested"),
            clinic_today())
        spanish = await service.turn("sms:+15555550104", "no puedo respirar", {"channel": "sms"})
        english = await service.turn("sms:+15555550104", "i cant breathe", {"channel": "sms"})
        await service.engine.aclose()
    await redis.aclose()
    assert [m.text for m in spanish] == [emergency_text("es")]
    assert "911" in spanish[0].text and "988 y oprima 2 para español" in spanish[0].text
    assert [m.text for m in english] == [emergency_text()]
    assert [(i.role, i.text) for i in transcript.read(db, "sms:+15555550104")][-3:] == [
        ("bot", emergency_text("es")), ("patient", "i cant breathe"), ("bot", emergency_text())]
    # the conversation's language, when the caller knows it, comes first
    assert service.emergency_reply(EmergencyMatch("medical", "cannot breathe", "en"), "es") == (
        emergency_text("es"))
    assert service.emergency_reply(None) == emergency_text()


async def test_a_chat_turn_is_answered_before_it_is_recorded_and_holds_the_next(
        conversations, db: Session) -> None:
    """The page gets its reply first; the turn is written by `finish`, and the conversation's
    next message waits for it (so the transcript and the engine keep arrival order)."""
    import asyncio

    service, engine = conversations
    answered = await service.answer_first("web:first", "hi", {"channel": "web"})
    assert ([m.text for m in answered.replies], answered.state) == (["ok"], ("bot", None))
    assert transcript.read(db, "web:first") == []
    follow = asyncio.create_task(service.turn("web:first", "and then", {"channel": "web"}))
    await asyncio.sleep(0.1)
    assert not follow.done() and [s["message"] for s in engine.sent] == ["hi"]
    await answered.finish()
    await follow
    db.rollback()  # a new snapshot: SQLite's reads keep the one they began with
    assert [(i.role, i.text) for i in transcript.read(db, "web:first")] == [
        ("patient", "hi"), ("bot", "ok"), ("patient", "and then"), ("bot", "ok")]


async def test_the_chat_state_is_read_when_the_turn_opened_a_handoff(
        scripted_conversations, db: Session) -> None:
    """The handoff action's custom payload (HANDOFF_OPENED) makes the service read the
    chat's state; without it the chat stays with the bot (no handoff held at the start)."""
    from bot.handoff.schemas import HANDOFF_OPENED

    def engine(message: str) -> list[dict[str, object]]:
        if message != "a person please":
            return [{"text": "Your balance is $125.40."}]
        handoff, _ = handoffs.request_handoff(
            db, HandoffRequest(conversation_id="web:opens", reason="requested"),
            clinic_today())
        return [{"text": "You're number 1 in line."}, {"custom": {HANDOFF_OPENED: handoff.id}}]

    service = scripted_conversations(engine, [])
    balance = await service.answer_first("web:opens", "balance", {"channel": "web"})
    await balance.finish()
    assert balance.state == ("bot", None)
    queued = await service.answer_first("web:opens", "a person please", {"channel": "web"})
    await queued.finish()
    # The payload is not a message to show.
    assert ([m.text for m in queued.replies], queued.state) == (
        ["You're number 1 in line."], ("waiting", None))


async def test_a_message_racing_a_close_goes_to_exactly_one_of_agent_or_bot(
        conversations, db: Session) -> None:
    """Close (under the conversation lock, as the desk does) races a patient message, many
    times: each message lands with the agent (recorded under the handoff) or with the bot
    (sent to the engine), never both and never neither."""
    import asyncio

    from bot.agents.service import ensure_agent
    from bot.conversations.turnlock import conversation_turn
    from bot.handoff.models import Disposition

    service, engine = conversations
    agent = ensure_agent(db, "race@example.org", "race-pass-1", "Race")
    for round_ in range(10):
        conv = f"web:race{round_}"
        handoff, _ = handoffs.request_handoff(
            db, HandoffRequest(conversation_id=conv, reason="requested"), clinic_today())
        handoffs.accept(db, handoff.id, agent)

        async def close(handoff_id: int = handoff.id, conversation: str = conv) -> None:
            async with conversation_turn(service.redis, conversation):
                await asyncio.to_thread(lambda: handoffs.close(
                    get_sessionmaker()(), handoff_id, agent, Disposition.resolved))

        text = f"message {round_}"
        await asyncio.gather(close(), service.turn(conv, text, {"channel": "web"}))
        to_engine = [s for s in engine.sent if s["message"] == text]
        with_agent = [i for i in transcript.read(db, conv)
                      if i.role == "patient" and i.text == text]
        recorded_under_handoff = db.scalars(
            select(TranscriptEntry).where(TranscriptEntry.conversation_id == conv,
                                          TranscriptEntry.handoff_id == handoff.id,
                                          TranscriptEntry.role == "patient")).all()
        assert len(with_agent) == 1
        assert len(to_engine) + len(recorded_under_handoff) == 1, round_


async def test_a_typed_card_number_is_neither_stored_nor_passed_on(conversations,
                                                                    db: Session) -> None:
    service, engine = conversations
    await service.turn("web:card", "pay with 4111-1111-1111-1111 exp 09/29", {"channel": "web"})
    assert engine.sent[-1]["message"] == "pay with 4242 4242 4242 4242 exp 09/29"
    [said, _] = transcript.read(db, "web:card")
    assert said.text == "pay with [card number removed] exp 09/29"
    # Numbers that are not card numbers (fail the Luhn check) are left alone.
    await service.turn("web:card", "member id 1234 5678 9012 3456", {"channel": "web"})
    assert engine.sent[-1]["message"] == "member id 1234 5678 9012 3456"


def test_a_message_to_an_agent_is_a_user_event_the_engine_takes() -> None:
    """Rasa refuses a user event whose intent name is not a string (400 "None is not of type
    'string'"); the one used must be an intent of the domain."""
    from pathlib import Path

    import yaml

    from bot.conversations.service import patient_event

    event = patient_event("are you there?")
    intent = event["parse_data"]["intent"]
    domain = yaml.safe_load((Path(__file__).parents[3] / "domain.yml").read_text())
    assert isinstance(intent["name"], str) and intent["name"] in domain["intents"]
    assert isinstance(intent["confidence"], float)
    assert (event["event"], event["text"], event["metadata"]) == (
        "user", "are you there?", {"during_handoff": True})


class CompactingEngine(RecordingEngine):
    """Answers the tracker's state (between flows, verified) and records compactions; the
    reply offers choices while `buttons` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.compactions: list[list[dict[str, object]]] = []
        self.buttons = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={
                "slots": {"verified": True, "patient_id": "7", "flow_step": None},
                "latest_message": {"intent": {"name": "billing_balance"}},
                "latest_action_name": "action_listen", "active_loop": {}, "paused": False})
        if request.url.path.endswith("/tracker/events"):
            self.compactions.append(json.loads(request.content))
            return httpx.Response(200, json={})
        self.sent.append(json.loads(request.content))
        buttons = [{"title": "Yes", "payload": "/affirm"}] if self.buttons else []
        return httpx.Response(200, json=[{"text": "ok", "buttons": buttons}])


async def test_a_long_session_is_compacted_every_20_turns_between_flows(db: Session) -> None:
    engine = CompactingEngine()
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    with engine_server(engine.handler) as url:
        await compacted_every_20_turns(engine, ConversationService(
            EngineClient(url, "t"), lambda: redis, get_sessionmaker(), apology="sorry",
            emergency_text=emergency_text()), redis)
    await redis.aclose()


async def compacted_every_20_turns(engine: CompactingEngine, service: ConversationService,
                                   redis: aioredis.Redis) -> None:
    from bot.conversations.service import COMPACT_EVERY_TURNS

    for _ in range(COMPACT_EVERY_TURNS - 1):
        await service.turn("web:long", "what's my balance", {"channel": "web"})
    assert engine.compactions == []
    engine.buttons = True  # a reply offering choices: not now, its answer may need the flow
    await service.turn("web:long", "what's my balance", {"channel": "web"})
    assert engine.compactions == []
    assert await service.offered_choices("web:long") != []
    engine.buttons = False
    await service.turn("web:long", "what's my balance", {"channel": "web"})
    [events] = engine.compactions
    assert [e["event"] for e in events][:2] == ["action", "session_started"]
    assert {(e["name"], e["value"]) for e in events if e["event"] == "slot"} == {
        ("verified", True), ("patient_id", "7")}
    assert await service.offered_choices("web:long") == []
    assert await redis.get("engine-turns:web:long") == "0"
    for _ in range(COMPACT_EVERY_TURNS - 1):  # counted again from there
        await service.turn("web:long", "what's my balance", {"channel": "web"})
    assert len(engine.compactions) == 1
    await service.turn("web:long", "what's my balance", {"channel": "web"})
    assert len(engine.compactions) == 2
    await service.engine.aclose()


def test_the_turns_options_are_taken_by_name() -> None:
    import inspect

    from bot.conversations.turnlock import conversation_turn

    for fn, names in ((ConversationService.answer_first,
                       ("db_timeout", "message_id", "maybe_taken")),
                      (ConversationService._turn, ("shown", "with_state", "maybe_taken")),
                      (conversation_turn, ("read",))):
        for name in names:
            assert inspect.signature(fn).parameters[name].kind is \
                inspect.Parameter.KEYWORD_ONLY, (fn, name)


class LanguageEngine:
    """The engine's REST channel and tracker API with a tracker per conversation: its
    `language` slot, its session's events, what was appended and executed. A reply says the
    language it was given in ("[es] ok"); `verify` makes the next reply carry the
    verification's payload (the language on the record)."""

    def __init__(self) -> None:
        self.slots: dict[str, dict[str, object]] = {}
        self.events: dict[str, list[dict[str, object]]] = {}
        self.sent: list[dict[str, object]] = []
        self.appended: list[list[dict[str, object]]] = []
        self.executed: list[str] = []
        self.verify: str | None = None
        self.refuse: set[str] = set()

    def _sender(self, request: httpx.Request) -> str:
        return request.url.path.split("/")[2]

    def handler(self, request: httpx.Request) -> httpx.Response:
        import time

        path = request.url.path
        if path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            sender = str(body["sender"])
            self.sent.append(body)
            self.events.setdefault(sender, []).append(
                {"event": "user", "text": body["message"], "timestamp": time.time()})
            slots = self.slots.setdefault(sender, {})
            replies: list[dict[str, object]] = [
                {"text": f"[{slots.get('language') or 'en'}] ok"}]
            if self.verify is not None:
                slots["language"] = self.verify
                replies.append({"custom": {"language_set": self.verify}})
                self.verify = None
            return httpx.Response(200, json=replies)
        sender = self._sender(request)
        if path.endswith("/tracker") and request.method == "GET":
            assert request.url.params["include_events"] == "APPLIED"
            return httpx.Response(200, json={"slots": self.slots.get(sender, {}),
                                             "events": self.events.get(sender, [])})
        if path.endswith("/tracker/events"):
            events = json.loads(request.content)
            self.appended.append(events)
            for event in events:
                if event["event"] == "session_started":
                    self.slots[sender], self.events[sender] = {}, []
                if event["event"] == "slot":
                    self.slots.setdefault(sender, {})[event["name"]] = event["value"]
                self.events.setdefault(sender, []).append(event)
            return httpx.Response(200, json={})
        if path.endswith("/execute"):
            name = json.loads(request.content)["name"]
            if name in self.refuse:
                return httpx.Response(500, json={})
            self.executed.append(name)
            language = self.slots.get(sender, {}).get("language") or "en"
            return httpx.Response(200, json={"tracker": {}, "messages": [
                {"text": f"[{language}] switched"}, {"text": f"[{language}] the question again"}]})
        return httpx.Response(404, json={})


class SessionStampingEngine(LanguageEngine):
    """As Rasa with its SQL tracker store: appending to a conversation it has not seen (events
    that do not begin a session themselves) first begins a session there, stamped by the
    engine's clock (here a second ahead of the service's), and a message is handled with only
    the events stamped at or after the latest session start (an event stamped earlier is kept
    but never read back)."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        import time

        path = request.url.path
        if path.endswith("/tracker/events"):
            sender = self._sender(request)
            events = json.loads(request.content)
            begins = bool(events) and events[0].get("name") == "action_session_start"
            if sender not in self.events and not begins:
                ahead = time.time() + 1.0
                self.events[sender] = [
                    {"event": "action", "name": "action_session_start", "timestamp": ahead},
                    {"event": "session_started", "timestamp": ahead},
                    {"event": "action", "name": "action_listen", "timestamp": ahead}]
        if path == "/webhooks/rest/webhook":
            sender = str(json.loads(request.content)["sender"])
            events = self.events.get(sender, [])
            starts = [float(e["timestamp"]) for e in events  # type: ignore[arg-type]
                      if e["event"] == "session_started"]
            read = [e for e in events
                    if not starts or float(e["timestamp"]) >= max(starts)]  # type: ignore[arg-type]
            self.slots[sender] = {"language": next(
                (e["value"] for e in reversed(read)
                 if e["event"] == "slot" and e["name"] == "language"), None)}
        return super().handler(request)


async def serving(engine: LanguageEngine):  # type: ignore[no-untyped-def]
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    await redis.flushdb()
    with engine_server(engine.handler) as url:
        service = ConversationService(
            EngineClient(url, "t"), lambda: redis, get_sessionmaker(), apology="sorry",
            emergency_text=emergency_text())
        yield service, engine
        await service.engine.aclose()
    await redis.flushdb()
    await redis.aclose()


@pytest.fixture
async def speaking(db: Session):  # type: ignore[no-untyped-def]
    async for served in serving(LanguageEngine()):
        yield served


@pytest.fixture
async def stamping(db: Session):  # type: ignore[no-untyped-def]
    async for served in serving(SessionStampingEngine()):
        yield served


def texts(replies: list) -> list[str]:  # type: ignore[type-arg]
    return [m.text for m in replies]


async def test_a_few_spanish_words_turn_the_conversation_to_spanish_before_the_reply(
        speaking) -> None:
    service, engine = speaking
    sender = "sms:+15555550199"
    assert await service.language_of(sender) == "en"
    assert texts(await service.turn(sender, "hi", {"channel": "sms"})) == ["[en] ok"]
    assert engine.appended == []  # English, as the engine begins: nothing to set
    reply = await service.turn(sender, "necesito cambiar mi cita", {"channel": "sms"})
    assert texts(reply) == ["[es] ok"]
    assert [[(e["event"], e.get("value")) for e in batch] for batch in engine.appended] == [
        [("slot", "es")]]
    assert engine.sent[-1]["metadata"] == {"channel": "sms", "language": "es",
                                           "language_source": "detected",
                                           "message_id": engine.sent[-1]["metadata"][
                                               "message_id"]}
    assert await service.language_of(sender) == "es"
    # One word, a name, a number: the conversation stays in Spanish, nothing is set again.
    for text in ("ok", "no", "Maria Lopez", "2"):
        assert texts(await service.turn(sender, text, {"channel": "sms"})) == ["[es] ok"]
    assert len(engine.appended) == 1
    # A few English words turn it back (nothing on file yet says otherwise).
    assert texts(await service.turn(sender, "I want to pay my bill", {"channel": "sms"})) == [
        "[en] ok"]
    assert engine.appended[-1][0]["value"] == "en"


async def test_no_ok_and_a_name_never_turn_an_english_conversation(speaking) -> None:
    service, engine = speaking
    for text in ("no", "ok", "Maria Lopez", "Rosa Martínez", "hola", "sí"):
        await service.turn("web:names", text, {"channel": "web"})
    assert engine.appended == [] and await service.language_of("web:names") == "en"
    assert all(s["metadata"]["language"] == "en" for s in engine.sent)


async def test_the_record_language_from_verification_settles_it(speaking) -> None:
    service, engine = speaking
    sender = "sms:+15555550104"
    engine.verify = "es"  # Rosa's record: Spanish
    assert texts(await service.turn(sender, "09/30/1968", {"channel": "sms"})) == ["[en] ok"]
    assert await service.language_of(sender) == "es"
    # English words no longer change it: the record says Spanish.
    assert texts(await service.turn(sender, "when is my appointment", {"channel": "sms"})
                 ) == ["[es] ok"]
    assert engine.appended == []  # the engine's own action set the slot
    assert engine.sent[-1]["metadata"]["language_source"] == "record"


async def test_naming_a_language_switches_and_asks_the_open_question_again(
        speaking, db: Session) -> None:
    service, engine = speaking
    sender = "web:switch"
    await service.turn(sender, "I want to pay my bill", {"channel": "web"})
    await service.offer_choices(sender, [Button(title="Yes", payload="/affirm")], 600)
    reply = await service.turn(sender, "Español", {"channel": "web"})
    assert texts(reply) == ["[es] switched", "[es] the question again"]
    # Not a message for the policies: the slot set, the action run, then listening again.
    assert [s["message"] for s in engine.sent] == ["I want to pay my bill"]
    assert [[(e["event"], e.get("name"), e.get("value")) for e in batch]
            for batch in engine.appended] == [[("slot", "language", "es")],
                                              [("action", "action_listen", None)]]
    assert engine.executed == ["action_language_switched"]
    # The choices the question offered are still answerable; the transcript has the switch.
    assert [b.title for b in await service.offered_choices(sender)] == ["Yes"]
    assert [(i.role, i.text) for i in transcript.read(db, sender)][-3:] == [
        ("patient", "Español"), ("bot", "[es] switched"), ("bot", "[es] the question again")]
    # The patient's own choice: English words do not turn it back, and verification is told.
    await service.turn(sender, "I want to pay my bill", {"channel": "web"})
    assert engine.sent[-1]["metadata"]["language"] == "es"
    assert engine.sent[-1]["metadata"]["language_source"] == "patient"
    assert texts(await service.turn(sender, "in English", {"channel": "web"})) == [
        "[en] switched", "[en] the question again"]
    assert await service.language_of(sender) == "en"


async def test_a_switch_the_engine_cannot_confirm_is_confirmed_by_the_service(speaking) -> None:
    service, engine = speaking
    engine.refuse = {"action_language_switched"}
    assert texts(await service.turn("web:old", "espanol", {"channel": "web"})) == [
        "[es] switched", "[es] the question again"]
    assert engine.executed == ["utter_language_switched"]
    engine.refuse = {"action_language_switched", "utter_language_switched"}
    assert texts(await service.turn("web:old", "english", {"channel": "web"})) == [
        "Okay, we'll continue in English."]
    assert await service.language_of("web:old") == "en"


async def test_an_expired_engine_session_begins_again_in_the_conversations_language(
        speaking) -> None:
    """Past the engine's session expiry its slots are gone when the next message comes: the
    language is set in a new session begun before it, not in the old one."""
    import time

    from bot.conversations import language as lang
    from bot.conversations.service import language_key

    service, engine = speaking
    sender = "sms:+15555550198"
    await service.turn(sender, "quiero pagar mi cuenta", {"channel": "sms"})
    long_ago = time.time() - 20 * 60
    for event in engine.events[sender]:
        event["timestamp"] = long_ago
    known = lang.loads(await service.redis.get(language_key(sender)))
    await service.redis.set(language_key(sender), lang.dumps(
        lang.ConversationLanguage(known.language, known.source, long_ago)))
    assert texts(await service.turn(sender, "2", {"channel": "sms"})) == ["[es] ok"]
    assert [e["event"] for e in engine.appended[-1]] == [
        "action", "session_started", "slot", "action"]
    assert engine.appended[-1][2]["value"] == "es"


async def test_a_language_chosen_before_the_first_message_is_set_with_it(speaking) -> None:
    """A chat page in Spanish, or a reminder sent in the record's language: the engine gets
    the language with the patient's first message, and what they write does not change it."""
    from bot.backoffice.enums import LanguageSource
    from bot.conversations.service import choose_language

    service, engine = speaking
    await choose_language(service.redis, "web:page-es", "es")
    await choose_language(service.redis, "sms:+15555550104", "es", LanguageSource.record)
    with pytest.raises(ValueError):
        await choose_language(service.redis, "web:x", "fr")
    for sender in ("web:page-es", "sms:+15555550104"):
        assert texts(await service.turn(sender, "I want to pay my bill", {"channel": "web"})
                     ) == ["[es] ok"]
    # Sessions the engine has not begun: begun with the language in them.
    assert [[(e["event"], e.get("value")) for e in batch] for batch in engine.appended] == [
        [("action", None), ("session_started", None), ("slot", "es"), ("action", None)]] * 2
    assert [s["metadata"]["language_source"] for s in engine.sent] == ["patient", "record"]


async def test_the_language_set_in_a_session_the_engine_begins_is_read_back(stamping) -> None:
    """A first message in Spanish, to a conversation the engine has not seen: the session is
    begun with the language in it (an engine-begun one would be stamped after the slot and
    the slot never read back), so the engine answers in Spanish."""
    service, engine = stamping
    reply = await service.turn("sms:+15555550196", "hola, ¿cuándo es mi próxima cita?",
                               {"channel": "sms"})
    assert texts(reply) == ["[es] ok"]


async def test_a_spanish_emergency_reaches_the_engine_in_spanish(speaking) -> None:
    """The language is set before the message is handled, so the engine's emergency answer
    (911) comes in the patient's language."""
    service, engine = speaking
    sender = "sms:+15555550197"
    assert texts(await service.turn(sender, "tengo un dolor fuerte en el pecho",
                                    {"channel": "sms"})) == ["[es] ok"]
    assert engine.sent[-1]["metadata"]["language"] == "es"
    at = engine.appended[0][0]["timestamp"]
    assert engine.appended == [[
        {"event": "action", "name": "action_session_start", "timestamp": at},
        {"event": "session_started", "timestamp": at},
        {"event": "slot", "name": "language", "value": "es", "timestamp": at},
        {"event": "action", "name": "action_listen", "timestamp": at}]]


async def test_a_turn_the_engine_never_saw_does_not_count_as_seen(db: Session) -> None:
    from bot.conversations import language as lang
    from bot.conversations.service import language_key
    from tests.support.engine_server import unused_url

    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    service = ConversationService(EngineClient(unused_url(), "t"), lambda: redis,
                                  get_sessionmaker(), apology="sorry",
                                  emergency_text=emergency_text())
    assert texts(await service.turn("web:down", "hello there", {"channel": "web"})) == ["sorry"]
    state = lang.loads(await redis.get(language_key("web:down")))
    assert (state.language, state.seen) == ("en", None)
    await redis.delete(language_key("web:down"))
    await redis.aclose()
