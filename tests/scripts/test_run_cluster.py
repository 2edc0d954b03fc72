"""scripts/run_cluster.py's pure parts: the nginx configuration it renders, the port checks,
the settings it hands every process and what it tells the user when something is missing.
(The cluster itself runs in `make test-cluster`.)"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from scripts import run_cluster
from scripts.run_cluster import (
    Cluster,
    ClusterError,
    Ports,
    choose_redis,
    cluster_env,
    outreach_enabled,
    port_taken,
    preflight,
    proxy_read_timeout,
    redacted,
    render_nginx,
    start_database,
    taken_ports,
)
from tests.support.twilio_standin import free_port

PORTS = Ports(public=18080, actions_lb=18081, engines=[15105, 15106], actions=[15155, 15156],
              bots=[18101, 18102])


def test_default_ports_are_apart_from_make_run() -> None:
    ports = Ports.default()
    assert ports.named() == {
        "nginx (public)": 8080, "nginx (to the action servers)": 8081, "engine1": 5105,
        "engine2": 5106, "actions1": 5155, "actions2": 5156, "bot1": 8101, "bot2": 8102}
    # make run: bot 8000, engine 5005, actions 5055, Twilio stand-in 8099, Redis 6390.
    assert not {8000, 5005, 5055, 8099, 6390} & {*ports.named().values(), ports.twilio,
                                                 ports.redis}
    assert Ports.default(public=9090).public == 9090


def test_nginx_config_points_every_upstream_at_the_local_processes(tmp_path: Path) -> None:
    conf = render_nginx(PORTS, tmp_path)
    upstreams = dict(re.findall(r"upstream (\w+) \{(.*?)\}", conf, re.S))
    assert re.findall(r"server ([\d.:]+) ", upstreams["bot_workers"]) == [
        "127.0.0.1:18101", "127.0.0.1:18102"]
    assert re.findall(r"server ([\d.:]+) ", upstreams["action_servers"]) == [
        "127.0.0.1:15155", "127.0.0.1:15156"]
    assert re.findall(r"listen ([^;]+);", conf) == ["18080", "127.0.0.1:18081"]
    assert not re.search(r"\b(bot|actions)\d:", conf)  # no compose host name is left
    assert f"pid {tmp_path / 'nginx.pid'};" in conf
    assert f"proxy_temp_path {tmp_path / 'nginx-temp'}/proxy;" in conf
    assert conf.startswith("daemon off;\n")


def test_commands_wire_the_engines_and_action_servers_through_nginx(tmp_path: Path) -> None:
    cluster = Cluster(PORTS, {"ENGINE_TOKEN": "t"}, tmp_path)
    commands = cluster.commands()
    assert list(commands) == ["actions1", "actions2", "engine1", "engine2", "bot1", "bot2",
                              "outreach", "nginx"]
    engine, engine_env = commands["engine1"]
    assert "--auth-token" not in engine and "t" not in engine  # ENGINE_TOKEN, by environment
    assert engine_env["ENGINE_TOKEN"] == "t"
    outreach, outreach_env = commands["outreach"]
    assert outreach[1:] == ["-m", "bot.outreach", "worker"]
    assert outreach_env["ENGINE_URLS"] == "http://127.0.0.1:15105,http://127.0.0.1:15106"
    _, env = commands["bot1"]
    assert env["ENGINE_URLS"] == "http://127.0.0.1:15105,http://127.0.0.1:15106"
    assert env["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:18081/webhook"
    assert env["BACKOFFICE_URL"] == "http://127.0.0.1:18080"
    nginx, _ = commands["nginx"]
    assert nginx[1:] == ["-e", str(tmp_path / "nginx-error.log"), "-c",
                         str(tmp_path / "nginx.conf"), "-p", str(tmp_path)]
    # Default settings, two engines: deploy/nginx.conf's own read timeout.
    assert (tmp_path / "nginx.conf").read_text() == render_nginx(PORTS, tmp_path, 130)


@pytest.mark.parametrize("value", ["false", "False", "0", "no", "off"])
def test_no_outreach_worker_when_outreach_is_off(tmp_path: Path, value: str) -> None:
    env = {"ENGINE_TOKEN": "t", "OUTREACH_ENABLED": value}
    assert not outreach_enabled(env)
    assert "outreach" not in Cluster(PORTS, env, tmp_path).commands()
    assert outreach_enabled({}) and outreach_enabled({"OUTREACH_ENABLED": "true"})


def test_nginx_outwaits_the_bot_workers_own_engine_timeouts() -> None:
    # turn lock 60 s + 2 engines x the longer engine budget + 10 s
    assert proxy_read_timeout({}, 2) == 60 + 2 * 30 + 10 == run_cluster.DEPLOY_READ_TIMEOUT
    assert proxy_read_timeout({"ENGINE_WEB_TIMEOUT_SECONDS": "90"}, 2) == 60 + 2 * 90 + 10
    assert proxy_read_timeout({"ENGINE_TIMEOUT_SECONDS": "12.5"}, 1) == 60 + 13 + 10
    assert proxy_read_timeout({"ENGINE_TIMEOUT_SECONDS": "45"}, 3) == 60 + 3 * 45 + 10


def test_the_rendered_config_carries_the_clusters_read_timeout(tmp_path: Path) -> None:
    deployed = (run_cluster.ROOT / "deploy" / "nginx.conf").read_text()
    assert re.findall(r"proxy_read_timeout (\w+);", deployed) == ["130s", "1h", "1h", "60s"]
    conf = render_nginx(PORTS, tmp_path, 250)
    assert re.findall(r"proxy_read_timeout (\w+);", conf) == ["250s", "1h", "1h", "60s"]
    cluster = Cluster(PORTS, {"ENGINE_TOKEN": "t", "ENGINE_WEB_TIMEOUT_SECONDS": "90"},
                      tmp_path)
    cluster.commands()
    assert "proxy_read_timeout 250s;" in (tmp_path / "nginx.conf").read_text()


def test_a_listening_port_is_taken_and_free_again_once_closed() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    assert port_taken(port)
    assert taken_ports({"bot1": port}) == [
        f"port {port} (bot1) is in use: see `ss -ltnp 'sport = :{port}'`"]
    listener.close()
    assert not port_taken(port)
    assert taken_ports({"bot1": port}) == []


def test_preflight_names_a_taken_public_port_and_how_to_choose_another(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen()
    public = listener.getsockname()[1]
    ports = Ports(public=public, actions_lb=free_port(), engines=[free_port()],
                  actions=[free_port()], bots=[free_port()])
    try:
        problems = preflight(ports, model=tmp_path / "model.tar.gz")
    finally:
        listener.close()
    if run_cluster.find_nginx() is None:
        problems = problems[1:]
    assert problems == [
        f"{tmp_path / 'model.tar.gz'} is missing: run `make train`",
        f"port {public} (nginx (public)) is in use: see `ss -ltnp 'sport = :{public}'`",
        f"for another public port: CLUSTER_PORT={public + 10} make run-cluster",
    ]


def test_preflight_recognises_another_cluster_by_all_its_ports_in_use(tmp_path: Path) -> None:
    listeners = []
    for _ in range(5):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listeners.append(listener)
    public, lb, engine, actions, bot = (s.getsockname()[1] for s in listeners)
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    ports = Ports(public=public, actions_lb=lb, engines=[engine], actions=[actions], bots=[bot])
    try:
        problems = preflight(ports, model=model)
    finally:
        for listener in listeners:
            listener.close()
    assert problems[-1:] == [
        f"another `make run-cluster` is running: all of its ports ({public}, {lb}, {engine}, "
        f"{actions}, {bot}) are in use; Ctrl-C in its terminal stops it"]


def test_preflight_says_how_to_get_nginx(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setattr(run_cluster, "find_nginx", lambda: None)
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    ports = Ports(public=free_port(), actions_lb=free_port(), engines=[free_port()],
                  actions=[free_port()], bots=[free_port()])
    assert preflight(ports, model=model) == [
        "nginx is not installed: sudo apt-get install -y nginx (only the binary is used; its "
        "own site may stay stopped)"]


def test_dotenv_wins_over_makes_placeholders_and_the_rest_of_the_environment_stays() -> None:
    environ = {"ACTIONS_TOKEN": "not-for-serving", "PATH": "/usr/bin",
               "CLUSTER_REDIS_URL": "redis://127.0.0.1:6379/4"}
    dotenv = {"ACTIONS_TOKEN": "dev-secret", "APP_ENV": "dev", "EMPTY": None}
    assert cluster_env(dotenv, environ) == {
        "ACTIONS_TOKEN": "dev-secret", "PATH": "/usr/bin", "APP_ENV": "dev",
        "CLUSTER_REDIS_URL": "redis://127.0.0.1:6379/4"}


def test_redis_cluster_url_first_then_redis_url_then_the_local_default() -> None:
    up = {"redis://a:6379/4", "redis://b:6379/1", "redis://127.0.0.1:6379/0"}
    assert choose_redis({"CLUSTER_REDIS_URL": "redis://a:6379/4",
                         "REDIS_URL": "redis://b:6379/1"}, up.__contains__) == "redis://a:6379/4"
    assert choose_redis({"REDIS_URL": "redis://b:6379/1"}, up.__contains__) == "redis://b:6379/1"
    assert choose_redis({}, up.__contains__) == "redis://127.0.0.1:6379/0"
    assert choose_redis({}, lambda url: False) is None  # main() starts an embedded one


def test_a_named_redis_that_does_not_answer_is_an_error_without_its_password() -> None:
    with pytest.raises(ClusterError) as raised:
        choose_redis({"REDIS_URL": "redis://:hunter2@cache:6379/0"}, lambda url: False)
    message = str(raised.value)
    assert message.startswith("Redis does not answer at redis://:***@cache:6379/0 (REDIS_URL): "
                              "start it (sudo systemctl start redis-server)")
    assert "hunter2" not in message


def test_redacted_hides_only_the_password() -> None:
    assert redacted("postgresql://u:pw@db:5432/postgres") == "postgresql://u:***@db:5432/postgres"
    assert redacted("postgresql://postgres@127.0.0.1:5432/postgres") == (
        "postgresql://postgres@127.0.0.1:5432/postgres")


def test_an_unreachable_postgresql_says_what_to_do() -> None:
    url = f"postgresql://postgres:pw@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(ClusterError) as raised:
        start_database(url)
    message = str(raised.value)
    assert message.startswith(f"PostgreSQL does not answer at {redacted(url)} (")
    assert "CLUSTER_POSTGRES_URL=" in message and "systemctl start postgresql" in message
    assert ":pw@" not in message


def test_a_failing_preparation_step_shows_its_output(tmp_path: Path) -> None:
    env = {"APP_ENV_FILE": "", "APP_ENV": "prod", "PATH": "/usr/bin:/bin",
           "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/none"}
    steps: list[str] = []
    with pytest.raises(ClusterError) as raised:
        Cluster(PORTS, env, tmp_path).prepare(progress=steps.append)
    assert steps == ["migrating the database"]
    assert str(raised.value).startswith(
        "migrating the database failed (.venv/bin/alembic upgrade head):\n")
    assert "Connection refused" in str(raised.value)
