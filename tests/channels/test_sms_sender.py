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
