"""Real services started by the tests themselves: a Redis server on a free port, and
what finds the processes a test run left behind.

Every process the suite starts (PostgreSQL through pgserver or pg_ctl, Redis,
Chromium, `pulse serve`, gunicorn) inherits the environment, so a mark put
there at the start of the run (`RUN_MARK`) names them all, and only them: the
machine is shared with other people's runs and servers.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

RUN_MARK = "PULSE_TEST_RUN"
WORKER_MARK = "PULSE_TEST_WORKER_RUN"  # under pytest-xdist, what one worker started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throwaway redis-server on 127.0.0.1 that a test can stop and start again."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                raise RuntimeError("redis-server is missing in CI: scripts/bootstrap --test "
                                   "installs it")
            pytest.skip("redis-server is not installed (Debian package redis-server)")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def _carries(proc: psutil.Process, mark: str, var: str) -> bool:
    try:
        return proc.environ().get(var) == mark
    except (psutil.Error, OSError):  # gone, a zombie, or another user's
        return False


def left_running(mark: str, wait: float = 15.0, var: str = RUN_MARK) -> list[psutil.Process]:
    """Processes carrying `mark` still alive after up to `wait` seconds (a browser or a
    server told to stop may need a moment)."""
    deadline = time.monotonic() + wait
    while True:
        found = [p for p in psutil.process_iter(["name", "cmdline"])
                 if p.pid != os.getpid() and _carries(p, mark, var)]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def describe(proc: psutil.Process) -> str:
    cmdline = " ".join(proc.info.get("cmdline") or []) or proc.info.get("name") or "?"
    return f"pid {proc.pid}: {cmdline[:160]}"


def stop_all(procs: list[psutil.Process]) -> None:
    """Stop leftovers from the top: a postmaster with SIGINT (fast shutdown, it ends its
    own backends), anything else with SIGTERM, then SIGKILL for what stays."""
    pids = {p.pid for p in procs}
    tops = [p for p in procs if p.ppid() not in pids]
    for proc in tops:
        try:
            proc.send_signal(signal.SIGINT if proc.info.get("name") == "postgres"
                             else signal.SIGTERM)
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(tops, timeout=20)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            pass
