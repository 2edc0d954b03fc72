"""The production topology as real processes for tests and benches: scripts/run_cluster.py's
Cluster (2 engines with Rasa's Redis lock store and a PostgreSQL tracker store, 2 action
servers, 2 bot workers, nginx) on free loopback ports, fresh PostgreSQL databases, a Redis
database of its own and the local Twilio stand-in. `stack` is a tests.support.stack.Stack
pointed at nginx, so its SMS, outbox and web chat helpers go through the load balancer."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.run_cluster import Cluster, Ports, create_database
from tests.support.stack import MODEL, Stack
from tests.support.twilio_standin import free_port, running_standin

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class RunningCluster:
    cluster: Cluster
    stack: Stack


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from bot.db import normalize_url

    name = url.rsplit("/", 1)[1]
    admin = create_engine(normalize_url(ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def running_cluster(engines: int = 2, redis_url: str = "redis://127.0.0.1:6379/6",
                    extra_env: dict[str, str] | None = None) -> Iterator[RunningCluster]:
    import redis

    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    workdir = Path(tempfile.mkdtemp(prefix="pa-cluster-"))
    run = uuid.uuid4().hex[:8]
    app_db = create_database(ADMIN_URL, f"pa_cluster_{run}", fresh=True)
    tracker_db = create_database(ADMIN_URL, f"pa_cluster_tracker_{run}", fresh=True)
    redis.Redis.from_url(redis_url).flushdb()
    ports = Ports(public=free_port(), actions_lb=free_port(),
                  engines=[free_port() for _ in range(engines)],
                  actions=[free_port(), free_port()], bots=[free_port(), free_port()])
    public = f"http://127.0.0.1:{ports.public}"
    try:
        with running_standin(auth_token="cluster-twilio-token") as twilio:
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
            cluster.prepare()
            cluster.start_all()
            print(f"cluster: waiting for 2 engines, 2 action servers, 2 bot workers and nginx "
                  f"(logs in {workdir})", file=sys.stderr)
            try:
                cluster.wait_ready()
                stack = Stack(bot_url=public, engine_url=cluster.engine_urls[0],
                              actions_url=f"http://127.0.0.1:{ports.actions_lb}", env=env,
                              workdir=workdir, twilio=twilio)
                stack.processes = cluster.processes
                yield RunningCluster(cluster=cluster, stack=stack)
            finally:
                cluster.stop_all()
    finally:
        drop_database(app_db)
        drop_database(tracker_db)
