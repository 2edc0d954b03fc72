"""tests/support/cluster.py: ports below the ephemeral range, its own Redis db, and nothing
left behind when a cluster fails to start or ends (processes, databases, work directory).
The cluster itself runs in `make test-cluster`; here its processes and databases are fakes."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.run_cluster import Cluster
from tests.support import cluster as support


def test_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    ports = support.cluster_ports(engines=2)
    every = [*ports.named().values()]
    assert len(every) == len(set(every)) == 8
    assert all(20000 <= port <= 32767 for port in every), every


def test_free_port_skips_ports_in_use_and_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    tries = iter([25000, 25001, 25001, 25002])
    monkeypatch.setattr(support.random, "randint", lambda low, high: next(tries))
    monkeypatch.setattr(support, "port_taken", lambda port: port == 25000)
    taken: set[int] = set()
    assert support.free_port(taken) == 25001
    assert support.free_port(taken) == 25002  # 25000 listens, 25001 is handed out already
    assert taken == {25001, 25002}


def test_free_port_gives_up_when_none_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(support, "port_taken", lambda port: True)
    with pytest.raises(RuntimeError, match="no free port between 20000 and 32767"):
        support.free_port()


def test_redis_db_from_the_environment_else_6(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTER_TEST_REDIS_URL", raising=False)
    assert support.cluster_redis_url() == "redis://127.0.0.1:6379/6"
    monkeypatch.setenv("CLUSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
    assert support.cluster_redis_url() == "redis://127.0.0.1:6379/12"


class Faked:
    """What the fakes saw: databases made and dropped, Redis dbs flushed, work dirs."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.dropped: list[str] = []
        self.flushed: list[str] = []
        self.workdirs: list[Path] = []
        self.fail_create: str | None = None
        self.fail_start = False
        self.processes: list[subprocess.Popen[bytes]] = []


@pytest.fixture
def faked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Faked]:
    seen = Faked()
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setattr(support, "MODEL", model)
    monkeypatch.delenv("CLUSTER_TEST_KEEP_WORKDIR", raising=False)

    def create_database(admin: str, name: str, fresh: bool) -> str:
        if name.startswith(seen.fail_create or "\0"):
            raise RuntimeError(f"could not create {name}")
        seen.created.append(name)
        return f"{admin.rsplit('/', 1)[0]}/{name}"

    class FakeRedis:
        def __init__(self, url: str) -> None:
            self.url = url

        @classmethod
        def from_url(cls, url: str) -> FakeRedis:
            return cls(url)

        def flushdb(self) -> None:
            seen.flushed.append(self.url)

    class FakeCluster(Cluster):
        """Its processes: one real `sleep` per start, so stopping them can be checked."""

        def prepare(self, progress: object = None) -> None:
            seen.workdirs.append(self.workdir)

        def start_all(self) -> None:
            (self.workdir / "engine1.log").write_text("engine1 started\nengine1 says boom\n")
            proc = subprocess.Popen(["sleep", "60"])
            seen.processes.append(proc)
            self.processes["engine1"] = proc
            if seen.fail_start:
                raise RuntimeError("engine2 would not start")

        def wait_ready(self, timeout: float = 600, progress: object = None) -> None:
            pass

    import redis

    monkeypatch.setattr(support, "create_database", create_database)
    monkeypatch.setattr(support, "drop_database", lambda url: seen.dropped.append(url))
    monkeypatch.setattr(redis, "Redis", FakeRedis)
    monkeypatch.setattr(support, "Cluster", FakeCluster)
    yield seen
    for proc in seen.processes:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def names(urls: list[str]) -> list[str]:
    return [url.rsplit("/", 1)[1].rsplit("_", 1)[0] for url in urls]


def test_a_failure_creating_the_second_database_drops_the_first(faked: Faked) -> None:
    faked.fail_create = "pa_cluster_tracker_"
    with pytest.raises(RuntimeError, match="could not create pa_cluster_tracker_"):
        with support.running_cluster():
            pytest.fail("the cluster must not start")
    assert [name.rsplit("_", 1)[0] for name in faked.created] == ["pa_cluster"]
    assert names(faked.dropped) == ["pa_cluster"]
    assert faked.flushed == []


def test_a_failed_start_stops_what_started_drops_the_databases_and_removes_the_workdir(
        faked: Faked, capsys: pytest.CaptureFixture[str]) -> None:
    faked.fail_start = True
    with pytest.raises(RuntimeError, match="engine2 would not start"):
        with support.running_cluster(redis_url="redis://127.0.0.1:6379/12"):
            pytest.fail("the cluster must not start")
    (started,) = faked.processes
    assert started.poll() is not None  # stopped, not left running
    assert names(faked.dropped) == ["pa_cluster_tracker", "pa_cluster"]
    (workdir,) = faked.workdirs
    assert workdir.name.startswith("pa-cluster-") and not workdir.exists()
    assert faked.flushed == ["redis://127.0.0.1:6379/12"]
    # The logs go with the work directory: their ends are printed first.
    assert "--- engine1.log (last 2 lines)\nengine1 started\nengine1 says boom" in (
        capsys.readouterr().err)


def test_a_cluster_that_ran_leaves_nothing_behind(faked: Faked,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
    with support.running_cluster() as running:
        (workdir,) = faked.workdirs
        assert running.stack.processes["engine1"].poll() is None
        assert running.stack.bot_url == f"http://127.0.0.1:{running.cluster.ports.public}"
        assert running.stack.env["REDIS_URL"] == "redis://127.0.0.1:6379/12"
    assert faked.processes[0].poll() is not None
    assert names(faked.dropped) == ["pa_cluster_tracker", "pa_cluster"]
    assert not workdir.exists()
    assert faked.flushed == ["redis://127.0.0.1:6379/12"]


def test_the_workdir_is_kept_when_asked(faked: Faked, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTER_TEST_KEEP_WORKDIR", "1")
    with support.running_cluster(redis_url="redis://127.0.0.1:6379/12"):
        pass
    (workdir,) = faked.workdirs
    try:
        assert (workdir / "engine1.log").exists()
    finally:
        import shutil

        shutil.rmtree(workdir)
