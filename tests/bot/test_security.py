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


def test_a_nul_in_the_query_is_refused_with_the_headers_too(client, db: Session) -> None:
    resp = client.get("/healthz?x=%00")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "Invalid characters in the request."}
    assert resp.headers["X-Frame-Options"] == "DENY"
    # A route's own header is kept, not overwritten.
    assert client.get("/chat").headers["X-Content-Type-Options"] == "nosniff"


async def test_https_adds_hsts_and_streams_pass_through() -> None:
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from bot.security import SecurityHeaders

    async def chunks():  # type: ignore[no-untyped-def]
        for part in (b"a", b"b", b"c"):
            yield part

    inner = Starlette(routes=[Route("/api/x", lambda r: StreamingResponse(chunks()))])
    resp = TestClient(SecurityHeaders(inner, https=True)).get("/api/x")
    assert resp.content == b"abc"
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert resp.headers["Cache-Control"] == "no-store"


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


def test_no_page_allows_inline_scripts_but_its_own(client, db: Session) -> None:
    """Every page the service serves: scripts from our files, and inline ones only with the
    nonce of that response (a script injected into a page would have none)."""
    import re

    for path in ("/chat", "/chat?embed=1", "/desk", "/desk/insights", "/desk/outreach",
                 "/docs"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        policy = resp.headers["Content-Security-Policy"]
        scripts = re.search(r"script-src ([^;]*)", policy).group(1)  # type: ignore[union-attr]
        assert "unsafe-inline" not in scripts and "unsafe-eval" not in scripts, path
        nonces = re.findall(r"'nonce-([^']+)'", scripts)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", resp.text)
        for attributes in inline:
            assert nonces and f'nonce="{nonces[0]}"' in attributes, (path, attributes)
        if nonces:  # a new one for each response
            again = client.get(path).headers["Content-Security-Policy"]
            assert f"'nonce-{nonces[0]}'" not in again, path
