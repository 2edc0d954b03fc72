"""Production settings: prod-safe defaults, and a bot that refuses to start on
settings that must not serve patients."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.settings import Settings, get_settings, production_problems

GOOD = {
    "app_env": "prod",
    "public_base_url": "https://assistant.example.org",
    "database_url": "postgresql+psycopg://bot@db.internal/bot",
    "redis_url": "redis://cache.internal:6379/0",
    "twilio_account_sid": "AC" + "1" * 32,
    # Twilio's kind: 32 hex digits.
    "twilio_auth_token": "9c4e1f07b2d8a3566e0f9b1c7d2a4e83",  # pragma: allowlist secret
    "engine_token": "Zt8qLm3Nv6Rb1Xp4Kw9sJh2Gd5Fc7Ya0Ue",  # pragma: allowlist secret
    "backoffice_token": "Hq2Wn7Lt4Vm9Xs1Kp6RdBj3Ze8Tc0Qf5Ng",  # pragma: allowlist secret
}


def test_app_env_defaults_to_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)
    assert Settings().app_env == "prod"
    assert not Settings().is_dev


def test_good_production_settings_have_no_problem() -> None:
    assert production_problems(Settings(**GOOD)) == []


@pytest.mark.parametrize(("change", "says"), [
    ({"engine_token": ""}, "ENGINE_TOKEN is not set"),
    ({"twilio_auth_token": ""}, "TWILIO_AUTH_TOKEN is not set"),
    ({"backoffice_token": "short"}, "BACKOFFICE_TOKEN is a weak secret"),
    ({"engine_token": "change-me-to-a-long-random-value"}, "ENGINE_TOKEN is a weak secret"),
    ({"engine_token": "not-for-serving"}, "ENGINE_TOKEN is a weak secret"),
    # What the probe found accepted: 16 characters, one letter or two words repeated.
    ({"engine_token": "aaaaaaaaaaaaaaaa"}, "ENGINE_TOKEN is a weak secret"),
    ({"twilio_auth_token": "passwordpassword"}, "TWILIO_AUTH_TOKEN is a weak secret"),
    ({"backoffice_token": "passwordpassword" * 2}, "BACKOFFICE_TOKEN is a weak secret"),
    # Optional, but never weak when set.
    ({"review_salt": "aaaaaaaaaaaaaaaa"}, "REVIEW_SALT is a weak secret"),
    ({"metrics_token": "passwordpassword"}, "METRICS_TOKEN is a weak secret"),
    ({"twilio_account_sid": ""}, "TWILIO_ACCOUNT_SID is not set"),
    ({"public_base_url": "http://assistant.example.org"}, "PUBLIC_BASE_URL must be an https://"),
])
def test_each_unsafe_setting_is_named(change: dict[str, str], says: str) -> None:
    problems = production_problems(Settings(**{**GOOD, **change}))
    assert len(problems) == 1
    assert problems[0].startswith(says)
    if "_token" in next(iter(change)) or "_salt" in next(iter(change)):
        for value in change.values():  # a secret's value is never repeated back
            assert len(value) < 8 or value not in problems[0]


def test_optional_secrets_may_be_empty() -> None:
    assert production_problems(Settings(**GOOD, review_salt="", metrics_token="")) == []


@pytest.mark.parametrize("missing", ["database_url", "redis_url"])
def test_missing_stores_are_refused_rather_than_defaulted(missing: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(missing.upper(), raising=False)
    values = {k: v for k, v in GOOD.items() if k != missing}
    assert production_problems(Settings(**values)) == [
        f"{missing.upper()} is not set: production never falls back to the development "
        "default; point it at the production server."]


def test_dev_and_test_settings_are_not_checked() -> None:
    for env in ("dev", "test"):
        assert production_problems(Settings(app_env=env, engine_token="",
                                            public_base_url="http://localhost:8000")) == []


def test_the_bot_refuses_to_start_in_prod_on_defaults(monkeypatch: pytest.MonkeyPatch,
                                                       env: dict[str, str]) -> None:
    from bot.main import create_app

    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("ENGINE_TOKEN", "")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://localhost:8000")
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as refused:
        create_app()
    message = str(refused.value.code)
    assert message.startswith("Refusing to start with APP_ENV=prod:")
    assert "ENGINE_TOKEN is not set" in message
    assert "PUBLIC_BASE_URL must be an https:// address" in message
    assert ".env.example" in message


def _prod_client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    from bot.main import create_app

    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    for name in ("twilio_auth_token", "engine_token", "backoffice_token"):
        monkeypatch.setenv(name.upper(), GOOD[name])
    get_settings.cache_clear()
    return TestClient(create_app())


def test_prod_serves_no_docs_no_schema_no_dev_routes(monkeypatch: pytest.MonkeyPatch,
                                                      env: dict[str, str]) -> None:
    client = _prod_client(monkeypatch)
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js",
                 "/dev/outbox?to=%2B15555550101"):
        assert client.get(path).status_code == 404, path


def test_dev_docs_run_under_our_content_security_policy(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    # Everything the page loads comes from us: nothing the policy would block.
    assert "cdn.jsdelivr.net" not in page.text and "https://" not in page.text
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "Patient assistant"


def test_forwarded_for_only_from_configured_proxies(monkeypatch: pytest.MonkeyPatch,
                                                    env: dict[str, str], redis_client) -> None:
    """The test client connects as "testclient": trusted only when listed."""
    from bot.main import create_app

    for allowed, seen in (("127.0.0.1", "testclient"), ("testclient", "203.0.113.7")):
        monkeypatch.setenv("FORWARDED_ALLOW_IPS", allowed)
        get_settings.cache_clear()
        redis_client.flushdb()
        with TestClient(create_app()) as client:
            resp = client.post("/channels/web/sessions",
                               headers={"X-Forwarded-For": "203.0.113.7"})
            assert resp.status_code == 200
        assert redis_client.keys("rate:web-ip-sessions:*") == [f"rate:web-ip-sessions:{seen}"]


def _example_keys() -> dict[str, str]:
    from tests.conftest import ROOT

    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_env_example_documents_every_key_of_every_process() -> None:
    import re

    from actions.settings import ActionSettings
    from tests.conftest import ROOT

    example = (ROOT / ".env.example").read_text()
    keys = set(_example_keys())
    names = {n.upper() for n in Settings.model_fields} | {n.upper()
                                                         for n in ActionSettings.model_fields}
    assert names - keys == set()
    # The engine's variables (endpoints.yml) are named too, if only as derived ones.
    endpoints = (ROOT / "endpoints.yml").read_text()
    for variable in set(re.findall(r"\$\{([A-Z_]+)", endpoints)) - {"VAR"}:  # VAR: a comment's
        assert variable in example, variable


def test_env_example_placeholders_never_pass_for_production(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _example_keys().items():
        monkeypatch.setenv(key, value)
    problems = production_problems(Settings())
    for key in ("ENGINE_TOKEN", "BACKOFFICE_TOKEN", "TWILIO_AUTH_TOKEN"):
        assert any(p.startswith(f"{key} is a weak secret") for p in problems), key
