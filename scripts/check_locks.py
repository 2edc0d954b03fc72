"""Fails when a lock file does not hold what its source names: a package added to
pyproject.toml (bot service), requirements/engine.txt (engine) or requirements/synthea.txt
(the bench's population generator) since the last `make lock`.

`make setup` installs only from the locks (with hashes), so a package missing from them would
be missing from every fresh install. Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(==\s*([^\s;,#]+))?")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", lock.read_text(), re.M)
    return {normalize(name): version for name, version in found}


def wanted(requirements: list[str]) -> dict[str, str | None]:
    """name -> exact version when pinned with ==, else None."""
    result: dict[str, str | None] = {}
    for line in requirements:
        line = line.split("#", 1)[0].strip()
        match = _NAME.match(line)
        if line and not line.startswith("-") and match:
            result[normalize(match.group(1))] = match.group(3)
    return result


def problems(source: str, requirements: list[str], lock: Path) -> list[str]:
    if not lock.exists():
        return [f"{lock.relative_to(ROOT)} is missing: run make lock"]
    locked = pins(lock)
    out = []
    for name, version in wanted(requirements).items():
        if name not in locked:
            out.append(f"{source} names {name}, which {lock.relative_to(ROOT)} does not hold")
        elif version and locked[name] != version:
            out.append(f"{source} pins {name}=={version}, {lock.relative_to(ROOT)} has "
                       f"{locked[name]}")
    return out


def main(which: list[str]) -> int:
    """`bot`, `engine`, `synthea`, or all of them when none is named."""
    found: list[str] = []
    if not which or "bot" in which:
        import tomllib  # Python 3.11 (the bot's interpreter); the engine part runs on 3.10

        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        bot = project["dependencies"] + project["optional-dependencies"]["dev"]
        found += problems("pyproject.toml", bot, ROOT / "requirements" / "bot.lock")
    if not which or "engine" in which:
        engine = (ROOT / "requirements" / "engine.txt").read_text().splitlines()
        found += problems("requirements/engine.txt", engine,
                          ROOT / "requirements" / "engine.lock")
    if not which or "synthea" in which:
        synthea = (ROOT / "requirements" / "synthea.txt").read_text().splitlines()
        found += problems("requirements/synthea.txt", synthea,
                          ROOT / "requirements" / "synthea.lock")
    if found:
        print("The lock files are behind their sources:\n  " + "\n  ".join(found)
              + "\nRun `make lock` and commit requirements/*.lock.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
