from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import get_sessionmaker
from bot.settings import get_settings
from channels.models import SmsMessage
from channels.sms_sender import OutboxSender, TwilioSender, make_sender, record_delivery_status
from tests.support.twilio_standin import running_standin


async def test_twilio_sender_uses_the_real_client_against_the_standin(
    db: Session, monkeypatch
) -> None:
    with running_standin() as standin:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("TWILIO_API_BASE_URL", standin.base_url)
        get_settings.cache_clear()
        sender = make_sender(get_settings(), get_sessionmaker())
        assert isinstance(sender, TwilioSender)
        await sender.send("+15555550101", "Your balance is $125.40.", "key-1")
        await sender.send("+15555550101", "Your balance is $125.40.", "key-1")  # a retry
    assert len(standin.messages) == 1
    sent = standin.messages[0]
    assert (sent["to"], sent["from"], sent["body"]) == (
        "+15555550101", "+15555550100", "Your balance is $125.40.")
    assert sent["status_callback"] == "https://assistant.example.org/channels/sms/status"
    assert sent["authorization"].startswith("Basic ")
    row = db.scalars(select(SmsMessage)).one()
    assert (row.twilio_sid, row.status) == (sent["sid"], "queued")
    record_delivery_status(db, sent["sid"], "delivered")
    db.expire_all()
    assert db.scalars(select(SmsMessage.status)).one() == "delivered"


async def test_outbox_sender_keeps_messages_once(db: Session) -> None:
    sender = make_sender(get_settings(), get_sessionmaker())
    assert isinstance(sender, OutboxSender)
    await sender.send("+15555550101", "hello", "k")
    await sender.send("+15555550101", "hello", "k")
    assert db.scalars(select(SmsMessage.body)).all() == ["hello"]


async def test_twilio_429_and_5xx_are_retried_4xx_is_not(db: Session, monkeypatch) -> None:
    import channels.sms_sender as sms_sender

    monkeypatch.setattr(sms_sender, "BACKOFF_SECONDS", 0.01)
    with running_standin() as standin:
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
        monkeypatch.setenv("TWILIO_API_BASE_URL", standin.base_url)
        get_settings.cache_clear()
        sender = make_sender(get_settings(), get_sessionmaker())
        standin.fail_next.extend([429, 503])
        await sender.send("+15555550101", "retried", "key-r")
        assert [m["body"] for m in standin.messages] == ["retried"]
        standin.fail_next.append(400)
        await sender.send("+15555550101", "refused", "key-x")
        assert [m["body"] for m in standin.messages] == ["retried"]
    statuses = dict(db.execute(select(SmsMessage.body, SmsMessage.status)).tuples().all())
    assert statuses == {"retried": "queued", "refused": "failed"}


def _left_sending(db: Session, to: str, body: str, key: str) -> None:
    """The record a sender that died during (or just before) its Twilio call leaves."""
    from datetime import UTC, datetime, timedelta

    db.add(SmsMessage(to_number=to, from_number="+15555550100", body=body, status="sending",
                      idempotency_key=key, created_at=datetime.now(UTC) - timedelta(seconds=1)))
    db.commit()


def _twilio_sender(standin, monkeypatch) -> TwilioSender:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("TWILIO_API_BASE_URL", standin.base_url)
    get_settings.cache_clear()
    sender = make_sender(get_settings(), get_sessionmaker())
    assert isinstance(sender, TwilioSender)
    return sender


async def test_a_reply_left_sending_that_twilio_took_is_recorded_not_sent_again(
        db: Session, monkeypatch) -> None:
    with running_standin() as standin:
        sender = _twilio_sender(standin, monkeypatch)
        _left_sending(db, "+15555550101", "You're welcome!", "key-took")
        # The dead sender's call reached Twilio (the real client, as the sender makes it).
        took = sender.client.messages.create(to="+15555550101", from_="+15555550100",
                                             body="You're welcome!")
        await sender.send("+15555550101", "You're welcome!", "key-took")  # the retry
        await sender.send("+15555550101", "You're welcome!", "key-took")
        assert [m["body"] for m in standin.messages] == ["You're welcome!"]
    row = db.scalars(select(SmsMessage)).one()
    db.refresh(row)
    assert (row.twilio_sid, row.status) == (took.sid, "queued")


async def test_a_reply_left_sending_that_twilio_never_got_is_sent_once(
        db: Session, monkeypatch) -> None:
    with running_standin() as standin:
        sender = _twilio_sender(standin, monkeypatch)
        # The same words went to this number before, under another record: not this one.
        await sender.send("+15555550101", "You're welcome!", "key-earlier")
        _left_sending(db, "+15555550101", "You're welcome!", "key-lost")
        await sender.send("+15555550101", "You're welcome!", "key-lost")
        await sender.send("+15555550101", "You're welcome!", "key-lost")
        assert [m["body"] for m in standin.messages] == ["You're welcome!"] * 2
        sids = [m["sid"] for m in standin.messages]
    rows = dict(db.execute(select(SmsMessage.idempotency_key, SmsMessage.twilio_sid))
                .tuples().all())
    assert rows == {"key-earlier": sids[0], "key-lost": sids[1]}


async def test_a_reply_left_sending_is_not_resent_while_twilio_cannot_say(
        db: Session, monkeypatch) -> None:
    with running_standin() as standin:
        sender = _twilio_sender(standin, monkeypatch)
        base = standin.base_url
    # The stand-in is gone: the lookup fails, and nothing is sent blind.
    sender.client.http_client.base_url = base
    _left_sending(db, "+15555550101", "You're welcome!", "key-blind")
    await sender.send("+15555550101", "You're welcome!", "key-blind")
    assert standin.messages == []
    assert db.scalars(select(SmsMessage.status)).one() == "sending"


def test_the_standin_lists_newest_first_by_number_and_fetches_by_sid(db: Session,
                                                                    monkeypatch) -> None:
    with running_standin() as standin:
        sender = _twilio_sender(standin, monkeypatch)
        create = sender.client.messages.create
        first = create(to="+15555550101", from_="+15555550100", body="one")
        create(to="+15555550102", from_="+15555550100", body="other")
        second = create(to="+15555550101", from_="+15555550100", body="two")
        listed = sender.client.messages.list(to="+15555550101", from_="+15555550100")
        assert [m.sid for m in listed] == [second.sid, first.sid]
        assert listed[0].date_created is not None
        assert sender.client.messages(first.sid).fetch().body == "one"
