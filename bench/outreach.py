"""Outreach at scale: plan and send for N generated patients (default 10,000) in a temporary
SQLite database, through the real twilio client and the local Twilio stand-in.

Each patient has one appointment whose 72 h reminder is due, every fifth a prescription that
runs out within the week, every tenth a missed appointment yesterday; the hold-out is the
default 10 %. Prints the planning time, sends per second and the peak RSS of this process.

Sending runs W workers at once (default 4), each claiming its own batches as the bot
service's workers would; the stand-in answers each connection only after its delivery
callbacks, about 0.2 s, so one worker alone is bound by the stand-in, not by us.

Sending stops after SECONDS (default 60) when not all is sent: the rate is what counts.

Usage: .venv/bin/python bench/outreach.py [N] [W] [SECONDS]
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 11, 0, tzinfo=NY)  # a Tuesday, inside the allowed hours


def generate(url: str, n: int) -> None:
    """N synthetic patients (no demo data), written with bulk inserts."""
    from sqlalchemy import insert

    from bot.backoffice.models import (
        Appointment,
        Patient,
        Pharmacy,
        Prescription,
        Provider,
    )
    from bot.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Provider), [{"id": 1, "name": "Dr. Bench", "specialty": "primary care",
                                         "location": "Bench Clinic, 1 Test Rd"}])
        conn.execute(insert(Pharmacy), [{"id": 1, "name": "Bench Pharmacy", "address": "2 Test Rd",
                                         "phone": "(555) 555-0100"}])
        conn.execute(insert(Patient), [
            {"id": i, "mrn": f"MRNB{i:07d}", "first_name": "Bench", "last_name": f"P{i}",
             "date_of_birth": date(1970 + i % 40, 1 + i % 12, 1 + i % 28),
             "phone": f"+1555{i:07d}", "zip_code": "02139", "sms_consent": True,
             "payment_plan_eligible": False}
            for i in range(1, n + 1)])
        conn.execute(insert(Appointment), [
            {"patient_id": i, "provider_id": 1, "status": "booked",
             "starts_at": NOW + timedelta(hours=72) - timedelta(minutes=1 + i % 600)}
            for i in range(1, n + 1)])
        conn.execute(insert(Appointment), [
            {"patient_id": i, "provider_id": 1, "status": "no_show",
             "starts_at": NOW - timedelta(days=1, hours=2)}
            for i in range(10, n + 1, 10)])
        conn.execute(insert(Prescription), [
            {"patient_id": i, "prescriber_id": 1, "pharmacy_id": 1, "medication": "Benchamol",
             "strength": "5 mg", "refills_left": i % 3, "active": True,
             "supply_ends_on": NOW.date() + timedelta(days=i % 7)}
            for i in range(5, n + 1, 5)])
    engine.dispose()


def standin() -> tuple[subprocess.Popen[bytes], str]:
    """The Twilio stand-in as its own process, as `make run` starts it."""
    from tests.support.twilio_standin import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "channels.twilio_standin", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env={**os.environ, "TWILIO_AUTH_TOKEN": "bench-twilio-token"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    budget = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    workdir = Path(tempfile.mkdtemp(prefix="bench-outreach-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    proc, twilio_url = standin()
    try:
        os.environ.update({
            "APP_ENV_FILE": "", "APP_ENV": "test", "DATABASE_URL": url,
            "TWILIO_ACCOUNT_SID": "ACbenchstandin", "TWILIO_AUTH_TOKEN": "bench-twilio-token",
            "TWILIO_API_BASE_URL": twilio_url, "PUBLIC_BASE_URL": "http://127.0.0.1:9",
            "REDIS_URL": "redis://127.0.0.1:6379/12"})
        from alembic import command
        from alembic.config import Config

        cfg = Config(str(ROOT / "alembic.ini"))
        cfg.set_main_option("script_location", str(ROOT / "bot" / "migrations"))
        cfg.attributes["database_url"] = url
        command.upgrade(cfg, "head")
        started = time.perf_counter()
        generate(url, n)
        print(f"generated {n:,} patients in {time.perf_counter() - started:.1f} s ({workdir})")

        from bot.db import get_sessionmaker
        from bot.outreach.planning import plan
        from bot.outreach.sending import SendResult, send_due
        from bot.settings import get_settings
        from channels.sms_sender import make_sender

        settings = get_settings()
        sessions = get_sessionmaker()
        started = time.perf_counter()
        with sessions() as session:
            planned = plan(session, NOW, settings)
        planning = time.perf_counter() - started
        print(f"planning: {planning:.2f} s for {planned.planned + planned.held_out:,} messages "
              f"({planned.planned:,} to send, {planned.held_out:,} held out): {planned.by_kind}")

        sender = make_sender(settings, sessions)
        started = time.perf_counter()
        # No engine here: the transcript and the engine's context are left out of the figure.

        small = settings.model_copy(update={"outreach_batch_size": 20})

        async def worker(name: str) -> SendResult:
            total = SendResult()
            deadline = time.perf_counter() + budget
            while time.perf_counter() < deadline:
                one = await send_due(sessions, sender, NOW, small, name, max_batches=1)
                if not one.claimed:
                    break
                total.sent += one.sent
                total.waiting += one.waiting
                total.lost_lease += one.lost_lease
            return total

        async def send_all() -> list[SendResult]:
            return list(await asyncio.gather(*(worker(f"bench-{w}") for w in range(workers))))

        results = asyncio.run(send_all())
        sending = time.perf_counter() - started
        sent = sum(r.sent for r in results)
        print(f"sending: {sent:,} sent through the stand-in by {workers} workers in "
              f"{sending:.1f} s = {sent / sending:.0f} sends/s; waiting "
              f"{sum(r.waiting for r in results):,} (caps), lost leases "
              f"{sum(r.lost_lease for r in results)}")
        if sending < budget:
            again = asyncio.run(send_due(sessions, sender, NOW, settings, "bench"))
            print(f"second run for the same time: {again.sent} sent")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
