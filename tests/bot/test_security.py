from sqlalchemy.orm import Session

MESSAGES_PER_SESSION_PER_MINUTE = 20  # the default of WEB_MESSAGES_PER_SESSION_PER_MINUTE


def test_pages_and_api_carry_security_headers(client, db: Session) -> None:
    for path in ("/chat", "/desk", "/healthz"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    session = client.post("/channels/web/sessions")
    assert session.headers["Cache-Control"] == "no-store"
    assert "set-cookie" not in session.headers  # bearer tokens only: nothing for CSRF to ride


def test_a_web_session_is_rate_limited_with_a_clear_message(client, db: Session) -> None:
    token = client.post("/channels/web/sessions").json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    codes = [client.post("/channels/web/messages", json={"text": "hi"}, headers=auth).status_code
             for _ in range(MESSAGES_PER_SESSION_PER_MINUTE + 2)]
    assert codes[:MESSAGES_PER_SESSION_PER_MINUTE] == [200] * MESSAGES_PER_SESSION_PER_MINUTE
    limited = client.post("/channels/web/messages", json={"text": "hi"}, headers=auth)
    assert limited.status_code == 429
    assert "faster than I can answer" in limited.json()["detail"]
    # Another session is not affected.
    other = client.post("/channels/web/sessions").json()["token"]
    ok = client.post("/channels/web/messages", json={"text": "hi"},
                     headers={"Authorization": f"Bearer {other}"})
    assert ok.status_code == 200


def test_desk_sign_in_is_rate_limited(client, db: Session) -> None:
    codes = [client.post("/api/desk/login", json={"email": "x@example.org",
                                                  "password": "wrong"}).status_code
             for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[-1] == 429
