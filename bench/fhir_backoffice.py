"""What the FHIR back office adds to a turn that reads the EHR: each back-office request the
action server makes in a turn (verify, appointments, open slots, prescriptions, insurance),
through the bot service's routes, with every domain on the reference adapter and then on the
FHIR adapter against a real FHIR server (sekmet-fhir from .venv-fhir, SMART backend auth).

Prints p50/p95 per request for both and the FHIR calls each request made (after the first,
which also reads the CapabilityStatement, the SMART configuration and a token).

Usage: .venv/bin/python bench/fhir_backoffice.py [ROUNDS]   (default 30)
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(rounds: int) -> int:
    from scripts import fhir_server
    from tests.support.twilio_standin import free_port

    work = Path(tempfile.mkdtemp(prefix="fhir-bench-"))
    server_env = fhir_server.prepare(work / "fhir", free_port())
    process = fhir_server.start(work / "fhir", work / "fhir" / "server.log")
    try:
        fhir_server.wait_ready(server_env["FHIR_BASE_URL"], process=process)
        os.environ.update(APP_ENV="test", APP_ENV_FILE="", BACKOFFICE_TOKEN="bench-token",
                          DATABASE_URL=f"sqlite:///{work / 'app.db'}",
                          REDIS_URL=os.environ.get("BENCH_REDIS_URL",
                                                   "redis://127.0.0.1:6379/13"),
                          **server_env)
        return run(rounds, work)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(rounds: int, work: Path) -> int:
    from alembic import command
    from alembic.config import Config
    from fastapi.testclient import TestClient

    from bot.backoffice.factory import clear_backoffice_cache, get_backoffice
    from bot.backoffice.fhir.client import client_from_settings
    from bot.backoffice.fhir.demo import demo_bundle
    from bot.backoffice.seed import seed
    from bot.clock import clinic_today, clinic_tz
    from bot.db import get_sessionmaker
    from bot.main import create_app
    from bot.settings import get_settings

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
    cfg.attributes["database_url"] = os.environ["DATABASE_URL"]
    command.upgrade(cfg, "head")
    with get_sessionmaker()() as session:
        seed(session, clinic_today(), clinic_tz())
        session.commit()
        loader = client_from_settings(get_settings())
        loader.scopes = "system/*.cruds"
        started = time.perf_counter()
        loader.transaction(demo_bundle(session, get_settings().fhir_mrn_system))
        print(f"demo bundle loaded in {time.perf_counter() - started:.2f} s")
        maria = 1

    auth = {"Authorization": "Bearer bench-token"}
    verify = {"conversation_id": "bench", "channel": "sms", "date_of_birth": "1984-03-12",
              "phone": "+15555550101"}
    results: dict[str, dict[str, list[float]]] = {}
    calls: dict[str, list[int]] = {}
    for mode in ("reference", "fhir"):
        for domain in ("IDENTITY", "SCHEDULING", "PHARMACY", "INSURANCE", "CONSENT"):
            os.environ[f"BACKOFFICE_{domain}"] = mode
        get_settings.cache_clear()
        clear_backoffice_cache()
        office = get_backoffice(get_settings())
        fhir = getattr(office.scheduling, "client", None)
        with TestClient(create_app()) as http:
            appt = http.get(f"/api/backoffice/patients/{maria}/appointments",
                            headers=auth).json()["appointments"][0]["id"]
            requests = {
                "verify (SMS)": ("POST", "/api/backoffice/verifications", verify),
                "appointments": ("GET", f"/api/backoffice/patients/{maria}/appointments", None),
                "open slots": ("GET", f"/api/backoffice/patients/{maria}/appointments/{appt}"
                               "/open-slots?part_of_day=afternoon", None),
                "prescriptions": ("GET", f"/api/backoffice/patients/{maria}/prescriptions",
                                  None),
                "insurance": ("GET", f"/api/backoffice/patients/{maria}/insurance", None),
            }
            for name, (method, path, body) in requests.items():
                times = results.setdefault(name, {}).setdefault(mode, [])
                for _ in range(rounds):
                    before = fhir.calls if fhir is not None else 0
                    started = time.perf_counter()
                    answer = http.request(method, path, json=body, headers=auth)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.text)
                    if fhir is not None:
                        calls.setdefault(name, []).append(fhir.calls - before)

    def pct(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]

    print(f"{'request':<15} {'reference p50/p95':>18} {'fhir p50/p95':>16} {'added p50':>10}"
          f" {'FHIR calls':>10}")
    for name, modes in results.items():
        ref, fhir_t = modes["reference"], modes["fhir"]
        print(f"{name:<15} {pct(ref, 50):8.1f}/{pct(ref, 95):6.1f} ms {pct(fhir_t, 50):7.1f}/"
              f"{pct(fhir_t, 95):6.1f} ms {pct(fhir_t, 50) - pct(ref, 50):7.1f} ms "
              f"{statistics.median(calls[name]):10.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30))
