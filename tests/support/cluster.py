"""The production topology as real processes for tests and benches: scripts/run_cluster.py's
Cluster (2 engines with Rasa's Redis lock store and a PostgreSQL tracker store, 2 action
servers, 2 bot workers, the outreach worker, nginx) on free loopback ports, fresh PostgreSQL
databases, a Redis database of its own and the local Twilio stand-in. `stack` is a
tests.support.stack.Stack pointed at nginx, so its SMS, outbox and web chat helpers go
through the load balancer.

Redis: `CLUSTER_TEST_REDIS_URL` (default db 6 on the local server), flushed first, so give
each person or run on a shared server a db of their own. Whatever was made is undone however
the block ends, a failed start included: processes stopped, databases dropped, the work
directory (the processes' logs) removed; `CLUSTER_TEST_KEEP_WORKDIR=1` keeps it, and a
failure prints the end of each log first.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.run_cluster import Cluster, Ports, create_database, port_taken, with_database
from tests.support.stack import MODEL, Stack
from tests.support.twilio_standin import running_standin

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
# Below Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default), where
# the kernel picks the source ports of outgoing connections: a port from that range, free when
# chosen, may be some connection's source port by the time a bot worker restarts on it in the
# middle of a test, and the worker could not listen there again.
PORT_RANGE = (20000, 32767)
LOG_LINES_ON_FAILURE = 40


@dataclass
class RunningCluster:
    cluster: Cluster
    stack: Stack


def free_port(taken: set[int] | None = None) -> int:
    """A port nothing listens on, in PORT_RANGE, not in `taken` (then added to it)."""
    taken = set() if taken is None else taken
    low, high = PORT_RANGE
    for _ in range(1000):
        port = random.randint(low, high)
        if port not in taken and not port_taken(port):
            taken.add(port)
            return port
    raise RuntimeError(f"no free port between {low} and {high}")


def cluster_ports(engines: int) -> Ports:
    """Distinct free ports for every process of a cluster."""
    taken: set[int] = set()
    return Ports(public=free_port(taken), actions_lb=free_port(taken),
                 engines=[free_port(taken) for _ in range(engines)],
                 actions=[free_port(taken), free_port(taken)],
                 bots=[free_port(taken), free_port(taken)])


def cluster_redis_url() -> str:
    """The Redis db the cluster flushes and uses: CLUSTER_TEST_REDIS_URL, else db 6."""
    return os.environ.get("CLUSTER_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from bot.db import normalize_url

    name = url.rsplit("/", 1)[1]
    admin = create_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def print_logs(workdir: Path) -> None:
    """The end of each process's log, on stderr (pytest shows it with the failure)."""
    for log in sorted(workdir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-LOG_LINES_ON_FAILURE:]
        print(f"--- {log.name} (last {len(lines)} lines)", *lines, sep="\n", file=sys.stderr)


@contextmanager
def running_cluster(engines: int = 2, redis_url: str | None = None,
                    extra_env: dict[str, str] | None = None) -> Iterator[RunningCluster]:
    import redis

    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    redis_url = redis_url or cluster_redis_url()
    with ExitStack() as undo:
        # Undone in reverse: processes stopped, the stand-in stopped, databases dropped, then
        # the work directory removed.
        workdir = Path(tempfile.mkdtemp(prefix="pa-cluster-"))
        if os.environ.get("CLUSTER_TEST_KEEP_WORKDIR") != "1":
            undo.callback(shutil.rmtree, workdir, ignore_errors=True)
        run = uuid.uuid4().hex[:8]
        app_db, tracker_db = (with_database(ADMIN_URL, f"pa_cluster_{run}"),
                              with_database(ADMIN_URL, f"pa_cluster_tracker_{run}"))
        for url in (app_db, tracker_db):
            create_database(ADMIN_URL, url.rsplit("/", 1)[1], fresh=True)
            undo.callback(drop_database, url)
        redis.Redis.from_url(redis_url).flushdb()
        ports = cluster_ports(engines)
        public = f"http://127.0.0.1:{ports.public}"
        twilio = undo.enter_context(running_standin(auth_token="cluster-twilio-token"))
        env = {
            **os.environ, "APP_ENV_FILE": "", "APP_ENV": "test", "PUBLIC_BASE_URL": public,
            "DATABASE_URL": app_db, "ENGINE_TRACKER_DB": tracker_db.replace(
                "postgresql+psycopg://", "postgresql://"),
            "REDIS_URL": redis_url, "TWILIO_AUTH_TOKEN": "cluster-twilio-token",
            "TWILIO_ACCOUNT_SID": "ACclusterstandin", "TWILIO_API_BASE_URL": twilio.base_url,
            "TWILIO_PHONE_NUMBER": "+15555550100", "ENGINE_TOKEN": "cluster-engine-token",
            "ACTIONS_TOKEN": "cluster-actions-token",
            "BACKOFFICE_TOKEN": "cluster-backoffice-token",
            "DESK_DEMO_EMAIL": "agent@example.org",
            "DESK_DEMO_PASSWORD": "cluster-desk-password", "TF_CPP_MIN_LOG_LEVEL": "2",
            "CLUSTER_FRESH_SEED": "1", **(extra_env or {}),
        }
        cluster = Cluster(ports, env, workdir, model=MODEL)
        # Registered before anything starts: a start that fails halfway stops what it started.
        undo.callback(cluster.stop_all)
        try:
            cluster.prepare()
            cluster.start_all()
            print(f"cluster: waiting for {engines} engines, 2 action servers, 2 bot workers "
                  f"and nginx (logs in {workdir})", file=sys.stderr)
            cluster.wait_ready()
            stack = Stack(bot_url=public, engine_url=cluster.engine_urls[0],
                          actions_url=f"http://127.0.0.1:{ports.actions_lb}", env=env,
                          workdir=workdir, twilio=twilio)
            stack.processes = cluster.processes
            yield RunningCluster(cluster=cluster, stack=stack)
        except BaseException:
            print_logs(workdir)
            raise
