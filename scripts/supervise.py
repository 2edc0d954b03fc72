"""The dev runner's process supervisor (`make run`): starts the Procfile's processes, prints
their output with their names, and restarts one that exits without touching the others.

A process that exits is started again after a pause that doubles with each exit (1 s, 2 s,
4 s, ... at most 30 s). One that exits `--max-crashes` times within `--window` seconds is left
stopped, and the runner says so loudly with how to resume: `kill -USR1 <runner pid>` starts it
again (the others keep running), or Ctrl-C and `make run`. Ctrl-C (or SIGTERM, or closing
the terminal) stops them all.

    .venv/bin/python scripts/supervise.py -f Procfile redis actions engine bot
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

STOP_GRACE_SECONDS = 10.0
TICK_SECONDS = 0.1


def parse_procfile(path: Path) -> dict[str, str]:
    """`name: command` lines, in order; blank lines and `#` comments skipped."""
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}:{number}: expected 'name: command'")
        found[name.strip()] = command.strip()
    return found


def signal_name(code: int) -> str:
    """How a process ended, in words: "code 3", or "killed by SIGKILL"."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"code {code}"


@dataclass
class Proc:
    name: str
    command: str
    popen: subprocess.Popen[str] | None = None
    exits: deque[float] = field(default_factory=deque)
    start_at: float | None = 0.0  # when to (re)start it; None: not to be started
    given_up: bool = False


class Supervisor:
    def __init__(self, procs: list[Proc], backoff: float, max_backoff: float,
                 max_crashes: int, window: float, out: IO[str] = sys.stdout) -> None:
        self.procs = procs
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_crashes = max_crashes
        self.window = window
        self.out = out
        self.width = max([len(p.name) for p in procs] + [len("runner")])
        self._print_lock = threading.Lock()
        self.stopping = False
        self.resume = False

    def say(self, name: str, text: str) -> None:
        with self._print_lock:
            self.out.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def loud(self, text: str) -> None:
        for line in ["!" * 72, *text.splitlines(), "!" * 72]:
            self.say("runner", line)

    def _pump(self, proc: Proc, stream: IO[str]) -> None:
        for line in stream:
            self.say(proc.name, line.rstrip("\n"))

    def start(self, proc: Proc) -> None:
        # Its own process group, so stopping it stops what its shell started too.
        proc.popen = subprocess.Popen(
            ["/bin/sh", "-c", proc.command], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, bufsize=1,
            errors="replace", start_new_session=True)
        proc.start_at = None
        self.say(proc.name, f"started with pid {proc.popen.pid}")
        assert proc.popen.stdout is not None
        threading.Thread(target=self._pump, args=(proc, proc.popen.stdout), daemon=True).start()

    def exited(self, proc: Proc, code: int, now: float) -> None:
        """Schedules the restart of a process that exited, or gives up on it."""
        proc.popen = None
        proc.exits.append(now)
        while proc.exits and now - proc.exits[0] > self.window:
            proc.exits.popleft()
        count = len(proc.exits)
        if count >= self.max_crashes:
            proc.given_up = True
            self.loud(
                f"{proc.name} exited ({signal_name(code)}) {count} times in "
                f"{self.window:.0f} s: NOT restarting it. The other processes keep running.\n"
                f"Fix the cause (its output above), then resume it with: "
                f"kill -USR1 {os.getpid()}\n"
                f"(or stop everything with Ctrl-C and run `make run` again).")
            return
        delay = min(self.backoff * 2 ** (count - 1), self.max_backoff)
        proc.start_at = now + delay
        self.loud(f"{proc.name} exited ({signal_name(code)}): restarting it in {delay:g} s "
                  f"(exit {count} of {self.max_crashes} allowed within {self.window:.0f} s).")

    def tick(self) -> None:
        now = time.monotonic()
        if self.resume:
            self.resume = False
            for proc in self.procs:
                if proc.given_up:
                    self.say("runner", f"resuming {proc.name}")
                    proc.given_up = False
                    proc.exits.clear()
                    proc.start_at = now
        for proc in self.procs:
            if proc.popen is not None:
                code = proc.popen.poll()
                if code is not None:
                    self.exited(proc, code, now)
            elif proc.start_at is not None and now >= proc.start_at:
                self.start(proc)

    def stop_all(self) -> None:
        running = [p for p in self.procs if p.popen is not None]
        for proc in running:
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for proc in running:
            assert proc.popen is not None
            try:
                proc.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say("runner", f"{proc.name} did not stop in {STOP_GRACE_SECONDS:g} s: "
                                   "killing it")
                self._signal(proc, signal.SIGKILL)
                proc.popen.wait()
        for proc in self.procs:  # what the shells started, should one have outlived them
            if proc.popen is not None:
                self._signal(proc, signal.SIGKILL)

    @staticmethod
    def _signal(proc: Proc, sig: signal.Signals) -> None:
        assert proc.popen is not None
        try:
            os.killpg(proc.popen.pid, sig)
        except ProcessLookupError:
            pass

    def run(self) -> int:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stopping = True

        def resume(signum: int, frame: FrameType | None) -> None:
            self.resume = True

        # A closed terminal (SIGHUP) stops everything too, as Ctrl-C does.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, stop)
        signal.signal(signal.SIGUSR1, resume)
        self.say("runner", f"supervising {', '.join(p.name for p in self.procs)} "
                           f"(pid {os.getpid()}); Ctrl-C stops everything")
        try:
            while not self.stopping:
                self.tick()
                time.sleep(TICK_SECONDS)
        finally:
            self.say("runner", "stopping everything")
            self.stop_all()
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--procfile", type=Path, default=Path("Procfile"))
    parser.add_argument("--backoff", type=float, default=1.0,
                        help="seconds before the first restart; doubled at each exit")
    parser.add_argument("--max-backoff", type=float, default=30.0)
    parser.add_argument("--max-crashes", type=int, default=5,
                        help="exits within --window after which a process is left stopped")
    parser.add_argument("--window", type=float, default=300.0)
    parser.add_argument("names", nargs="*", help="processes to run (default: all)")
    args = parser.parse_args(argv)
    commands = parse_procfile(args.procfile)
    names = args.names or list(commands)
    unknown = [n for n in names if n not in commands]
    if unknown:
        parser.error(f"not in {args.procfile}: {', '.join(unknown)}")
    procs = [Proc(name, commands[name]) for name in names]
    return Supervisor(procs, args.backoff, args.max_backoff, args.max_crashes,
                      args.window).run()


if __name__ == "__main__":
    sys.exit(main())
