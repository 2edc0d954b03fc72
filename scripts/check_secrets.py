"""Fails when a tracked file holds something that looks like a real secret.

Secrets come only from the environment (`.env`, written by `make run`, is never committed).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PATTERNS = {
    "Twilio account SID": re.compile(r"\bAC[0-9a-f]{32}\b"),
    "Twilio API key SID": re.compile(r"\bSK[0-9a-f]{32}\b"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Slack/GitHub token": re.compile(r"\b(xox[abp]-[0-9A-Za-z-]{10,}|gh[pousr]_[0-9A-Za-z]{36})\b"),
    "secret assigned in code": re.compile(
        r"(?i)\b(auth_token|api_key|secret|password)\s*[:=]\s*['\"][A-Za-z0-9+/_\-]{20,}['\"]"),
}
# Test fixtures use obviously fake values on purpose.
ALLOWED_PREFIXES = ("tests/",)
FORBIDDEN_FILES = (".env",)


def main() -> int:
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True,
                           check=True).stdout.split()
    problems = [f"{name}: must never be committed" for name in files if name in FORBIDDEN_FILES]
    for name in files:
        path = Path(name)
        if not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        text = path.read_text(errors="ignore")
        for label, pattern in PATTERNS.items():
            if label == "secret assigned in code" and name.startswith(ALLOWED_PREFIXES):
                continue
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: looks like a {label}")
    if problems:
        print("Possible secrets in the repository:\n  " + "\n  ".join(problems), file=sys.stderr)
        print("Move them to the environment (.env) and rotate them.", file=sys.stderr)
        return 1
    print(f"secrets check: {len(files)} tracked files, nothing that looks like a secret")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
