"""GET /widget.js, and a WIDGET_ALLOWED_ORIGINS that is no list of origins."""

import gzip
import json
import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import WIDGET_ALLOWED as ALLOWED
from tests.conftest import clear_caches


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


def test_a_wrong_setting_stops_the_start(env: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGET_ALLOWED_ORIGINS", "https://*.example.org")
    clear_caches()
    from bot.main import create_app

    with pytest.raises(ValueError, match="WIDGET_ALLOWED_ORIGINS"):
        create_app()
