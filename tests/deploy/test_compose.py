"""deploy/: the production topology. `docker compose config` checks compose.yaml where Docker
Compose exists; everywhere, the Compose Specification's JSON schema (vendored from the
`docker-compose` 1.29.2 package: deploy/compose-spec.json) and nginx itself (`nginx -t` on
the configuration `make run-cluster` renders) check it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import jsonschema_rs
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    import json

    schema = json.loads((DEPLOY / "compose-spec.json").read_text())
    validator = jsonschema_rs.validator_for(schema)
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}"
              for e in validator.iter_errors(compose())]
    assert errors == []


def test_the_schema_check_catches_a_broken_file() -> None:
    import json

    validator = jsonschema_rs.validator_for(json.loads((DEPLOY / "compose-spec.json").read_text()))
    broken = compose()
    broken["services"]["bot1"]["ports"] = {"8080": 8080}  # must be a list
    broken["services"]["nginx"]["restart_policy"] = "always"  # no such key
    assert len(list(validator.iter_errors(broken))) >= 2


def test_the_topology_is_the_one_design_md_names() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "engine1", "engine2", "actions1", "actions2", "bot1", "bot2",
            "outreach", "nginx"} <= services.keys()
    # Reminders go out: the Procfile's outreach worker, with the bot workers' settings.
    assert services["outreach"]["command"] == ["python", "-m", "bot.outreach", "worker"]
    assert services["outreach"]["environment"] == services["bot1"]["environment"]
    assert services["outreach"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"}
    for engine in ("engine1", "engine2"):
        env = services[engine]["environment"]
        assert env["ENGINE_TRACKER_DB"].startswith("postgresql://")
        assert env["REDIS_URL"].startswith("redis://")
    assert services["bot1"]["environment"]["ENGINE_URLS"] == \
        "http://engine1:5005,http://engine2:5005"
    # Only nginx is published.
    assert [name for name, svc in services.items() if svc.get("ports")] == ["nginx"]


def test_nginx_balances_every_worker_and_action_server_of_the_compose_file() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream (\w+) \{(.*?)\}", conf, re.S))
    assert re.findall(r"server (\w+):", upstreams["bot_workers"]) == ["bot1", "bot2"]
    assert re.findall(r"server (\w+):", upstreams["action_servers"]) == ["actions1", "actions2"]
    assert "proxy_set_header Upgrade $http_upgrade" in conf  # WebSockets
    assert "proxy_buffering off" in conf  # server-sent events


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx is not installed")
def test_nginx_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    from scripts.run_cluster import Ports, render_nginx

    conf = tmp_path / "nginx.conf"
    conf.write_text(render_nginx(Ports.default(), tmp_path))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(subprocess.run(["docker", "compose", "version"], capture_output=True)
                    .returncode != 0 if shutil.which("docker") else True,
                    reason="Docker Compose is not installed")
def test_docker_compose_config_accepts_it() -> None:
    env = {"PUBLIC_BASE_URL": "https://example.org", "POSTGRES_PASSWORD": "x",
           "ENGINE_TOKEN": "x", "ACTIONS_TOKEN": "x", "BACKOFFICE_TOKEN": "x",
           "TWILIO_AUTH_TOKEN": "x", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    result = subprocess.run(["docker", "compose", "-f", str(DEPLOY / "compose.yaml"), "config",
                             "-q"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
