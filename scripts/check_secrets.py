"""Fails when a tracked file holds something that looks like a secret: Yelp's detect-secrets
(maintained plugins for AWS, Twilio, Slack, GitHub, private keys, high-entropy strings,
passwords in code, ...) against the audited baseline `.secrets.baseline`.

Secrets come only from the environment (`.env`, written by `make run`, is never committed).
A finding that is not a secret (a test fixture, a placeholder): re-scan into the baseline
and mark it, as README says:
    .venv/bin/detect-secrets scan --baseline .secrets.baseline
    .venv/bin/detect-secrets audit .secrets.baseline
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ".secrets.baseline"
FORBIDDEN_FILES = (".env",)


def main() -> int:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    problems = [f"{name}: must never be committed" for name in files if name in FORBIDDEN_FILES]
    present = [name for name in files if (ROOT / name).is_file()]
    problems += scan(present)
    if problems:
        print("Possible secrets in the repository:\n  " + "\n  ".join(problems), file=sys.stderr)
        print("Move real ones to the environment (.env) and rotate them; a false positive goes "
              f"into {BASELINE} (see scripts/check_secrets.py).", file=sys.stderr)
        return 1
    print(f"secrets check (detect-secrets): {len(present)} tracked files, nothing new")
    return 0


def scan(paths: list[str]) -> list[str]:
    """detect-secrets' findings in `paths` that the baseline does not hold (audited). The hook
    reads the baseline's plugins and excluded files, and updates line numbers that moved."""
    hook = Path(sys.executable).parent / "detect-secrets-hook"
    result = subprocess.run([str(hook), "--baseline", BASELINE, *paths], cwd=ROOT,
                            capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode == 0:
        return []
    if "Potential secrets" in output:
        return [output]
    if _baseline_only_moved():
        return []
    return [f"detect-secrets failed: {output}"]


def _baseline_only_moved() -> bool:
    """The hook exits non-zero after rewriting the baseline's line numbers alone."""
    diff = subprocess.run(["git", "diff", "--quiet", "--", BASELINE], cwd=ROOT)
    return diff.returncode != 0


if __name__ == "__main__":
    raise SystemExit(main())
