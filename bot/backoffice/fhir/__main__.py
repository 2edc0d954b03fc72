"""`python -m bot.backoffice.fhir load BUNDLE.json | check | demo-bundle OUT.json`.

- load: a FHIR R4 `transaction` Bundle as it is, or a `collection` Bundle as a transaction
  (PUT for resources with an id, POST for the others), into the configured server with the
  configured credentials (`FHIR_BASE_URL`, `FHIR_CLIENT_ID`, `FHIR_PRIVATE_KEY_FILE`).
- check: what the configured server can do (its CapabilityStatement and SMART
  configuration), verb by verb, and which back-office domains are set to use it.
- domains: `export BACKOFFICE_<DOMAIN>=fhir` lines for the domains the server can serve.
- demo-bundle: the demo patients of the reference back office (seeded) as a transaction
  Bundle, for `make run-fhir`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bot.backoffice.errors import BackOfficeError
from bot.backoffice.fhir.adapter import capability_matrix
from bot.backoffice.fhir.client import client_from_settings
from bot.backoffice.fhir.demo import demo_bundle
from bot.backoffice.port import Source, sources_from
from bot.db import get_sessionmaker
from bot.settings import get_settings

LOAD_SCOPES = "system/*.cruds"


def as_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    kind = bundle.get("type")
    if bundle.get("resourceType") != "Bundle" or kind not in ("transaction", "collection"):
        raise ValueError("expected a Bundle of type transaction or collection")
    if kind == "transaction":
        return bundle
    entries = []
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        rtype = resource["resourceType"]
        if resource.get("id"):
            request = {"method": "PUT", "url": f"{rtype}/{resource['id']}"}
        else:
            request = {"method": "POST", "url": rtype}
        entries.append({**({"fullUrl": entry["fullUrl"]} if "fullUrl" in entry else {}),
                        "resource": resource, "request": request})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def load(path: str) -> int:

    bundle = as_transaction(json.loads(Path(path).read_text()))
    client = client_from_settings(get_settings())
    # A transaction is authorised as a whole (system-level), not per resource type.
    client.scopes = LOAD_SCOPES
    started = time.perf_counter()
    answer = client.transaction(bundle)
    failed = [e for e in answer.get("entry", [])
              if not str(e.get("response", {}).get("status", "")).startswith("2")]
    counts: dict[str, int] = {}
    for entry in bundle.get("entry", []):
        rtype = entry["resource"]["resourceType"]
        counts[rtype] = counts.get(rtype, 0) + 1
    print(f"load: {len(bundle.get('entry', []))} resources in "
          f"{time.perf_counter() - started:.1f} s to {client.base_url}: "
          + ", ".join(f"{n} {t}" for t, n in sorted(counts.items())))
    if failed:
        print(f"load: {len(failed)} entries failed", file=sys.stderr)
        return 1
    return 0


def check() -> int:

    settings = get_settings()
    client = client_from_settings(settings)
    caps = client.capabilities()
    print(f"FHIR server: {client.base_url} ({caps.software or 'unnamed'}), "
          f"profile {settings.fhir_profile}")
    print(f"SMART token endpoint: {caps.token_url or 'none published'}")
    if settings.fhir_client_id:
        client._token()  # proves the credentials, prints nothing of them
        print(f"SMART backend auth: token granted to client {settings.fhir_client_id}")
    matrix = capability_matrix(client, settings.fhir_profile)
    width = max(len(v) for v in matrix)
    for verb, (on, why) in matrix.items():
        print(f"  {verb:<{width}}  {'on ' if on else 'off'}  {why}".rstrip())
    domains = sources_from(settings)
    print("domains: " + ", ".join(f"{d.value}={s.value}" for d, s in domains.items()))
    if domains and all(s is Source.reference for s in domains.values()):
        print("(no domain is set to fhir: BACKOFFICE_<DOMAIN>=fhir turns one on)")
    return 0


# The verb that must be on for a domain to be served by the EHR at all; a domain's other
# verbs that are off hand the patient to a person when asked for.
DOMAIN_VERBS = {"identity": "identity (patient match)", "scheduling": "read appointments",
                "pharmacy": "read prescriptions", "insurance": "insurance (coverage)",
                "consent": "consent and language"}


def domains() -> int:
    """`export BACKOFFICE_<DOMAIN>=fhir` for each domain the configured server can serve."""

    settings = get_settings()
    matrix = capability_matrix(client_from_settings(settings), settings.fhir_profile)
    for domain, verb in DOMAIN_VERBS.items():
        if matrix[verb][0]:
            print(f"export BACKOFFICE_{domain.upper()}=fhir")
    return 0


def demo(out: str) -> int:

    with get_sessionmaker()() as session:
        bundle = demo_bundle(session, get_settings().fhir_mrn_system)
    Path(out).write_text(json.dumps(bundle, indent=1))
    print(f"demo-bundle: {len(bundle['entry'])} resources written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.backoffice.fhir", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("load", help="load a transaction or collection Bundle").add_argument("bundle")
    sub.add_parser("check", help="print what the configured FHIR server can do")
    sub.add_parser("domains", help="export lines putting each domain the server serves on fhir")
    sub.add_parser("demo-bundle", help="write the demo patients as a Bundle").add_argument("out")
    args = parser.parse_args(argv)
    try:
        if args.command == "load":
            return load(args.bundle)
        if args.command == "check":
            return check()
        if args.command == "domains":
            return domains()
        return demo(args.out)
    except (BackOfficeError, ValueError, OSError) as exc:
        print(f"fhir {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
