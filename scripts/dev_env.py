"""Writes `.env` with fresh random development secrets. An existing `.env` is kept; settings
added since it was written (a new secret, say) are appended, so `make run` keeps working."""

import os
import secrets
import sys
from pathlib import Path

# The addresses `make run` decides at each start; written to var/run.env for the commands run
# beside it (bot.settings reads that file after .env; the environment still wins).
RUN_ADDRESSES = ("REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_API_BASE_URL", "FHIR_BASE_URL",
                 "FHIR_CLIENT_ID", "FHIR_PRIVATE_KEY_FILE", "FHIR_PROFILE")
RUN_DOMAINS = "BACKOFFICE_"


def write_run_env(path: Path, environ: dict[str, str]) -> None:
    """What this `make run` uses, so that a second terminal's commands use the same."""
    names = [*RUN_ADDRESSES, *sorted(n for n in environ if n.startswith(RUN_DOMAINS)
                                     and n not in ("BACKOFFICE_TOKEN", "BACKOFFICE_URL"))]
    lines = ["# Written by `make run` at its start: the services this stack uses. Commands run",
             "# beside it read this after .env (bot.settings); do not edit.",
             *(f"{name}={environ[name]}" for name in names if name in environ)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def main() -> int:
    if sys.argv[1:2] == ["--run-env"]:
        write_run_env(Path(sys.argv[2]), dict(os.environ))
        return 0
    path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    password = secrets.token_urlsafe(12)
    lines = [
        "# Written by `make run` for local development. Secrets here are random and local.",
        "APP_ENV=dev",
        "PUBLIC_BASE_URL=http://localhost:8000",
        "DATABASE_URL=sqlite:///var/app.db",
        "# REDIS_URL=redis://127.0.0.1:6379/0   (unset: make run starts an embedded Redis)",
        f"TWILIO_AUTH_TOKEN={secrets.token_hex(16)}",
        "TWILIO_ACCOUNT_SID=",
        "TWILIO_PHONE_NUMBER=+15555550100",
        f"ENGINE_TOKEN={secrets.token_urlsafe(24)}",
        f"ACTIONS_TOKEN={secrets.token_urlsafe(24)}",
        "ENGINE_URL=http://127.0.0.1:5005",
        "ACTIONS_URL=http://127.0.0.1:5055",
        "ACTION_ENDPOINT_URL=http://127.0.0.1:5055/webhook",
        "ENGINE_TRACKER_DB=var/engine-tracker.db",
        f"BACKOFFICE_TOKEN={secrets.token_urlsafe(24)}",
        "BACKOFFICE_URL=http://127.0.0.1:8000",
        "DESK_DEMO_EMAIL=agent@example.org",
        f"DESK_DEMO_PASSWORD={password}",
    ]
    if path.exists():
        return add_missing(path, lines)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    print(f"wrote {path} with fresh development secrets "
          f"(demo agent: agent@example.org / {password})")
    return 0


def add_missing(path: Path, lines: list[str]) -> int:
    text = path.read_text()
    have = {line.split("=", 1)[0].strip() for line in text.splitlines()
            if "=" in line and not line.lstrip().startswith("#")}
    missing = [line for line in lines
               if "=" in line and not line.startswith("#") and line.split("=", 1)[0] not in have]
    if missing:
        path.write_text(text + ("" if text.endswith("\n") or not text else "\n")
                        + "\n".join(missing) + "\n")
        names = ", ".join(line.split("=", 1)[0] for line in missing)
        print(f"added to {path}: {names} (new since it was written)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
