import html
import json
import re

from sqlalchemy.orm import Session

from bot.conversations.service import CHOICES_TTL_SECONDS

GREETING = [{"title": "Bills", "payload": "/billing_balance"},
            {"title": "Appointments", "payload": "/appointment_check"},
            {"title": "Refills", "payload": "/refill_request"},
            {"title": "Talk to a person", "payload": "/human_handoff"}]
SALUDO = [{"title": "Facturas", "payload": "/billing_balance"},
          {"title": "Citas", "payload": "/appointment_check"},
          {"title": "Resurtidos", "payload": "/refill_request"},
          {"title": "Hablar con una persona", "payload": "/human_handoff"}]


def start(client) -> dict[str, str]:
    resp = client.post("/channels/web/sessions")
    assert resp.status_code == 200
    return resp.json()


def test_a_session_has_an_id_and_a_token(client, db: Session) -> None:
    first, second = start(client), start(client)
    assert first["session_id"] != second["session_id"]
    assert len(first["token"]) >= 32


def test_messages_need_the_session_token(client, db: Session) -> None:
    assert client.post("/channels/web/messages", json={"text": "hi"}).status_code == 401
    bad = {"Authorization": "Bearer not-a-token"}
    resp = client.post("/channels/web/messages", json={"text": "hi"}, headers=bad)
    assert resp.status_code == 401


def test_engine_down_gets_an_apology_and_history_is_kept(client, db: Session) -> None:
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    resp = client.post("/channels/web/messages", json={"text": "hi"}, headers=auth)
    assert resp.status_code == 200
    assert resp.json()["messages"][0]["text"].startswith("Sorry, I'm having trouble")
    history = client.get("/channels/web/history", headers=auth).json()
    assert [h["role"] for h in history["messages"]] == ["patient", "bot"]
    assert history["state"] == "bot"


def test_one_session_cannot_read_another(client, db: Session) -> None:
    mine, theirs = start(client), start(client)
    client.post("/channels/web/messages", json={"text": "my secret question"},
                headers={"Authorization": f"Bearer {theirs['token']}"})
    history = client.get("/channels/web/history",
                         headers={"Authorization": f"Bearer {mine['token']}"}).json()
    # Nothing of theirs; only the greeting's starting choices, still open.
    assert history == {"messages": [], "state": "bot", "agent": None, "buttons": GREETING}


def test_empty_and_oversized_messages_are_4xx(client, db: Session) -> None:
    auth = {"Authorization": f"Bearer {start(client)['token']}"}
    assert client.post("/channels/web/messages", json={"text": ""}, headers=auth).status_code == 422
    assert client.post("/channels/web/messages", json={"text": "   "},
                       headers=auth).status_code == 422
    assert client.post("/channels/web/messages", json={"text": "x" * 5000},
                       headers=auth).status_code == 422


def test_chat_page_is_served(client, db: Session) -> None:
    page = client.get("/chat")
    assert page.status_code == 200
    assert 'role="log"' in page.text and '<label for="text"' in page.text


def test_websocket_needs_a_valid_token(client, db: Session) -> None:
    with client.websocket_connect("/channels/web/ws") as ws:
        ws.send_json({"token": "wrong"})
        assert ws.receive_json() == {"type": "error", "detail": "session expired"}


def test_websocket_conversation(client, db: Session) -> None:
    session = start(client)
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_json({"text": "hello"})
        assert ws.receive_json() == {"type": "typing"}
        reply = ws.receive_json()
        assert reply["type"] == "messages"
        assert reply["messages"][0]["text"].startswith("Sorry, I'm having trouble")


def test_websocket_frames_have_the_body_limits(client, db: Session, caplog) -> None:
    """The probe's frame (a lone surrogate in 2,000 levels of nesting), an oversized frame
    and a surrogate: an error frame and one log line each, the socket still open."""
    import logging

    from channels.web import INVALID

    probe = "[" * 2000 + '"\\ud800"' + "]" * 2000
    session = start(client)
    with client.websocket_connect("/channels/web/ws") as ws:
        ws.send_text(probe)  # where the token frame is expected
        assert ws.receive_json() == {"type": "error", "detail": "session expired"}
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        for frame in (probe, '{"text": "hi \\udc00"}', '{"text": "' + "a" * 70_000 + '"}'):
            ws.send_text(frame)
            assert ws.receive_json() == {"type": "error", "detail": INVALID}
        ws.send_json({"text": "hello"})
        assert ws.receive_json() == {"type": "typing"}
    refused = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
               and r.name == "channels.web"]
    assert refused == ["refused a web chat socket frame: JSON nested deeper than 32 levels"] * 2 \
        + ["refused a web chat socket frame: a lone surrogate in the JSON"]
    assert "Traceback" not in caplog.text


def test_invalid_utf8_and_odd_bodies_are_4xx(client, db: Session) -> None:
    auth = {"Authorization": f"Bearer {start(client)['token']}",
            "Content-Type": "application/json"}
    for raw in (b'{"text": "\xff\xfe bad"}', b"not json", b"", b'{"txt": "hi"}', b"[1,2]"):
        resp = client.post("/channels/web/messages", content=raw, headers=auth)
        assert 400 <= resp.status_code < 500, (raw, resp.status_code)


def test_a_tapped_choice_shows_by_its_title(client, db: Session,
                                            scripted_conversations) -> None:
    """The button's payload goes to the engine; the chat history and the desk show the words
    the patient saw on the button, never `/affirm`."""
    import channels.web as web

    sent: list[str] = []

    def answer(message: str) -> list[dict[str, object]]:
        if len(sent) == 1:
            return [{"text": "Shall I send it?", "buttons": [
                {"title": "Yes, send it", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"}]}]
        return [{"text": "Done."}]

    service = scripted_conversations(answer, sent)
    client.app.dependency_overrides[web.conversations] = lambda: service
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    for text in ("refill my lisinopril", "/affirm", "/affirm"):
        assert client.post("/channels/web/messages", json={"text": text},
                           headers=auth).status_code == 200
    client.app.dependency_overrides.pop(web.conversations)
    assert sent == ["refill my lisinopril", "/affirm", "/affirm"]
    history = client.get("/channels/web/history", headers=auth).json()["messages"]
    # The second "/affirm" was not offered by the last reply: it is shown as typed.
    assert [h["text"] for h in history if h["role"] == "patient"] == [
        "refill my lisinopril", "Yes, send it", "/affirm"]


def counting_engine(client, monkeypatch, scripted_conversations,  # type: ignore[no-untyped-def]
                    sent: list[str]) -> None:
    """The app's conversation service, REST and socket, with a scripted engine that answers
    "got <text>"."""
    import channels.web as web

    service = scripted_conversations(lambda message: [{"text": f"got {message}"}], sent)
    client.app.dependency_overrides[web.conversations] = lambda: service
    monkeypatch.setattr(web, "get_conversations", lambda: service)


def test_a_message_sent_twice_with_its_client_id_is_one_turn(client, db: Session,
                                                             monkeypatch,
                                                             scripted_conversations) -> None:
    """The page re-sends a message over REST when the socket timed out: the engine sees it
    once, and the re-send gets the first one's answer."""
    sent: list[str] = []
    counting_engine(client, monkeypatch, scripted_conversations, sent)
    auth = {"Authorization": f"Bearer {start(client)['token']}"}
    body = {"text": "what do I owe", "client_id": "c0ffee-0001"}
    first = client.post("/channels/web/messages", json=body, headers=auth)
    again = client.post("/channels/web/messages", json=body, headers=auth)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"messages": [{"text": "got what do I owe",
                                                         "buttons": []}],
                                            "state": "bot", "agent": None}
    assert sent == ["what do I owe"]
    history = client.get("/channels/web/history", headers=auth).json()["messages"]
    assert [h["role"] for h in history] == ["patient", "bot"]
    # Another id, or none (a page from before client ids), is another message.
    client.post("/channels/web/messages", json={**body, "client_id": "c0ffee-0002"},
                headers=auth)
    client.post("/channels/web/messages", json={"text": "what do I owe"}, headers=auth)
    client.post("/channels/web/messages", json={"text": "what do I owe"}, headers=auth)
    assert len(sent) == 4


def test_a_socket_message_resent_over_rest_is_answered_once(client, db: Session,
                                                            monkeypatch,
                                                            scripted_conversations) -> None:
    sent: list[str] = []
    counting_engine(client, monkeypatch, scripted_conversations, sent)
    session = start(client)
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_json({"text": "refill please", "client_id": "page-msg-17"})
        assert ws.receive_json() == {"type": "typing"}
        over_socket = ws.receive_json()
    assert over_socket["client_id"] == "page-msg-17"
    assert over_socket["messages"] == [{"text": "got refill please", "buttons": []}]
    over_rest = client.post("/channels/web/messages",
                            json={"text": "refill please", "client_id": "page-msg-17"},
                            headers={"Authorization": f"Bearer {session['token']}"})
    assert over_rest.json()["messages"] == over_socket["messages"]
    assert sent == ["refill please"]


def test_a_message_whose_turn_failed_after_the_engine_took_it_is_not_processed_again(
        client, db: Session, monkeypatch) -> None:
    """The worker running a message failed once the engine had answered it (as a crash
    would): the page's re-send, same client id, gets the engine's stored answer; the engine
    processed the message once, under one id."""
    import json

    import httpx
    import pytest

    import channels.web as web
    from tests.support.engine import conversation_service
    from tests.support.engine_server import engine_server

    tracker: list[dict[str, object]] = []
    posted: list[str] = []

    def engine(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"events": tracker})
        body = json.loads(request.content)
        posted.append(body["metadata"]["message_id"])
        tracker.extend([{"event": "user", "text": body["message"], "metadata": body["metadata"]},
                        {"event": "bot", "text": f"got {body['message']} ({len(posted)})"}])
        return httpx.Response(200, json=[{"text": tracker[-1]["text"]}])

    with engine_server(engine) as url:
        service = conversation_service(url)
        client.app.dependency_overrides[web.conversations] = lambda: service
        answer_first = service.answer_first
        crashes = [RuntimeError("worker lost")]

        async def crashing_after_the_engine(*args, **kwargs):  # type: ignore[no-untyped-def]
            answered = await answer_first(*args, **kwargs)
            if crashes:
                await answered.finish()  # lets the conversation's next message in
                raise crashes.pop()
            return answered

        monkeypatch.setattr(service, "answer_first", crashing_after_the_engine)
        auth = {"Authorization": f"Bearer {start(client)['token']}"}
        body = {"text": "60614", "client_id": "page-msg-0042"}
        with pytest.raises(RuntimeError):
            client.post("/channels/web/messages", json=body, headers=auth)
        again = client.post("/channels/web/messages", json=body, headers=auth)
    assert again.status_code == 200
    assert again.json()["messages"] == [{"text": "got 60614 (1)", "buttons": []}]
    assert len(posted) == 1


def test_client_ids_are_short_and_plain(client, db: Session) -> None:
    auth = {"Authorization": f"Bearer {start(client)['token']}"}
    for bad in ("short", "x" * 65, "has space in it", "semi;colon!"):
        resp = client.post("/channels/web/messages", json={"text": "hi", "client_id": bad},
                           headers=auth)
        assert resp.status_code == 422, bad


async def test_a_resend_waits_for_the_first_answer_then_gets_it(redis_client) -> None:
    import asyncio

    import redis.asyncio as aioredis

    from channels.web import Finish, WebReply, once
    from tests.conftest import TEST_REDIS_URL

    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    runs: list[int] = []
    finished: list[int] = []

    async def finish() -> None:
        finished.append(1)

    async def slow_answer(taken_over: bool) -> tuple[WebReply, Finish]:
        assert not taken_over
        runs.append(1)
        await asyncio.sleep(0.5)
        reply = WebReply(messages=[{"text": "your balance is ..."}])  # type: ignore[list-item]
        return reply, finish

    async def arrive() -> WebReply:
        reply, rest = await once(redis, "web:message:s:id1", slow_answer)
        await rest()  # as the channel does once the reply is sent
        return reply

    first, second = await asyncio.gather(arrive(), arrive())
    # One turn; the repeat got its reply once the first had sent and kept it; only the
    # arrival that ran the turn had the rest of it to do.
    assert runs == [1] and first == second and finished == [1]
    await redis.aclose()


async def test_a_resend_that_waited_too_long_is_409_and_a_failed_first_is_taken_over(
        redis_client, monkeypatch) -> None:
    import asyncio

    import pytest
    import redis.asyncio as aioredis

    import channels.web as web
    from tests.conftest import TEST_REDIS_URL

    monkeypatch.setattr(web, "DUPLICATE_WAIT_SECONDS", 0.2)
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    gate = asyncio.Event()
    calls: list[bool] = []

    async def stuck(taken_over: bool) -> tuple[web.WebReply, web.Finish]:
        calls.append(taken_over)
        await gate.wait()
        return web.WebReply(messages=[]), web.nothing_left

    first = asyncio.create_task(web.once(redis, "web:message:s:id2", stuck))
    await asyncio.sleep(0.05)
    with pytest.raises(web.MessageRefused) as refused:
        await web.once(redis, "web:message:s:id2", stuck)
    assert refused.value.status == 409
    gate.set()
    await first
    assert calls == [False]

    async def broken(taken_over: bool) -> tuple[web.WebReply, web.Finish]:
        calls.append(taken_over)
        raise RuntimeError("engine exploded")

    with pytest.raises(RuntimeError):
        await web.once(redis, "web:message:s:id3", broken)
    # The failed turn may have reached the engine: the re-send is answered at once, by a turn
    # told to ask the engine first.
    reply, _ = await web.once(redis, "web:message:s:id3", stuck)
    assert calls == [False, False, True] and reply == web.WebReply(messages=[])
    await redis.aclose()


async def test_a_message_whose_worker_died_is_taken_over_once_its_lease_ends(
        redis_client, monkeypatch) -> None:
    """A turn whose lease is renewed is waited for however long it runs; one whose worker
    died (nothing renews its lease) is taken over within MESSAGE_LEASE_SECONDS, not left to
    the patient's re-sends until the id is forgotten."""
    import asyncio
    import time

    import redis.asyncio as aioredis

    import channels.web as web
    from tests.conftest import TEST_REDIS_URL

    monkeypatch.setattr(web, "MESSAGE_LEASE_SECONDS", 0.3)
    redis = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    calls: list[bool] = []

    async def slow(taken_over: bool) -> tuple[web.WebReply, web.Finish]:
        calls.append(taken_over)
        await asyncio.sleep(1.0)  # three leases long
        return web.WebReply(messages=[{"text": "slow"}]), web.nothing_left  # type: ignore[list-item]

    async def arrive(answer):  # type: ignore[no-untyped-def]
        reply, rest = await web.once(redis, "web:message:s:id4", answer)
        await rest()
        return reply

    first = asyncio.create_task(arrive(slow))
    await asyncio.sleep(0.05)
    assert await arrive(slow) == await first  # waited for, not taken over
    assert calls == [False]

    # A worker that claimed the id and died: its lease is never renewed.
    await redis.set("web:message:s:id5", f"pending:{time.time() + 0.3}", ex=60)

    async def quick(taken_over: bool) -> tuple[web.WebReply, web.Finish]:
        calls.append(taken_over)
        return web.WebReply(messages=[]), web.nothing_left

    started = time.monotonic()
    reply, _ = await web.once(redis, "web:message:s:id5", quick)
    assert calls == [False, True] and 0.2 < time.monotonic() - started < 2
    await redis.aclose()


def test_a_binary_frame_is_bad_input_and_the_socket_stays_open(client, db: Session) -> None:
    session = start(client)
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_bytes(b"\x00\x01binary")
        assert ws.receive_json() == {"type": "error", "detail": "Please type a message."}
        ws.send_json({"text": "hello"})
        assert ws.receive_json() == {"type": "typing"}
        assert ws.receive_json()["type"] == "messages"
    # A binary first frame (where the token may come) is a bad token, not a crash.
    with client.websocket_connect("/channels/web/ws") as ws:
        ws.send_bytes(b"\x00")
        assert ws.receive_json() == {"type": "error", "detail": "session expired"}


def test_both_transports_apply_the_same_limits(client, db: Session, redis_client) -> None:
    """Per session and per IP, over REST and over the socket alike."""
    from bot.settings import get_settings

    settings = get_settings()
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    # This client's address has used its minute.
    redis_client.set("rate:web-ip:testclient", settings.web_messages_per_ip_per_minute)
    rest = client.post("/channels/web/messages", json={"text": "hi"}, headers=auth)
    assert rest.status_code == 429 and "faster than I can answer" in rest.json()["detail"]
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_json({"text": "hi", "client_id": "limited-01"})
        assert ws.receive_json() == {"type": "error", "client_id": "limited-01",
                                     "detail": "You're sending messages faster than I can "
                                               "answer. Please wait a minute."}
    redis_client.delete("rate:web-ip:testclient")
    # And this session has used its minute.
    from channels.web import message_limits

    [(per_session, _), _] = message_limits(session["token"], "testclient")
    redis_client.set(f"rate:{per_session}", settings.web_messages_per_session_per_minute)
    assert client.post("/channels/web/messages", json={"text": "hi"},
                       headers=auth).status_code == 429
    with client.websocket_connect(f"/channels/web/ws?token={session['token']}") as ws:
        assert ws.receive_json() == {"type": "ready"}
        ws.send_json({"text": "hi"})
        assert ws.receive_json()["detail"].startswith("You're sending messages faster")


def test_a_chat_page_in_spanish_starts_a_spanish_conversation(client, db: Session,
                                                              redis_client) -> None:
    from bot.conversations import language as lang
    from bot.conversations.service import language_key

    def language(session_id: str) -> str:
        return lang.loads(redis_client.get(language_key(f"web:{session_id}"))).language

    spanish = client.post("/channels/web/sessions?lang=es").json()
    english = client.post("/channels/web/sessions?lang=en").json()
    plain = start(client)
    assert [language(s["session_id"]) for s in (spanish, english, plain)] == [
        "es", "en", "en"]
    # A language the assistant does not speak is the default; a malformed one is refused.
    other = client.post("/channels/web/sessions?lang=fr").json()
    assert language(other["session_id"]) == "en"
    assert client.post("/channels/web/sessions?lang=spanish").status_code == 422


def test_after_a_reload_the_open_choices_are_buttons_again(client, db: Session,
                                                           scripted_conversations) -> None:
    import channels.web as web

    sent: list[str] = []
    offered = [{"title": "Yes, cancel it", "payload": "/affirm"},
               {"title": "Keep it", "payload": "/deny"}]
    service = scripted_conversations(
        lambda message: [{"text": "Cancel your visit on Tue?", "buttons": offered}], sent)
    client.app.dependency_overrides[web.conversations] = lambda: service
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    assert client.post("/channels/web/messages", json={"text": "cancel my appointment"},
                       headers=auth).status_code == 200
    history = client.get("/channels/web/history", headers=auth).json()
    client.app.dependency_overrides.pop(web.conversations)
    assert [(h["role"], h["text"]) for h in history["messages"]] == [
        ("patient", "cancel my appointment"), ("bot", "Cancel your visit on Tue?")]
    assert history["buttons"] == offered


def test_the_greeting_offers_bills_appointments_refills_and_a_person(client, db: Session) -> None:
    page = client.get("/chat").text
    found = re.search(r'<div id="choices"[^>]* data-greeting="([^"]*)"', page)
    assert found is not None
    assert json.loads(html.unescape(found[1])) == {"en": GREETING, "es": SALUDO}


def test_the_page_links_only_to_our_own_public_address(client, db: Session) -> None:
    from channels.web import link_origins

    page = client.get("/chat").text
    found = re.search(r'<main id="log"[^>]* data-link-origins="([^"]*)"', page)
    assert found is not None
    assert json.loads(html.unescape(found[1])) == ["https://assistant.example.org"]
    assert link_origins("https://chat.example-health.org/base/") == [
        "https://chat.example-health.org"]
    assert link_origins("") == []


def test_a_greeting_choice_goes_into_its_flow_recorded_by_its_title(
        client, db: Session, redis_client, scripted_conversations) -> None:
    import channels.web as web

    sent: list[str] = []
    service = scripted_conversations(
        lambda message: [{"text": "What's your first and last name?"}], sent)
    client.app.dependency_overrides[web.conversations] = lambda: service
    try:
        session = client.post("/channels/web/sessions?lang=es").json()
        offered = json.loads(redis_client.get(f"choices:web:{session['session_id']}"))
        assert offered == SALUDO
        assert 0 < redis_client.ttl(f"choices:web:{session['session_id']}") <= (
            CHOICES_TTL_SECONDS)
        auth = {"Authorization": f"Bearer {session['token']}"}
        assert client.post("/channels/web/messages", json={"text": "/billing_balance"},
                           headers=auth).status_code == 200
        history = client.get("/channels/web/history", headers=auth).json()
    finally:
        client.app.dependency_overrides.pop(web.conversations)
    assert sent == ["/billing_balance"]
    assert [(h["role"], h["text"]) for h in history["messages"]] == [
        ("patient", "Facturas"), ("bot", "What's your first and last name?")]


def test_ending_a_chat_ends_its_session_at_once(client, db: Session, redis_client) -> None:
    session = start(client)
    auth = {"Authorization": f"Bearer {session['token']}"}
    assert client.get("/channels/web/history", headers=auth).status_code == 200
    ended = client.post("/channels/web/end", headers=auth)
    assert ended.status_code == 204 and "set-cookie" not in ended.headers
    # The token reads and continues nothing any more; its open choices are gone.
    assert client.get("/channels/web/history", headers=auth).status_code == 401
    assert client.post("/channels/web/messages", json={"text": "hi"},
                       headers=auth).status_code == 401
    assert redis_client.get(f"choices:web:{session['session_id']}") is None
    # Ending it again, or with no token, is no error.
    assert client.post("/channels/web/end", headers=auth).status_code == 204
    assert client.post("/channels/web/end").status_code == 204


def test_ending_an_embedded_chat_drops_its_cookie(client, db: Session) -> None:
    tab = "c3" * 16
    ended = client.post(f"/channels/web/end?tab={tab}")
    assert ended.status_code == 204
    assert ended.headers["set-cookie"] == (f"__Host-pa-chat-{tab}=; Path=/; Max-Age=0; Secure; "
                                           "HttpOnly; SameSite=None; Partitioned")
