"""GET /widget.js, the chat page embedded in a site's widget, and who may start a chat."""

import gzip
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import clear_caches

ALLOWED = "https://www.example.org"
# The test client's own address: requests from it are same-origin.
OWN = "http://testserver"


@pytest.fixture
def widget_client(env: dict[str, str], monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[TestClient]:
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", f"{ALLOWED}, http://localhost:8080")
    clear_caches()
    from bot.main import create_app

    with TestClient(create_app()) as client:
        yield client


def test_the_loader_is_small_and_knows_the_allowed_sites(widget_client: TestClient) -> None:
    resp = widget_client.get("/widget.js")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/javascript")
    assert resp.headers["cross-origin-resource-policy"] == "cross-origin"
    config = re.search(r"/\*CONFIG\*/(.*?)/\*END\*/", resp.text)
    assert config is not None
    assert json.loads(config.group(1)) == {
        "origins": [ALLOWED, "http://localhost:8080"], "clinic": "Riverside Health"}
    assert len(gzip.compress(resp.content)) <= 15_000


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


def test_a_wrong_setting_stops_the_start(env: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://*.example.org")
    clear_caches()
    from bot.main import create_app

    with pytest.raises(ValueError, match="WIDGET_ALLOWED_ORIGINS"):
        create_app()


def test_the_chat_script_is_a_file(client: TestClient) -> None:
    page = client.get("/chat").text
    assert '<script src="/chat.js"></script>' in page
    assert "<script>" not in page
    script = client.get("/chat.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "pa-chat:hello" in script.text
