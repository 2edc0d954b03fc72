"""A synthetic population in a real FHIR server: N generated Patients (default 10,000; made up
here, never real data) loaded through `python -m bot.backoffice.fhir load`'s path (transaction
Bundles of 500), then the identity searches the adapter makes (by phone, and by family +
given + ZIP), timed: load time and search p50/p95.

Usage: .venv/bin/python bench/fhir_population.py [N] [SEARCHES]   (default 10000 200)
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GIVEN = ["Ana", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jade", "Kofi",
         "Lena", "Milo", "Nia", "Omar", "Pia", "Quinn", "Rui", "Sana", "Theo"]
FAMILY = ["Sampleton", "Testwood", "Demoro", "Fakely", "Mockridge", "Synthson", "Placeholm",
          "Fictive", "Dummond", "Specimen"]
CHUNK = 500


def person(i: int, mrn_system: str) -> dict[str, object]:
    rng = random.Random(i)
    return {"resourceType": "Patient", "id": f"pop-{i}",
            "identifier": [{"system": mrn_system, "value": f"POP{i:07d}"}],
            "name": [{"use": "official", "family": f"{rng.choice(FAMILY)}{i % 97}",
                      "given": [rng.choice(GIVEN)]}],
            "birthDate": f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "telecom": [{"system": "phone", "value": f"+1555{i:07d}"}],
            "address": [{"postalCode": f"{10000 + i % 900:05d}"}]}


def main(n: int, searches: int) -> int:
    from bot.backoffice.fhir.client import FhirClient
    from scripts import fhir_server
    from tests.support.twilio_standin import free_port

    folder = Path(tempfile.mkdtemp(prefix="fhir-pop-"))
    env = fhir_server.prepare(folder, free_port())
    process = fhir_server.start(folder, folder / "server.log")
    try:
        fhir_server.wait_ready(env["FHIR_BASE_URL"], process=process)
        client = FhirClient(env["FHIR_BASE_URL"], timeout=120, client_id=env["FHIR_CLIENT_ID"],
                            private_key=Path(env["FHIR_PRIVATE_KEY_FILE"]).read_bytes(),
                            scopes="system/*.cruds")
        mrn = "urn:bench:mrn"
        people = [person(i, mrn) for i in range(n)]
        started = time.perf_counter()
        for first in range(0, n, CHUNK):
            client.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
                {"resource": p, "request": {"method": "PUT", "url": f"Patient/{p['id']}"}}
                for p in people[first:first + CHUNK]]})
        load = time.perf_counter() - started
        print(f"loaded {n} patients in {load:.1f} s ({n / load:.0f}/s)")
        rng = random.Random(0)
        for kind in ("phone", "name + ZIP"):
            times = []
            for _ in range(searches):
                p = people[rng.randrange(n)]
                name = p["name"][0]  # type: ignore[index]
                params = ({"phone": p["telecom"][0]["value"]} if kind == "phone"  # type: ignore[index]
                          else {"family": name["family"], "given": name["given"][0],
                                "address-postalcode": p["address"][0]["postalCode"]})  # type: ignore[index]
                t0 = time.perf_counter()
                found = client.search("Patient", params)
                times.append((time.perf_counter() - t0) * 1000)
                assert any(r["id"] == p["id"] for r in found)
            q = statistics.quantiles(times, n=100)
            print(f"search by {kind}: p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms ({searches} searches)")
        return 0
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    raise SystemExit(main(*(args + [10000, 200][len(args):])))
