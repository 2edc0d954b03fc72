"""The web chat in a site's widget: the embedded page's frame-ancestors, who may start a
chat or open its socket (Origin), the partitioned cookie that resumes it."""

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import OWN_ORIGIN as OWN
from tests.conftest import WIDGET_ALLOWED as ALLOWED


def test_the_chat_page_is_framed_only_by_the_allowed_sites(widget_client: TestClient) -> None:
    alone = widget_client.get("/chat").headers
    assert "frame-ancestors 'none'" in alone["content-security-policy"]
    assert alone["x-frame-options"] == "DENY"
    embedded = widget_client.get("/chat?embed=1").headers
    policy = embedded["content-security-policy"]
    assert re.search(r"frame-ancestors ([^;]*);", policy).group(1) == (  # type: ignore[union-attr]
        f"'self' {ALLOWED} http://localhost:8080")
    assert "x-frame-options" not in embedded  # the policy's frame-ancestors decides
    assert "script-src 'self';" in policy


def test_nothing_allowed_embeds_nowhere_else(client: TestClient) -> None:
    policy = client.get("/chat?embed=1").headers["content-security-policy"]
    assert "frame-ancestors 'self';" in policy


@pytest.mark.parametrize("origin", [ALLOWED, OWN, None])
def test_an_allowed_page_starts_a_chat(widget_client: TestClient, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    resp = widget_client.post("/channels/web/sessions", headers=headers)
    assert resp.status_code == 200
    token = resp.json()["token"]
    with widget_client.websocket_connect(f"/channels/web/ws?token={token}",
                                         headers=headers) as ws:
        assert ws.receive_json() == {"type": "ready"}


@pytest.mark.parametrize("origin", ["https://www.example.org.evil.test", "null",
                                    "https://evil.test", "http://www.example.org"])
def test_another_page_gets_no_chat(widget_client: TestClient, origin: str) -> None:
    from starlette.websockets import WebSocketDisconnect

    resp = widget_client.post("/channels/web/sessions", headers={"Origin": origin})
    assert resp.status_code == 403
    assert "WIDGET_ALLOWED_ORIGINS" in resp.json()["detail"]
    token = widget_client.post("/channels/web/sessions").json()["token"]
    with pytest.raises(WebSocketDisconnect) as refused:
        with widget_client.websocket_connect(f"/channels/web/ws?token={token}",
                                             headers={"Origin": origin}) as ws:
            ws.receive_json()
    assert refused.value.code == 4403


def test_the_chat_script_is_a_file(client: TestClient) -> None:
    page = client.get("/chat").text
    assert '<script src="/chat.js"></script>' in page
    assert "<script>" not in page
    script = client.get("/chat.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "pa-chat:hello" in script.text


def test_the_embedded_chat_resumes_from_its_partitioned_cookie(
        widget_client: TestClient) -> None:
    tab = "a1" * 16
    started = widget_client.post(f"/channels/web/sessions?tab={tab}", headers={"Origin": OWN})
    cookie = started.headers["set-cookie"]
    token = started.json()["token"]
    assert cookie.startswith(f"__Host-pa-chat-{tab}={token}; Path=/;")
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert f"; {attribute}" in cookie
    assert "Max-Age" not in cookie and "Expires" not in cookie
    # /chat on its own keeps its token in the page only.
    assert "set-cookie" not in widget_client.post("/channels/web/sessions").headers

    jar = {f"__Host-pa-chat-{tab}": token}
    resume = f"/channels/web/resume?tab={tab}"
    resumed = widget_client.post(resume, headers={"Origin": OWN}, cookies=jar)
    assert resumed.status_code == 200
    assert resumed.json() == started.json()
    # Another browser tab (another key) starts afresh, as /chat does.
    other_tab = widget_client.post("/channels/web/resume?tab=" + "b2" * 16,
                                   headers={"Origin": OWN}, cookies=jar)
    assert other_tab.status_code == 204
    assert widget_client.post("/channels/web/resume?tab=short", headers={"Origin": OWN},
                              cookies=jar).status_code == 422
    # Only our own pages trade the cookie for the token: not an allowed site's page, nor a
    # request that does not say where it comes from.
    for headers in ({"Origin": ALLOWED}, {"Origin": "null"}, {}):
        refused = widget_client.post(resume, headers=headers, cookies=jar)
        assert refused.status_code == 403, headers
        assert "token" not in refused.text
    # No cookie, or a session that ended: nothing to resume, the chat starts afresh.
    assert widget_client.post(resume, headers={"Origin": OWN}).status_code == 204
    ended = widget_client.post(resume, headers={"Origin": OWN},
                               cookies={f"__Host-pa-chat-{tab}": "not-a-token"})
    assert ended.status_code == 204
