"""Migration 0014: the patient's preferred language and its source, on a database that
already holds patients (SQLite, the embedded default; PostgreSQL runs it in the suite's
template too)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from tests.conftest import ROOT

REVISION = "0014_preferred_language"


def config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
    cfg.attributes["database_url"] = url
    return cfg


def columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("patients")}
    finally:
        engine.dispose()


def test_patients_on_file_are_english_from_the_record_and_it_reverses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    cfg = config(url)
    command.upgrade(cfg, "0013_fhir_links")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO patients (mrn, first_name, last_name, date_of_birth, phone, zip_code, "
            "sms_consent, payment_plan_eligible) VALUES ('MRN1', 'Ana', 'Example', "
            "'1970-01-01', '+15555550111', '33125', 1, 0)"))
    engine.dispose()

    command.upgrade(cfg, REVISION)
    engine = create_engine(url)
    with engine.begin() as conn:
        row = conn.execute(text("SELECT preferred_language, preferred_language_source "
                                "FROM patients WHERE mrn = 'MRN1'")).one()
        assert tuple(row) == ("en", "record")
        conn.execute(text("UPDATE patients SET preferred_language = 'es', "
                          "preferred_language_source = 'patient' WHERE mrn = 'MRN1'"))
    engine.dispose()

    command.downgrade(cfg, "0013_fhir_links")
    assert not {"preferred_language", "preferred_language_source"} & columns(url)
    command.upgrade(cfg, REVISION)
    assert {"preferred_language", "preferred_language_source"} <= columns(url)
