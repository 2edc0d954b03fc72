from sqlalchemy.orm import Session


def test_healthz(client, db: Session) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_names_what_is_down(client, db: Session) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["checks"] == {"engine": False, "actions": False, "database": True, "redis": True}
    assert body["failed"] == ["engine", "actions"]


def test_dev_outbox_only_outside_production(monkeypatch, env) -> None:
    from fastapi.testclient import TestClient

    from bot.main import create_app
    from bot.settings import get_settings

    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/dev/outbox", params={"to": "+15555550101"}).status_code == 404
