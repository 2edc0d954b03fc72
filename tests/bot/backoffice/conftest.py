"""Fixtures for the back-office tests: the service token, and a fixed now."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

AUTH = {"Authorization": "Bearer test-backoffice-token"}


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


# --- a real FHIR R4 server (sekmet-fhir from .venv-fhir), one per test session and worker --


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The server's address and our SMART client's settings (FHIR_BASE_URL, FHIR_CLIENT_ID,
    FHIR_PRIVATE_KEY_FILE). Each test keeps to its own resources (`fhir_universe`)."""
    from scripts import fhir_server
    from tests.support.twilio_standin import free_port

    folder = tmp_path_factory.mktemp("fhir-server")
    settings = fhir_server.prepare(folder, free_port())
    try:
        process = fhir_server.start(folder, folder / "server.log")
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (the FHIR tests run against a real server, like Redis and "
                    "PostgreSQL)")
    try:
        fhir_server.wait_ready(settings["FHIR_BASE_URL"], process=process)
    except (RuntimeError, TimeoutError) as exc:
        process.kill()
        pytest.fail(f"{exc}: {(folder / 'server.log').read_text()[-2000:]}")
    yield settings
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def fhir_universe(fhir_server: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                  env: dict[str, str]) -> dict[str, str]:
    """This test's own corner of the server: its MRN system and resource id prefix, so tests
    sharing the server never see each other's patients, slots or tasks."""
    from tests.conftest import clear_caches

    prefix = uuid.uuid4().hex[:10]
    values = {**fhir_server, "FHIR_MRN_SYSTEM": f"urn:test:{prefix}", "FHIR_TEST_PREFIX": prefix}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    clear_caches()
    return values


def load_demo(session: Session, universe: dict[str, str]) -> None:
    """The seeded reference back office, loaded into the FHIR server as this test's."""
    from bot.backoffice.fhir.client import client_from_settings
    from bot.backoffice.fhir.demo import demo_bundle
    from bot.settings import get_settings

    client = client_from_settings(get_settings())
    client.scopes = "system/*.cruds"
    answer = client.transaction(demo_bundle(session, universe["FHIR_MRN_SYSTEM"],
                                            prefix=universe["FHIR_TEST_PREFIX"]))
    assert all(str(e["response"]["status"]).startswith("2") for e in answer["entry"])
    client.close()
