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
    from tests.bot.test_settings import GOOD

    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    for name in ("twilio_auth_token", "engine_token", "backoffice_token"):
        monkeypatch.setenv(name.upper(), GOOD[name])
    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        assert client.get("/dev/outbox", params={"to": "+15555550101"}).status_code == 404


def test_readyz_engine_is_ready_while_any_engine_answers(client, db: Session, monkeypatch) -> None:
    """Several engines: one down is no reason to stop sending patients here."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bot.settings import get_settings

    class Status(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            ok = self.path.startswith("/status?token=test-engine-token")
            self.send_response(200 if ok else 401)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Status)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        up = f"http://127.0.0.1:{server.server_address[1]}"
        monkeypatch.setenv("ENGINE_URLS", f"http://127.0.0.1:9,{up}")
        get_settings.cache_clear()
        assert client.get("/readyz").json()["checks"]["engine"] is True
        monkeypatch.setenv("ENGINE_URLS", "http://127.0.0.1:9")
        get_settings.cache_clear()
        assert client.get("/readyz").json()["checks"]["engine"] is False
    finally:
        server.shutdown()
        get_settings.cache_clear()
