"""Redis or the database away: an inbound text is kept and handled once they are
back, never twice; web chat gets a quick 503 with words the page shows; nothing waits 5 s.

A private real Redis is paused with SIGSTOP (the kernel still accepts connections, nothing
answers: a hung Redis). The engine is not running in unit tests, so a handled text is
answered with the apology: what matters here is that it is answered, once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from channels.models import InboundSms
from tests.channels.test_sms import inbound, signed
from tests.conftest import clear_caches
from tests.support.redis_server import PrivateRedis, private_redis


@pytest.fixture
def own_redis(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateRedis]:
    with private_redis() as server:
        monkeypatch.setenv("REDIS_URL", server.url)
        clear_caches()
        yield server


@pytest.fixture
def client(own_redis: PrivateRedis, db: Session) -> Iterator[TestClient]:
    from bot.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def hang() -> Iterator[threading.Event]:
    """A database call that hangs until the test is over (8 s at most): the 503 must come
    while it hangs; then it returns, and teardown does not wait out the 8 s for nothing."""
    over = threading.Event()
    yield over
    over.set()


def outbox(client: TestClient, to: str) -> list[str]:
    return [r["body"] for r in client.get("/dev/outbox", params={"to": to}).json()]


def kept(db: Session, sid: str) -> InboundSms:
    db.expire_all()
    return db.scalars(select(InboundSms).where(InboundSms.message_sid == sid)).one()


def test_a_text_that_arrives_while_redis_hangs_is_answered_once_it_is_back(
        client: TestClient, own_redis: PrivateRedis, db: Session) -> None:
    phone = "+15555550161"
    params = inbound(body="hello", sid="SMpaused", frm=phone)
    with own_redis.paused():
        resp = client.post("/channels/sms/inbound", data=params, headers=signed(params))
        assert resp.status_code == 200 and resp.text.endswith("<Response/>")
        # Twilio's retry of the same webhook while Redis is still away: taken once.
        assert client.post("/channels/sms/inbound", data=params,
                           headers=signed(params)).status_code == 200
        assert kept(db, "SMpaused").handled_at is None
        assert kept(db, "SMpaused").body == "hello"
        time.sleep(1.5)
        assert outbox(client, phone) == []
    resumed = time.monotonic()
    while not outbox(client, phone) and time.monotonic() - resumed < 10:
        time.sleep(0.1)
    assert len(outbox(client, phone)) == 1, "not answered within 10 s of Redis coming back"
    time.sleep(2.5)  # another pass of the retry loop: nothing more
    assert client.post("/channels/sms/inbound", data=params,
                       headers=signed(params)).status_code == 200
    time.sleep(0.5)
    assert len(outbox(client, phone)) == 1
    row = kept(db, "SMpaused")
    assert row.handled_at is not None and row.body == ""


def test_web_chat_answers_503_quickly_while_redis_hangs_then_takes_the_same_message(
        client: TestClient, own_redis: PrivateRedis) -> None:
    token = client.post("/channels/web/sessions").json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    message = {"text": "hello", "client_id": "clientid-paused-1"}
    with own_redis.paused():
        started = time.monotonic()
        resp = client.post("/channels/web/messages", json=message, headers=auth)
        took = time.monotonic() - started
        assert resp.status_code == 503
        assert resp.json()["detail"].startswith("Sorry, I'm having a brief technical problem.")
        assert resp.headers["Retry-After"] == "3"
        assert took < 3.0, f"503 after {took:.1f}s"
        started = time.monotonic()
        assert client.post("/channels/web/sessions").status_code == 503
        assert client.get("/channels/web/events", params={"token": token}).status_code == 503
        assert time.monotonic() - started < 4.0
    # The page sends the same message again: taken now, answered once.
    resp = client.post("/channels/web/messages", json=message, headers=auth)
    assert resp.status_code == 200
    assert [m["text"] for m in resp.json()["messages"]] == [
        "Sorry, I'm having trouble right now. Please try again in a few minutes, or call us at "
        "(555) 555-0199."]


def test_the_chat_socket_says_to_retry_while_redis_hangs(
        client: TestClient, own_redis: PrivateRedis) -> None:
    token = client.post("/channels/web/sessions").json()["token"]
    with client.websocket_connect(f"/channels/web/ws?token={token}") as socket:
        assert socket.receive_json() == {"type": "ready"}
        with own_redis.paused():
            socket.send_json({"text": "hello", "client_id": "clientid-socket-1"})
            assert socket.receive_json() == {
                "type": "error", "retry": True, "client_id": "clientid-socket-1",
                "detail": "Sorry, I'm having a brief technical problem. I'll keep trying to "
                          "send your message."}


def test_a_hanging_database_gets_twilio_a_fast_503(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, hang: threading.Event) -> None:
    import channels.sms as sms

    def hangs(*args: object) -> bool:
        hang.wait(8)
        return True

    monkeypatch.setattr(sms, "store_inbound", hangs)
    params = inbound(body="hello", sid="SMdbhang", frm="+15555550162")
    started = time.monotonic()
    resp = client.post("/channels/sms/inbound", data=params, headers=signed(params))
    took = time.monotonic() - started
    assert resp.status_code == 503  # Twilio's fallback URL answers the patient
    assert 2.5 < took < 5.0, f"503 after {took:.1f}s"


def test_a_database_that_refuses_gets_503_for_sms_and_web(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.db
    from bot.conversations.deps import get_conversations

    token = client.post("/channels/web/sessions").json()["token"]
    dead = sessionmaker(bind=create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none"))

    def dead_sessions() -> sessionmaker[Session]:
        return dead

    dead_sessions.cache_clear = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setattr(bot.db, "get_sessionmaker", dead_sessions)
    monkeypatch.setattr(get_conversations(), "sessions", dead)
    params = inbound(body="hello", sid="SMdbdown", frm="+15555550163")
    started = time.monotonic()
    assert client.post("/channels/sms/inbound", data=params,
                       headers=signed(params)).status_code == 503
    resp = client.post("/channels/web/messages", json={"text": "hello"},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 503
    assert resp.json()["detail"].startswith("Sorry, I'm having a brief technical problem.")
    assert time.monotonic() - started < 5.0


def test_handled_texts_are_forgotten_after_the_dedupe_window(db: Session) -> None:
    from datetime import UTC, datetime, timedelta

    from channels.sms import forget_handled_inbound

    now = datetime.now(UTC)
    db.add_all([
        InboundSms(message_sid="SMold", from_number="+15555550170", body="", num_media=0,
                   received_at=now - timedelta(days=2), handled_at=now - timedelta(days=2)),
        InboundSms(message_sid="SMrecent", from_number="+15555550170", body="", num_media=0,
                   received_at=now, handled_at=now),
        InboundSms(message_sid="SMwaiting", from_number="+15555550170", body="hi", num_media=0,
                   received_at=now - timedelta(days=2)),
    ])
    db.commit()
    assert forget_handled_inbound(db, 24 * 3600) == 1
    db.expire_all()
    assert sorted(db.scalars(select(InboundSms.message_sid))) == ["SMrecent", "SMwaiting"]


def test_a_hanging_database_gets_web_chat_a_fast_503(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, hang: threading.Event) -> None:
    from bot.handoff import service as handoffs

    token = client.post("/channels/web/sessions").json()["token"]
    real_lookup = handoffs.holding_handoff_id

    def hangs(session: Session, conversation_id: str) -> None:
        hang.wait(8)

    # The turn's first query (is a person holding the conversation?) hangs.
    monkeypatch.setattr(handoffs, "holding_handoff_id", hangs)
    message = {"text": "hello", "client_id": "hang-0001"}
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    resp = client.post("/channels/web/messages", json=message, headers=headers)
    took = time.monotonic() - started
    assert resp.status_code == 503
    assert resp.json()["detail"].startswith("Sorry, I'm having a brief technical problem.")
    assert 2.5 < took < 5.0, f"503 after {took:.1f}s"
    # The page sends the same message again once the database is back: it is answered (the
    # engine is not running here: with the apology), not refused as a duplicate.
    monkeypatch.setattr(handoffs, "holding_handoff_id", real_lookup)
    hang.set()
    again = client.post("/channels/web/messages", json=message, headers=headers)
    assert again.status_code == 200
    assert again.json()["messages"][0]["text"].startswith("Sorry")
