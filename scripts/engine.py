"""Runs the engine's Rasa CLI with every variable endpoints.yml names set.

Rasa 3.6 expands `${VAR}` in endpoints.yml but stops with an error when one is unset and has no
defaults, so this fills them from the settings the rest of the project uses:

- `ENGINE_TRACKER_DB`: a SQLite path (default `var/engine-tracker.db`) or a
  `postgresql://user:password@host:port/db` URL, split into Rasa's SQL tracker store fields
  (`ENGINE_TRACKER_DIALECT`, `_HOST`, `_PORT`, `_DB_NAME`, `_USER`, `_PASSWORD`);
- `REDIS_URL`: when set, Rasa's Redis lock store on the same server and database with its own
  key prefix (`ENGINE_LOCK_PREFIX`, default `engine`; `ENGINE_LOCK_DB` for another database);
  unset, the in-memory lock store (one engine only).

A variable already in the environment is kept. Standard library only: it runs under the
engine's Python (`.venv-engine`, the engine image) as well as ours.
Usage: python scripts/engine.py run --enable-api ...   (any `rasa` arguments)
       python scripts/engine.py --print                (the variables, for a shell or compose)
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRACKER = "var/engine-tracker.db"
SQL_DIALECTS = {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite"}


def tracker_fields(target: str) -> dict[str, str]:
    """Rasa's SQL tracker store fields for a SQLite path or a database URL."""
    if "://" not in target:
        return {"ENGINE_TRACKER_DIALECT": "sqlite", "ENGINE_TRACKER_HOST": "",
                "ENGINE_TRACKER_PORT": "0", "ENGINE_TRACKER_DB_NAME": target,
                "ENGINE_TRACKER_USER": "", "ENGINE_TRACKER_PASSWORD": ""}
    url = urlsplit(target)
    # `postgresql+psycopg://` is ours (SQLAlchemy 2); the engine has psycopg2, Rasa's default.
    scheme = url.scheme.split("+", 1)[0]
    if scheme not in SQL_DIALECTS:
        raise SystemExit(f"ENGINE_TRACKER_DB: {scheme!r} is not a database the engine's tracker "
                         "store supports here; use a SQLite path or a postgresql:// URL.")
    if SQL_DIALECTS[scheme] == "sqlite":
        return tracker_fields(url.path[1:] if url.path.startswith("/") else url.path)
    return {"ENGINE_TRACKER_DIALECT": "postgresql", "ENGINE_TRACKER_HOST": url.hostname or "",
            "ENGINE_TRACKER_PORT": str(url.port or 5432),
            "ENGINE_TRACKER_DB_NAME": unquote(url.path.lstrip("/")),
            "ENGINE_TRACKER_USER": unquote(url.username or ""),
            "ENGINE_TRACKER_PASSWORD": unquote(url.password or "")}


def lock_fields(redis_url: str) -> dict[str, str]:
    """Rasa's lock store fields: Redis when REDIS_URL is set, else in memory."""
    if not redis_url:
        return {"ENGINE_LOCK_STORE": "in_memory", "ENGINE_LOCK_HOST": "", "ENGINE_LOCK_PORT": "0",
                "ENGINE_LOCK_DB": "0", "ENGINE_LOCK_USER": "", "ENGINE_LOCK_PASSWORD": "",
                "ENGINE_LOCK_PREFIX": "engine"}
    url = urlsplit(redis_url)
    if url.scheme != "redis":
        raise SystemExit(f"REDIS_URL: the engine's lock store takes redis:// URLs, not "
                         f"{url.scheme}://; set ENGINE_LOCK_* yourself for anything else.")
    return {"ENGINE_LOCK_STORE": "redis", "ENGINE_LOCK_HOST": url.hostname or "127.0.0.1",
            "ENGINE_LOCK_PORT": str(url.port or 6379),
            "ENGINE_LOCK_DB": url.path.lstrip("/") or "0",
            "ENGINE_LOCK_USER": unquote(url.username or ""),
            "ENGINE_LOCK_PASSWORD": unquote(url.password or ""),
            "ENGINE_LOCK_PREFIX": "engine"}


def endpoint_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment the engine starts with: `environ` plus every endpoints.yml variable."""
    derived = {
        "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
        **tracker_fields(environ.get("ENGINE_TRACKER_DB") or DEFAULT_TRACKER),
        **lock_fields(environ.get("REDIS_URL", "")),
    }
    return {**derived, **environ}


def main(argv: list[str]) -> int:
    env = endpoint_env(os.environ)
    if argv[:1] == ["--print"]:
        for name in sorted(env.keys() - os.environ.keys()):
            print(f"{name}={shlex.quote(env[name])}")
        return 0
    if "ACTIONS_TOKEN" not in env:
        raise SystemExit("ACTIONS_TOKEN is not set: the engine presents it to the action server.")
    rasa = Path(sys.executable).parent / "rasa"
    if not rasa.exists():
        rasa = ROOT / ".venv-engine" / "bin" / "rasa"
    os.execve(rasa, [str(rasa), *argv], env)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
