"""What a person sees running `pulse serve` in a terminal, and that Ctrl-C cleans up.

The first run on a fresh PULSE_HOME starts the embedded PostgreSQL, loads demo data and
serves; in a terminal that must read as a few plain lines ending with one "ready" line
(no JSON, no pgserver command dumps, no banners), and Ctrl-C must stop the PostgreSQL
it started. The run happens under a real pseudo-terminal (`pty.fork`), and Ctrl-C is
the byte a keyboard sends (0x03), so the terminal's line discipline delivers SIGINT as
it would to a person's shell.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from services import free_port

from dashapp import logsetup

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


# --- which format -------------------------------------------------------------------------


@pytest.mark.parametrize("env, tty, expected", [
    ({}, True, "text"),
    ({}, False, "json"),
    ({"PULSE_LOG_FORMAT": "json"}, True, "json"),
    ({"PULSE_LOG_FORMAT": "JSON "}, True, "json"),
    ({"PULSE_LOG_FORMAT": "text"}, False, "text"),
    ({"PULSE_LOG_FORMAT": "fancy"}, True, "text"),  # unknown: the guess, not an error
    ({"PULSE_LOG_FORMAT": "fancy"}, False, "json"),
])
def test_log_format_is_text_on_a_terminal_json_elsewhere(env, tty, expected):
    assert logsetup.log_format(Stream(tty), env) == expected


def test_log_format_of_a_closed_or_plain_stream_is_json():
    with open(os.devnull) as closed:
        pass
    assert logsetup.log_format(closed, {}) == "json"
    assert logsetup.log_format(object(), {}) == "json"


@pytest.fixture
def own_root_logger():
    """configure_logging(force=True) replaces pytest's handlers: put everything back."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logsetup.CHATTY}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


def test_text_lines_are_short_and_third_party_chatter_is_held_back(own_root_logger):
    out = Stream(True)
    logsetup.configure_logging(logging.INFO, "text", stream=out, force=True)
    logging.getLogger("pulse").info("Pulse is ready: %s", "http://127.0.0.1:8050/")
    logging.getLogger("pgserver").info("Running commandline: initdb ...")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.x")
    logging.getLogger("pgserver").warning("Failed to stop server")
    logging.getLogger("dashapp.db").info("postgresql://pulse:s3cret@db/pulse is down")
    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO pulse: Pulse is ready: http://127.0.0.1:8050/",
                        lines[0]), lines
    assert lines[1].endswith("WARNING pgserver: Failed to stop server")
    assert lines[2].endswith("INFO dashapp.db: postgresql://pulse:***@db/pulse is down")
    assert len(lines) == 3


def test_json_lines_and_verbose_lets_everything_through(own_root_logger):
    out = Stream(False)
    logsetup.configure_logging(logging.DEBUG, "json", stream=out, force=True)
    logging.getLogger("pgserver").info("Running commandline: initdb ...")
    record = json.loads(out.getvalue())
    assert record["logger"] == "pgserver" and record["level"] == "info"


# --- a first run in a terminal ------------------------------------------------------------


def _read_until(fd: int, buf: bytearray, done, timeout: float) -> bool:
    """Read the terminal into `buf` until `done(text)` or the timeout; False on timeout."""
    deadline = time.monotonic() + timeout
    while not done(buf.decode(errors="replace")):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal (it exited)
                return done(buf.decode(errors="replace"))
            if not chunk:
                return done(buf.decode(errors="replace"))
            buf += chunk
    return True


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def _exit_status(pid: int, timeout: float) -> int | None:
    """The child's wait status, or None if it is still running after `timeout` (a
    blocking wait would hang the whole run on a server that ignores Ctrl-C)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    return None


def _screen(raw: bytearray) -> list[str]:
    """The lines as a person reads them: a progress bar's redraws collapse to the last."""
    text = ANSI.sub("", raw.decode(errors="replace"))
    return [line.rsplit("\r", 1)[-1] for line in text.replace("\r\n", "\n").split("\n")]


@pytest.fixture
def fresh_home():
    # Under /tmp, not pytest's tmp_path: as root, pgserver runs PostgreSQL as its own user,
    # which must reach the folder (see test_dashboard.own_postgres).
    home = Path(tempfile.mkdtemp(prefix="pulse-cli-tty-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_first_run_in_a_terminal_reads_well_and_ctrl_c_stops_postgres(fresh_home):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "PULSE_LOG_FORMAT")}
    env.update(PULSE_HOME=str(fresh_home), PULSE_DEMO_ORDERS="300", TERM="xterm",
               PYTHONPATH=str(ROOT))
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal session of its own, like a shell's
        try:
            # a shell starts a program with Ctrl-C at its default; a pytest-xdist worker
            # ignores SIGINT, and an ignored signal stays ignored across exec, so the
            # server would never see the Ctrl-C below (the run hung on it)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "dashapp.cli", "serve",
                                       "--port", str(port)], env)
        finally:
            os._exit(127)  # never back into pytest
    out = bytearray()
    try:
        url = f"http://127.0.0.1:{port}/"
        ready = _read_until(fd, out, lambda t: "Pulse is ready" in t, timeout=90)
        assert ready, "no ready line:\n" + out.decode(errors="replace")[-3000:]
        postmaster = int((fresh_home / "pgdata" / "postmaster.pid").read_text().split()[0])
        with urllib.request.urlopen(url + "healthz", timeout=10) as resp:
            assert resp.status == 200

        os.write(fd, b"\x03")  # Ctrl-C
        _read_until(fd, out, lambda t: "stopped the embedded PostgreSQL" in t, timeout=30)
        status = _exit_status(pid, timeout=30)
        assert status is not None, "Ctrl-C did not stop `pulse serve`:\n" + \
            out.decode(errors="replace")[-3000:]
        pid = 0
        assert os.waitstatus_to_exitcode(status) == 0
        assert _gone(postmaster, timeout=10), "Ctrl-C left the embedded PostgreSQL running"
        assert not (fresh_home / "pgdata" / "postmaster.pid").exists()
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        _read_until(fd, out, lambda t: False, timeout=0.5)
        os.close(fd)

    lines = [line for line in _screen(out) if line.strip()]
    text = "\n".join(lines)
    assert not [line for line in lines if line.lstrip().startswith("{")], text
    for noise in ("Running commandline", "pg_ctl", "initdb", "setup plugin", "Context impl",
                  "Dash is running", "Serving Flask app", "development server", "Warning",
                  "WARNING", "deprecated", "XDG_RUNTIME_DIR", "Traceback"):
        assert noise not in text, f"{noise!r} in what a person sees:\n{text}"
    ready_lines = [line for line in lines if "ready" in line]
    assert len(ready_lines) == 1, text
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO pulse: Pulse is ready: "
                        + re.escape(url) + r" \(Ctrl-C to stop\)", ready_lines[0]), text
    assert lines[-1].endswith(f"stopped the embedded PostgreSQL in {fresh_home / 'pgdata'}")
    assert "... loading the demo dataset" in text and "(synthetic data)" in text
    assert len(lines) < 45, text


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_user_that_died_without_cleaning_up_does_not_keep_postgres_up(fresh_home):
    """The leak behind "Ctrl-C leaves PostgreSQL running": a Pulse that was killed (or
    whose terminal was closed) stays in pgserver's list of users, and pgserver alone
    then never stops the server again."""
    from dashapp import db

    pgdata = fresh_home / "pgdata"
    db.embedded_server(pgdata)
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    users = pgdata / ".handle_pids.json"
    users.write_text(json.dumps([_dead_pid(), *json.loads(users.read_text())]))
    db.release_embedded()
    assert _gone(postmaster, timeout=10)
    assert json.loads(users.read_text()) == []
