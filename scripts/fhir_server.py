"""A real FHIR R4 server for `make run-fhir` and the FHIR contract tests: sekmet-fhir (PyPI,
pinned in requirements/fhir.lock) from `.venv-fhir`, with SMART Backend Services on.

`python scripts/fhir_server.py prepare DIR PORT` writes DIR/settings.yaml, a fresh RSA key
pair for our client (DIR/client.pem, registered with the server as DIR/client.pub) and an
empty data folder, and prints the environment that points the bot service at it.
`python scripts/fhir_server.py serve DIR` runs the server in the foreground.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEKMET = ROOT / ".venv-fhir" / "bin" / "sekmet"
CLIENT_ID = "patient-assistant"


def make_keys(folder: Path) -> Path:
    """Our client's RSA key pair (RS384); the public half is what the server registers."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = folder / "client.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    private.chmod(0o600)
    (folder / "client.pub").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private


def prepare(folder: Path, port: int) -> dict[str, str]:
    """A fresh server folder; returns the settings our side needs to reach it."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "data", ignore_errors=True)
    (folder / "data").mkdir()
    private = make_keys(folder)
    base = f"http://127.0.0.1:{port}/fhir"
    # The simulator stays off: it would act on our Tasks and Appointments by itself.
    (folder / "settings.yaml").write_text(f"""\
base_url: {base}
host: 127.0.0.1
port: {port}
data_dir: {folder / 'data'}
log_inbound: false
simulator: {{enabled: false}}
server_auth:
  types: [smart]
  token_lifetime: 300
  smart_clients:
    - client_id: {CLIENT_ID}
      public_key_path: {folder / 'client.pub'}
      scopes: "system/*.*"
""")
    return {"FHIR_BASE_URL": base, "FHIR_CLIENT_ID": CLIENT_ID,
            "FHIR_PRIVATE_KEY_FILE": str(private)}


def command(folder: Path) -> list[str]:
    if not SEKMET.exists():
        raise FileNotFoundError(f"{SEKMET} is missing: make .venv-fhir/.installed builds it")
    return [str(SEKMET), "serve", "--config", str(folder / "settings.yaml")]


def start(folder: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(command(folder), stdout=out, stderr=subprocess.STDOUT,
                                cwd=folder, env={**os.environ, "SEKMET_CONFIG": str(
                                    folder / "settings.yaml")})


def wait_ready(base_url: str, timeout: float = 60.0,
               process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the FHIR server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/metadata", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the FHIR server at {base_url} did not answer in {timeout:.0f} s")


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "prepare":
        for key, value in prepare(Path(argv[1]).resolve(), int(argv[2])).items():
            print(f"export {key}={value}")
        return 0
    if len(argv) == 2 and argv[0] == "serve":
        folder = Path(argv[1]).resolve()
        os.environ["SEKMET_CONFIG"] = str(folder / "settings.yaml")
        os.chdir(folder)
        os.execv(command(folder)[0], command(folder))
    if len(argv) == 2 and argv[0] == "wait":
        wait_ready(argv[1])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
