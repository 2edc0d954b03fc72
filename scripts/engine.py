"""Runs the engine's Rasa CLI with every variable endpoints.yml names set.

Rasa 3.6 expands `${VAR}` in endpoints.yml but stops with an error when one is unset and has no
defaults, so this fills them from the settings the rest of the project uses:

- `ENGINE_TRACKER_DB`: a SQLite path (default `var/engine-tracker.db`) or a
  `postgresql://user:password@host:port/db` URL, split into Rasa's SQL tracker store fields
  (`ENGINE_TRACKER_DIALECT`, `_HOST`, `_PORT`, `_DB_NAME`, `_USER`, `_PASSWORD`);
- `REDIS_URL`: when set, Rasa's Redis lock store on the same server and database with its own
  key prefix (`ENGINE_LOCK_PREFIX`, default `engine`; `ENGINE_LOCK_DB` for another database);
  unset, the in-memory lock store (one engine only).

With APP_ENV=prod (or unset), `run` refuses a missing or weak ENGINE_TOKEN or ACTIONS_TOKEN
before Rasa starts. A variable already in the environment is kept. Standard library only: it
runs under the engine's Python (`.venv-engine`, the engine image) as well as ours.

The API token comes from `ENGINE_TOKEN`, never the command line (`ps` shows every user a
process's arguments; its environment only to its owner): for `run`, this script adds
`--auth-token` to Rasa's arguments inside its own process (`sys.argv`, which `ps` does not
see) and runs Rasa's CLI there, and refuses `--auth-token` given on the command line.
Usage: python scripts/engine.py run --enable-api ...   (any `rasa` arguments but --auth-token)
       python scripts/engine.py --print                (the variables, for a shell or compose)
"""

from __future__ import annotations

import importlib.util
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
    # Rasa's usage telemetry goes to a third party: never from an engine that holds PHI,
    # whatever the environment or ~/.config/rasa/global.yml says.
    return {**derived, **environ, "RASA_TELEMETRY_ENABLED": "false"}


def rasa_args(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """Rasa's arguments: `argv`, and for `run` the API token from ENGINE_TOKEN.

    The token is added here, inside the process, so that no command line carries it. `run
    --enable-api` without a token would serve the tracker API to anyone who reaches the port,
    so it is refused."""
    if any(arg == "--auth-token" or arg.startswith("--auth-token=") for arg in argv):
        raise SystemExit("--auth-token on the command line shows the token to anyone running "
                         "`ps`: set ENGINE_TOKEN instead (scripts/engine.py passes it to Rasa).")
    if argv[:1] != ["run"]:
        return list(argv)
    token = environ.get("ENGINE_TOKEN", "")
    if not token:
        if "--enable-api" in argv:
            raise SystemExit("ENGINE_TOKEN is not set: the engine's API (--enable-api) needs a "
                             "token (make run writes one into .env).")
        return list(argv)
    return [*argv, "--auth-token", token]


def secret_problems(environ: Mapping[str, str]) -> list[str]:
    """With APP_ENV=prod (or unset), what is wrong with the engine's secrets: its API token and
    the token it presents to the action server, by the rule every process applies
    (bot/privacy/secret_strength.py, loaded by path: the engine's Python has no `bot` on its
    path, and the module is standard library only)."""
    if (environ.get("APP_ENV") or "prod") != "prod":
        return []
    spec = importlib.util.spec_from_file_location(
        "secret_strength", ROOT / "bot" / "privacy" / "secret_strength.py")
    assert spec is not None and spec.loader is not None
    strength = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(strength)
    problems: list[str] = strength.secret_problems(
        {name: environ.get(name, "") for name in ("ENGINE_TOKEN", "ACTIONS_TOKEN")})
    return problems


def main(argv: list[str]) -> int:
    env = endpoint_env(os.environ)
    if argv[:1] == ["--print"]:
        for name in sorted(env.keys() - os.environ.keys()):
            print(f"{name}={shlex.quote(env[name])}")
        return 0
    if "ACTIONS_TOKEN" not in env:
        raise SystemExit("ACTIONS_TOKEN is not set: the engine presents it to the action server.")
    problems = secret_problems(env) if argv[:1] == ["run"] else []
    if problems:
        raise SystemExit("Refusing to start the engine with APP_ENV=prod:\n  - "
                         + "\n  - ".join(problems))
    args = rasa_args(argv, env)
    # As the `rasa` script would run: without this script's folder first on the path.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if not p or str(Path(p).resolve()) != here]
    try:
        from rasa.__main__ import main as rasa_main
    except ImportError:
        # Not the engine's Python: run this script again under it. The token stays in the
        # environment, out of the new command line.
        python = ROOT / ".venv-engine" / "bin" / "python"
        os.execve(python, [str(python), str(Path(__file__).resolve()), *argv], env)
    # Rasa in this process (same pid as before, when this exec'd the `rasa` script): it reads
    # endpoints.yml's variables from os.environ and its arguments from sys.argv.
    os.environ.update(env)
    sys.argv = ["rasa", *args]
    rasa_main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
