"""The secrets check in `make lint` is detect-secrets against the audited baseline."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.check_secrets import BASELINE, ROOT, scan


def test_a_new_secret_is_found(tmp_path: Path) -> None:
    leak = tmp_path / "settings_leak.py"
    leak.write_text('aws = "AKIAIOSFODNN7EXAMPLF"\n'
                    'TWILIO_AUTH_TOKEN = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c"\n')
    found = scan([str(leak)])
    assert len(found) == 1
    assert "AWS Access Key" in found[0]
    assert "settings_leak.py:1" in found[0] and "settings_leak.py:2" in found[0]


def test_a_baseline_with_moved_line_numbers_hides_nothing(tmp_path: Path) -> None:
    """The baseline's line numbers out of date (README edited): a new secret is reported all
    the same, and moved line numbers alone are no finding."""
    stale = json.loads((ROOT / BASELINE).read_text())
    for findings in stale["results"].values():
        for finding in findings:
            finding["line_number"] += 3
    baseline = tmp_path / "stale.baseline"
    baseline.write_text(json.dumps(stale))
    leak = tmp_path / "settings_leak.py"
    leak.write_text('aws = "AKIAIOSFODNN7EXAMPLF"\n')
    found = scan([str(leak), "README.md"], baseline)
    assert len(found) == 1 and "AWS Access Key" in found[0]
    assert scan(["README.md"], baseline) == []  # moved lines alone are not a finding


def test_the_repository_baseline_is_never_handed_to_the_hook(tmp_path: Path) -> None:
    """The hook refuses to scan when the baseline it is given has unstaged changes (as
    `make lint` left it after updating line numbers), and that refusal once passed for
    "nothing found": the scan works on a copy and leaves the repository's file alone."""
    before = (ROOT / BASELINE).read_bytes()
    leak = tmp_path / "settings_leak.py"
    leak.write_text('aws = "AKIAIOSFODNN7EXAMPLF"\n')
    assert len(scan([str(leak), "README.md", BASELINE])) == 1
    assert (ROOT / BASELINE).read_bytes() == before


def test_plain_code_passes(tmp_path: Path) -> None:
    fine = tmp_path / "fine.py"
    fine.write_text('TOKEN_SETTING = "ENGINE_TOKEN"\nprint("hello")\n')
    assert scan([str(fine)]) == []


def test_the_baseline_holds_only_audited_false_positives() -> None:
    baseline = json.loads((ROOT / BASELINE).read_text())
    findings = [f for items in baseline["results"].values() for f in items]
    assert findings and all(f.get("is_secret") is False for f in findings)
    excluded = [f for f in baseline["filters_used"] if f["path"].endswith("should_exclude_file")]
    assert "^requirements/.*\\.lock$" in excluded[0]["pattern"]  # the locks' sha256 hashes
