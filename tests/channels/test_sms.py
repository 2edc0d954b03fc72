import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

TOKEN = "test-auth-token-0123456789abcdef"
URL = "https://assistant.example.org/channels/sms/inbound"


def inbound(body: str = "how much do I owe", sid: str = "SM1", frm: str = "+15555550101"
            ) -> dict[str, str]:
    return {"From": frm, "To": "+15555550100", "Body": body, "MessageSid": sid, "NumMedia": "0"}


def signed(params: dict[str, str], url: str = URL, token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


def outbox(client, to: str = "+15555550101", wait: float = 5.0) -> list[dict[str, str]]:
    deadline = time.monotonic() + wait
    while True:
        rows = client.get("/dev/outbox", params={"to": to}).json()
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_missing_signature_is_403_and_nothing_happens(client, db: Session, redis_client) -> None:
    from sqlalchemy import select

    from channels.models import InboundSms

    resp = client.post("/channels/sms/inbound", data=inbound())
    assert resp.status_code == 403
    assert redis_client.keys("sms*") == [] and redis_client.keys("rate:*") == []
    assert db.scalars(select(InboundSms)).all() == []
    assert outbox(client, wait=0.3) == []


def test_wrong_signature_is_403(client, db: Session, redis_client) -> None:
    resp = client.post("/channels/sms/inbound", data=inbound(),
                       headers=signed(inbound(), token="another-token"))
    assert resp.status_code == 403
    assert redis_client.keys("sms*") == [] and redis_client.keys("rate:*") == []


def test_signature_over_another_url_is_403(client, db: Session, redis_client) -> None:
    resp = client.post("/channels/sms/inbound", data=inbound(),
                       headers=signed(inbound(), url="https://evil.example.com/channels/sms/inbound"))
    assert resp.status_code == 403


def test_tampered_body_is_403(client, db: Session) -> None:
    headers = signed(inbound("hi"))
    resp = client.post("/channels/sms/inbound", data=inbound("what's my balance"), headers=headers)
    assert resp.status_code == 403


def test_valid_message_gets_empty_twiml_and_a_reply(client, db: Session, redis_client) -> None:
    # No engine listens in unit tests: the patient still gets a kind reply, never silence.
    resp = client.post("/channels/sms/inbound", data=inbound(), headers=signed(inbound()))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/xml")
    assert resp.text.endswith("<Response/>")
    rows = outbox(client)
    assert len(rows) == 1
    assert rows[0]["body"].startswith("Sorry, I'm having trouble right now.")


def test_a_retried_webhook_is_handled_once(client, db: Session, redis_client) -> None:
    for _ in range(3):
        resp = client.post("/channels/sms/inbound", data=inbound(sid="SMdup"),
                           headers=signed(inbound(sid="SMdup")))
        assert resp.status_code == 200
    from sqlalchemy import func, select

    from channels.models import InboundSms

    assert db.scalar(select(func.count()).select_from(InboundSms)
                     .where(InboundSms.message_sid == "SMdup")) == 1
    time.sleep(0.3)
    assert len(outbox(client)) == 1


def test_signed_but_incomplete_form_is_400(client, db: Session) -> None:
    params = {"Body": "hi"}
    resp = client.post("/channels/sms/inbound", data=params, headers=signed(params))
    assert resp.status_code == 400


def test_media_only_message_is_answered_without_downloading(client, db: Session) -> None:
    params = {**inbound(body="", sid="SMmedia"), "NumMedia": "1",
              "MediaUrl0": "https://api.twilio.com/media/ME1"}
    resp = client.post("/channels/sms/inbound", data=params, headers=signed(params))
    assert resp.status_code == 200
    assert "can't open pictures" in outbox(client)[0]["body"]


def test_status_callback_is_signed_too(client, db: Session) -> None:
    params = {"MessageSid": "SM9", "MessageStatus": "delivered"}
    url = "https://assistant.example.org/channels/sms/status"
    assert client.post("/channels/sms/status", data=params).status_code == 403
    ok = client.post("/channels/sms/status", data=params, headers=signed(params, url=url))
    assert ok.status_code == 200


def bodies(client, to: str = "+15555550101") -> list[str]:
    return [r["body"] for r in client.get("/dev/outbox", params={"to": to}).json()]


def post(client, body: str, sid: str, frm: str = "+15555550101") -> None:
    params = inbound(body=body, sid=sid, frm=frm)
    assert client.post("/channels/sms/inbound", data=params,
                       headers=signed(params)).status_code == 200


def wait_for(client, count: int, to: str = "+15555550101") -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = bodies(client, to)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return bodies(client, to)


def test_stop_opts_out_everything_until_start(client, seeded: Session) -> None:
    from bot.backoffice.models import Patient
    from channels.delivery import deliver

    post(client, "  stop ", "SMstop1")
    assert wait_for(client, 1)[0].startswith("You're unsubscribed")
    maria = seeded.query(Patient).filter_by(phone="+15555550101").one()
    seeded.refresh(maria)
    assert maria.sms_consent is False
    # Nothing of any kind goes out now: not the bot, not an agent.
    post(client, "how much do I owe", "SMstop2")
    import anyio

    anyio.run(deliver, "sms:+15555550101", "agent here", "agent", "k1")
    time.sleep(0.5)
    assert len(bodies(client)) == 1
    post(client, "Start", "SMstop3")
    assert wait_for(client, 2)[1].startswith("You're subscribed")
    seeded.refresh(maria)
    assert maria.sms_consent is True


def test_every_carrier_stop_word(client, seeded: Session) -> None:
    for index, word in enumerate(["STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE",
                                  "optout"]):
        phone = f"+1555555020{index}"
        post(client, word, f"SMword{index}", frm=phone)
        assert wait_for(client, 1, to=phone)[0].startswith("You're unsubscribed")


def test_help_says_who_we_are_and_how_to_stop(client, seeded: Session) -> None:
    post(client, "HELP", "SMhelp")
    [text] = wait_for(client, 1)
    assert "Reply STOP" in text and "(555) 555-0199" in text and "911" in text


SPANISH_HELP = ("Riverside Health: le ayudo con facturas, citas y recetas. Llame al "
                "(555) 555-0199. En una emergencia llame al 911. Responda PARAR para no "
                "recibir mensajes. Pueden aplicarse tarifas de mensajes y datos.")
SPANISH_STOP = ("Ya no le enviaremos mensajes de Riverside Health. Para volver a recibirlos, "
                "responda START.")
SPANISH_START = ("Vuelve a recibir mensajes de Riverside Health. ¿En qué le puedo ayudar? "
                 "Responda PARAR para dejar de recibirlos.")


def test_ayuda_is_answered_in_spanish_and_help_in_the_patients_language(
        client, seeded: Session) -> None:
    stranger = "+15555550211"
    post(client, "ayuda", "SMayuda", frm=stranger)
    assert wait_for(client, 1, to=stranger) == [SPANISH_HELP]
    post(client, "HELP", "SMhelp-s", frm=stranger)  # nothing on file: English
    assert wait_for(client, 2, to=stranger)[1].startswith("Riverside Health: I can help")
    rosa = "+15555550104"  # prefers Spanish on her record
    post(client, "Help", "SMhelp-rosa", frm=rosa)
    assert wait_for(client, 1, to=rosa) == [SPANISH_HELP]


def test_parar_alto_and_cancelar_stop_messages_and_say_so_in_spanish(
        client, seeded: Session) -> None:
    from bot.backoffice.models import Patient

    for index, word in enumerate(["PARAR", "alto", "Cancelar"]):
        phone = f"+1555555021{index + 2}"
        post(client, word, f"SMparar{index}", frm=phone)
        assert wait_for(client, 1, to=phone) == [SPANISH_STOP]
    # Maria (English on file) says PARAR: she is opted out, told in Spanish as she wrote;
    # START, an English word, is answered in her language.
    post(client, "parar", "SMparar-m")
    assert wait_for(client, 1) == [SPANISH_STOP]
    maria = seeded.query(Patient).filter_by(phone="+15555550101").one()
    seeded.refresh(maria)
    assert maria.sms_consent is False
    post(client, "START", "SMstart-m")
    assert wait_for(client, 2)[1].startswith("You're subscribed")
    # Rosa's STOP and START are answered in Spanish, her language on file.
    rosa = "+15555550104"
    post(client, "STOP", "SMstop-r", frm=rosa)
    post(client, "start", "SMstart-r", frm=rosa)
    assert wait_for(client, 2, to=rosa) == [SPANISH_STOP, SPANISH_START]


def test_help_follows_the_conversations_language_for_a_number_not_on_file(
        client, seeded: Session, redis_client) -> None:
    from bot.conversations import language as lang
    from bot.conversations.service import language_key

    stranger = "+15555550219"
    redis_client.set(language_key(f"sms:{stranger}"), lang.dumps(
        lang.ConversationLanguage("es", None, None)))
    post(client, "HELP", "SMhelp-c", frm=stranger)
    assert wait_for(client, 1, to=stranger) == [SPANISH_HELP]


def test_keyword_answers_stay_in_gsm7_and_few_segments() -> None:
    from channels.formatting import is_gsm7, segments
    from channels.sms import KEYWORD_REPLIES

    said = {(kind, language): text.format(clinic="Riverside Health", phone="(555) 555-0199")
            for kind, texts in KEYWORD_REPLIES.items() for language, text in texts.items()}
    assert all(is_gsm7(text) for text in said.values())
    assert {key: segments(text) for key, text in said.items()} == {
        ("help", "en"): 2, ("help", "es"): 2, ("stop", "en"): 1, ("stop", "es"): 1,
        ("start", "en"): 1, ("start", "es"): 1}


def all_handled(db: Session, phone: str, count: int, seconds: float = 60) -> None:
    """Waits until `count` texts of `phone` are handled (the drainer finished each), so that
    what was sent is final: a deadline far beyond a loaded machine's need, not a guess."""
    from channels.models import InboundSms

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.expire_all()
        handled = db.scalar(select(func.count()).select_from(InboundSms).where(
            InboundSms.from_number == phone, InboundSms.handled_at.is_not(None)))
        if handled == count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{handled} of {count} texts of {phone} handled in {seconds} s")


def test_a_flood_of_texts_is_told_once_then_dropped(client, db: Session) -> None:
    SMS_PER_WINDOW = 20  # the default of SMS_MESSAGES_PER_WINDOW
    for i in range(SMS_PER_WINDOW + 5):
        post(client, "hello", f"SMflood{i}", frm="+15555550177")
    all_handled(db, "+15555550177", SMS_PER_WINDOW + 5)
    found = bodies(client, "+15555550177")
    assert len(found) == SMS_PER_WINDOW + 1
    assert sum("faster than I can answer" in b for b in found) == 1


def test_a_failed_delivery_shows_in_the_desk_transcript(client, seeded: Session) -> None:
    from datetime import UTC, datetime

    from bot.clock import clinic_today
    from bot.conversations import transcript
    from bot.handoff import service as handoffs
    from bot.handoff.schemas import HandoffRequest
    from channels.models import SmsMessage

    handoff, _ = handoffs.request_handoff(
        seeded, HandoffRequest(conversation_id="sms:+15555550101", reason="requested"),
        clinic_today())
    seeded.add(SmsMessage(to_number="+15555550101", from_number="+15555550100", body="hi",
                          status="sent", twilio_sid="SMfail1", idempotency_key="kf",
                          created_at=datetime.now(UTC)))
    seeded.commit()
    params = {"MessageSid": "SMfail1", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    url = "https://assistant.example.org/channels/sms/status"
    assert client.post("/channels/sms/status", data=params,
                       headers=signed(params, url=url)).status_code == 200
    [entry] = transcript.read(seeded, "sms:+15555550101")
    assert entry.role == "system" and "undelivered" in entry.text and "30003" in entry.text
    assert handoff.id


def test_messages_of_one_number_are_handled_in_arrival_order(client, db: Session,
                                                             monkeypatch,
                                                             scripted_conversations) -> None:
    """Concurrent webhooks for one number reach the engine one at a time, in order, even
    when the engine answers the first ones slowly."""
    import random

    import channels.sms as sms

    seen: list[str] = []

    def answer(message: str) -> list[dict[str, object]]:
        time.sleep(random.uniform(0.0, 0.05))
        return [{"text": f"got {message}"}]

    service = scripted_conversations(answer, seen)
    monkeypatch.setattr(sms, "get_conversations", lambda: service)
    arrive_in_order(client, monkeypatch)
    assert seen == [f"message {i}" for i in range(8)]
    assert wait_for(client, 8, to="+15555550188") == [f"got message {i}" for i in range(8)]


def arrive_in_order(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Eight webhooks for one number, concurrent, taken in a known order."""
    import threading

    import channels.sms as sms

    # Arrival order is the order the webhooks were taken in. Each is sent once the one
    # before it has been taken (not after a fixed pause, which a slow machine outruns),
    # while the earlier ones are still being answered.
    arrived: list[str] = []
    enqueue = sms.enqueue_inbound_sms

    async def recording_enqueue(phone, text, *args):  # type: ignore[no-untyped-def]
        kept = await enqueue(phone, text, *args)
        arrived.append(text)
        return kept

    monkeypatch.setattr(sms, "enqueue_inbound_sms", recording_enqueue)
    threads = []
    for i in range(8):
        params = inbound(body=f"message {i}", sid=f"SMorder{i}", frm="+15555550188")
        threads.append(threading.Thread(target=client.post, args=("/channels/sms/inbound",),
                                        kwargs={"data": params, "headers": signed(params)}))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while len(arrived) <= i and time.monotonic() < deadline:
            time.sleep(0.002)
    for thread in threads:
        thread.join()
    wait_for(client, 8, to="+15555550188")


def test_invalid_utf8_in_a_signed_form_is_answered_not_crashed(client, db: Session) -> None:
    body = b"From=%2B15555550101&To=%2B15555550100&Body=%FF%FE%00hi&MessageSid=SMutf&NumMedia=0"
    # Twilio signs the decoded values; whatever the decoding, the answer is never a 5xx.
    resp = client.post("/channels/sms/inbound", content=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "X-Twilio-Signature": "x"})
    assert resp.status_code == 403


def test_a_numbered_reply_is_sent_as_the_choice_and_recorded_with_its_words(
        client, db: Session, monkeypatch, scripted_conversations) -> None:
    import channels.sms as sms
    from bot.conversations import transcript

    sent: list[str] = []

    def answer(message: str) -> list[dict[str, object]]:
        if len(sent) == 1:
            return [{"text": "Which time works?", "buttons": [
                {"title": "Mon, Nov 30 at 9:00 AM", "payload": '/inform{"slot_id":"7"}'},
                {"title": "Tue, Dec 1 at 2:00 PM", "payload": '/inform{"slot_id":"12"}'}]}]
        return [{"text": "Shall I move it?"}]

    service = scripted_conversations(answer, sent)
    monkeypatch.setattr(sms, "get_conversations", lambda: service)
    phone = "+15555550177"
    for number, body in enumerate(["move my appointment", "2"]):
        params = inbound(body=body, sid=f"SMpick{number}", frm=phone)
        client.post("/channels/sms/inbound", data=params, headers=signed(params))
        wait_for(client, number + 1, to=phone)
    assert sent == ["move my appointment", '/inform{"slot_id":"12"}']
    assert [(e.role, e.text) for e in transcript.read(db, f"sms:{phone}")] == [
        ("patient", "move my appointment"),
        ("bot", "Which time works?\nChoices: Mon, Nov 30 at 9:00 AM · Tue, Dec 1 at 2:00 PM"),
        ("patient", '2 ("Tue, Dec 1 at 2:00 PM")'),
        ("bot", "Shall I move it?"),
    ]


def test_numbered_choices_are_asked_for_in_the_conversations_language(
        client, db: Session, monkeypatch, scripted_conversations) -> None:
    """Verified as a patient who prefers Spanish (the action's payload): the choices the same
    reply offers end in Spanish, in GSM-7."""
    import channels.sms as sms

    def answer(message: str) -> list[dict[str, object]]:
        return [{"text": "¿Qué hora le sirve?", "buttons": [
            {"title": "Martes 8, 9:00", "payload": '/inform{"slot_id":"7"}'},
            {"title": "Martes 8, 9:30", "payload": '/inform{"slot_id":"8"}'}]},
            {"custom": {"language_set": "es"}}]

    service = scripted_conversations(answer, [])
    monkeypatch.setattr(sms, "get_conversations", lambda: service)
    phone = "+15555550178"
    post(client, "09/30/1968", "SMes1", frm=phone)
    assert wait_for(client, 1, to=phone) == [
        "¿Qué hora le sirve?\n\n1. Martes 8, 9:00\n2. Martes 8, 9:30\nResponda 1 o 2."]


def test_a_text_longer_than_twilio_delivers_is_answered_kindly_never_passed_on(
        client, db: Session, caplog) -> None:
    """Over 1,600 characters (Twilio's longest): a kind answer, and nothing of it reaches the
    engine or the transcript (cut short, half a sentence could be taken for the whole)."""
    import logging

    from sqlalchemy import select

    from bot.conversations.models import TranscriptEntry
    from channels.sms import SMS_MAX_CHARS

    caplog.set_level(logging.INFO)
    for index, body in enumerate(("a" * (SMS_MAX_CHARS + 1), "\U0001F600 " * 2000)):
        phone = f"+1555555031{index}"
        post(client, body, f"SMlong{index}", frm=phone)
        assert wait_for(client, 1, to=phone) == [
            "Sorry, that message is too long for me to read. Please send it again in shorter "
            "texts, or call us at (555) 555-0199."]
        assert db.scalars(select(TranscriptEntry).where(
            TranscriptEntry.conversation_id == f"sms:{phone}")).all() == []
    long_lines = [r.getMessage() for r in caplog.records if "over 1600" in r.getMessage()]
    assert long_lines == ["inbound SMS of 1601 characters, over 1600: asked for a shorter one",
                          "inbound SMS of 4000 characters, over 1600: asked for a shorter one"]
    # Exactly the limit goes on as usual (here to an engine that is down: its apology).
    post(client, "a" * SMS_MAX_CHARS, "SMlong-max", frm="+15555550319")
    assert wait_for(client, 1, to="+15555550319")[0].startswith("Sorry, I'm having trouble")


def _waiting_text(db: Session, sid: str, body: str, frm: str, claimed_ago: float | None
                  ) -> int:
    """A stored text, a while old, claimed `claimed_ago` seconds ago (None: never)."""
    from datetime import UTC, datetime, timedelta

    from channels.models import InboundSms

    now = datetime.now(UTC)
    row = InboundSms(message_sid=sid, from_number=frm, body=body, num_media=0,
                     received_at=now - timedelta(seconds=30),
                     claimed_at=None if claimed_ago is None
                     else now - timedelta(seconds=claimed_ago))
    db.add(row)
    db.commit()
    return row.id


async def test_a_claim_is_a_lease_renewed_while_held_and_taken_over_once_it_lapses(
        db: Session, monkeypatch) -> None:
    import asyncio

    import channels.sms as sms
    from bot.db import in_session

    monkeypatch.setattr(sms, "CLAIM_LEASE_SECONDS", 0.3)
    _waiting_text(db, "SMlease", "thanks", "+15555550177", claimed_ago=None)
    first = await in_session(sms.claim_next_inbound, "+15555550177")
    assert first is not None and not first.taken_over
    async with sms.held_claim(first):
        await asyncio.sleep(1.0)  # three leases long: renewed, so no one else takes it
        assert await in_session(sms.claim_next_inbound, "+15555550177") is None
        assert await in_session(sms.waiting_numbers, 0) == []
    # Its worker died (nothing renews it): a lease later it is taken, as maybe sent.
    await asyncio.sleep(0.4)
    assert await in_session(sms.waiting_numbers, 0) == ["+15555550177"]
    second = await in_session(sms.claim_next_inbound, "+15555550177")
    assert second is not None and second.taken_over and second.id == first.id
    # The first holder, back from a stall, cannot renew what it lost.
    assert not await in_session(sms.renew_claim, first.id, first.held, first.held)


def _engine_with_tracker(events: list[dict[str, object]], posted: list[str]):  # type: ignore[no-untyped-def]
    """An engine whose tracker holds `events`; messages posted to it are recorded."""
    import json

    import httpx

    def engine(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"events": events})
        posted.append(json.loads(request.content)["metadata"]["message_id"])
        return httpx.Response(200, json=[{"text": "You're welcome!"}])

    return engine


async def test_a_text_reaches_the_engine_under_an_id_made_from_its_message_sid(
        client, db: Session, monkeypatch) -> None:
    import channels.sms as sms
    from tests.support.engine import conversation_service
    from tests.support.engine_server import engine_server

    posted: list[str] = []
    with engine_server(_engine_with_tracker([], posted)) as url:
        monkeypatch.setattr(sms, "get_conversations", lambda: conversation_service(url))
        params = inbound(body="thanks", sid="SMthanks1", frm="+15555550176")
        client.post("/channels/sms/inbound", data=params, headers=signed(params))
        assert [r["body"] for r in outbox(client, to="+15555550176")] == ["You're welcome!"]
    assert posted == [sms.sms_message_id("SMthanks1")]
    assert sms.sms_message_id("SMthanks1") != sms.sms_message_id("SMthanks2")


async def test_a_text_whose_worker_died_after_the_engine_took_it_is_not_handled_again(
        db: Session, redis_client, monkeypatch) -> None:
    """The engine's tracker holds the text (the dead worker's turn): the retry answers from
    it, sends the reply once, and the engine never processes the text a second time."""
    import channels.sms as sms
    from bot.settings import get_settings
    from channels.models import SmsMessage
    from tests.support.engine import conversation_service
    from tests.support.engine_server import engine_server

    taken = sms.sms_message_id("SMdied")
    tracker = [{"event": "user", "text": "thanks", "metadata": {"message_id": taken}},
               {"event": "bot", "text": "You're welcome!", "data": {}}]
    posted: list[str] = []
    with engine_server(_engine_with_tracker(tracker, posted)) as url:
        monkeypatch.setattr(sms, "get_conversations", lambda: conversation_service(url))
        _waiting_text(db, "SMdied", "thanks", "+15555550175", claimed_ago=60)
        _waiting_text(db, "SMnever", "hello", "+15555550174", claimed_ago=None)
        assert await sms.retry_waiting_inbound(get_settings()) == 2
    assert posted == [sms.sms_message_id("SMnever")]  # only the text never tried
    from sqlalchemy import select

    sent = db.execute(select(SmsMessage.to_number, SmsMessage.body)
                      .order_by(SmsMessage.to_number)).tuples().all()
    assert sent == [("+15555550174", "You're welcome!"), ("+15555550175", "You're welcome!")]
