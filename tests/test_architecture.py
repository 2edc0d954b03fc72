"""The floors contract (docs/architecture.md) covers every area of bot/ and channels/, so a
new area cannot slip past it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Not importable areas: Alembic's scripts.
NOT_AREAS = {"bot.migrations"}


def _floors() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    return {name.strip() for floor in contract["layers"]
            for name in floor.replace("|", ":").split(":")}


def _areas() -> set[str]:
    areas = set()
    for package in ("bot", "channels"):
        for path in (ROOT / package).iterdir():
            if path.name.startswith(("_", ".")):
                continue
            if path.suffix == ".py" or (path / "__init__.py").is_file() or path.is_dir():
                if path.is_dir() and not any(path.glob("*.py")):
                    continue  # static files only
                areas.add(f"{package}.{path.stem}")
    return areas - NOT_AREAS


def test_every_area_is_on_a_floor() -> None:
    assert _areas() - _floors() == set()


def test_every_floor_names_an_area() -> None:
    assert _floors() - _areas() == set()
