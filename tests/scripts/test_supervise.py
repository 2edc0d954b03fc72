"""scripts/supervise.py, the dev runner's supervisor, with real processes: one killed comes
back and the others are untouched; one that keeps dying is left stopped with a loud message
and resumed by SIGUSR1; Ctrl-C stops every process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.supervise import parse_procfile

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
# Prints its pid, then lives until stopped.
LIVES = (f"""exec {PY} -c "import os, time; """
         """print('{} up', os.getpid(), flush=True); time.sleep(600)\"""")
DIES = f"""exec {PY} -c "import sys; print('crashy up', flush=True); sys.exit(3)\""""


class Runner:
    def __init__(self, procfile: Path, *args: str) -> None:
        self.popen = subprocess.Popen(
            [PY, str(ROOT / "scripts" / "supervise.py"), "-f", str(procfile), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.start = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.put(line.rstrip("\n"))

    def mark(self) -> None:
        """Later waits look only at the lines printed from now on."""
        self.drain()
        self.start = len(self.seen)

    def drain(self) -> None:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first line since the mark matching `pattern`, waiting for it if need be."""
        deadline = time.monotonic() + timeout
        checked = self.start
        while True:
            self.drain()
            for line in self.seen[checked:]:
                match = re.search(pattern, line)
                if match:
                    return match
            checked = len(self.seen)
            if time.monotonic() > deadline:
                raise AssertionError(f"no line matching {pattern!r}; seen:\n" +
                                     "\n".join(self.seen))
            time.sleep(0.05)

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
        return self.popen.wait(30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by its parent) is not alive.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split(") ")[-1][0] != "Z"


def gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def procfile(tmp_path: Path) -> Path:
    path = tmp_path / "Procfile"
    path.write_text("# two that live, one that dies at once\n"
                    f"steady: {LIVES.format('steady')}\n"
                    f"victim: {LIVES.format('victim')}\n\n"
                    f"crashy: {DIES}\n", encoding="utf-8")
    return path


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    started: list[Runner] = []
    yield started
    for runner in started:
        runner.stop()


def test_the_procfile_is_read_in_order(procfile: Path) -> None:
    assert list(parse_procfile(procfile)) == ["steady", "victim", "crashy"]


def test_a_killed_process_comes_back_and_the_others_keep_running(
        procfile: Path, runners: list[Runner]) -> None:
    runner = Runner(procfile, "--backoff", "0.2", "steady", "victim")
    runners.append(runner)
    steady = int(runner.wait_for(r"steady +\| steady up (\d+)").group(1))
    victim = int(runner.wait_for(r"victim +\| victim up (\d+)").group(1))
    runner.mark()
    os.kill(victim, signal.SIGKILL)
    runner.wait_for(r"!!!!")
    runner.wait_for(r"victim exited \(killed by SIGKILL\): restarting it in 0.2 s")
    back = int(runner.wait_for(r"victim +\| victim up (\d+)").group(1))
    assert back != victim and alive(back)
    assert alive(steady) and runner.popen.poll() is None
    # Ctrl-C stops every process it started.
    assert runner.stop() == 0
    assert gone(back) and gone(steady)


def test_one_that_keeps_dying_is_left_stopped_loudly_and_resumed_by_sigusr1(
        procfile: Path, runners: list[Runner]) -> None:
    runner = Runner(procfile, "--backoff", "0.05", "--max-crashes", "3", "steady", "crashy")
    runners.append(runner)
    steady = int(runner.wait_for(r"steady +\| steady up (\d+)").group(1))
    runner.wait_for(r"crashy exited \(code 3\) 3 times in 300 s: NOT restarting it")
    resume = runner.wait_for(r"resume it with: kill -USR1 (\d+)")
    assert int(resume.group(1)) == runner.popen.pid
    time.sleep(1)  # left stopped: no fourth start
    runner.drain()
    assert sum("crashy | crashy up" in line for line in runner.seen) == 3
    assert alive(steady)
    runner.mark()
    os.kill(runner.popen.pid, signal.SIGUSR1)
    runner.wait_for(r"resuming crashy")
    runner.wait_for(r"crashy +\| crashy up")
    assert alive(steady)
    # A closed terminal stops everything.
    runner.popen.send_signal(signal.SIGHUP)
    assert runner.popen.wait(30) == 0 and gone(steady)



def test_make_run_starts_the_processes_under_the_supervisor() -> None:
    run = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert 'exec .venv/bin/python scripts/supervise.py -f Procfile "${processes[@]}"' in run
    assert "honcho" not in run  # it stops every process when one exits
