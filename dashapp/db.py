"""Database connections: a configured PostgreSQL, or the embedded one.

With no `DATABASE_URL` Pulse starts its own PostgreSQL (the `pgserver` wheel)
under `PULSE_HOME`, so a fresh machine needs no database setup at all. The
server is shared by every Pulse process on that home and stops with the last.

pgserver counts a server's users in `PGDATA/.handle_pids.json` and stops the
server from an `atexit` hook when the exiting process is the only pid left.
That is not enough here:

- a process that dies without running `atexit` (SIGTERM, a closed terminal's
  SIGHUP, a kill) leaves its pid in the list for good, and from then on every
  later Pulse sees "another user" and leaves the server running forever;
- it stops the postmaster it saw at start: after `pg_ctl restart` (the bench
  does one) the new postmaster is never stopped.

So Pulse takes the stop over (`release_embedded`, also run at exit): pids that
no longer exist are dropped from the list, and the postmaster is the one
`postmaster.pid` names now. The list and pgserver's lock are still used, so
processes of an older Pulse (or the bench) on the same home are counted.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from .config import Settings, get_settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_servers: dict[str, Any] = {}
_engines: list[Engine] = []


def _pgserver() -> Any:
    """pgserver, imported lazily (only the embedded default needs it).

    platformdirs warns at import when XDG_RUNTIME_DIR is unset (root over ssh,
    containers); pgserver only keeps a lock file there, so the warning says
    nothing a Pulse user can act on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pgserver
    return pgserver


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _running_postmaster(pgdata: Path) -> int | None:
    """The pid in `postmaster.pid` if that process runs (read now, not at start)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _live_users(users: Any) -> list[int]:
    """The pids in pgserver's list of a server's users that still exist; the dead are
    dropped from the list. Call with pgserver's inter-process lock held."""
    listed = users.get()
    alive = [pid for pid in listed if _alive(pid)]
    if alive != listed:
        users.put(alive)
    return alive


def embedded_server(pgdata: Path) -> Any:
    """Start (or join) the embedded PostgreSQL in `pgdata`; `release_embedded` leaves it."""
    pgdata = pgdata.resolve()
    with _lock:
        server = _servers.get(str(pgdata))
        if server is not None:
            return server
        pgserver = _pgserver()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        if _running_postmaster(pgdata):
            log.info("using the embedded PostgreSQL already running in %s", pgdata)
        else:
            log.info("starting embedded PostgreSQL in %s", pgdata)
        pgdata.mkdir(exist_ok=True)
        try:
            # a new handle each time (get_server would hand back one left earlier), and
            # no stop of pgserver's own: `release_embedded` does it, counting live pids
            server = pgserver.PostgresServer(pgdata, cleanup_mode=None)
        except BaseException:  # Ctrl-C while pg_ctl ran: stop what nobody else will
            _leave_safely(pgdata)
            raise
        _servers[str(pgdata)] = server
        atexit.unregister(release_embedded)  # once, however many servers
        atexit.register(release_embedded)
    return server


def embedded_url(settings: Settings) -> str:
    """Start (or reuse) the embedded PostgreSQL and return its SQLAlchemy URL."""
    uri = embedded_server(settings.pgdata).get_uri()
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


def _leave(pgdata: Path) -> None:
    """Take this process off the server's users; stop the server if nobody is left.

    Uses pgserver's own lock and list, so pgserver users that are not this Pulse
    (an older Pulse, a script) are counted too. Fast shutdown: a browser's open
    page holds pooled connections that a smart shutdown would wait for forever.
    """
    import fasteners
    from pgserver import PostgresServer, pg_ctl
    from pgserver.utils import DiskList

    me = os.getpid()
    users = DiskList(pgdata / ".handle_pids.json")
    # the inter-process lock pgserver starts and stops servers under
    with fasteners.InterProcessLock(PostgresServer.lock_path):
        users.get_and_remove(me)
        others = [pid for pid in _live_users(users) if pid != me]
        if others:
            log.info("the embedded PostgreSQL keeps running: %d other Pulse process(es) "
                     "use it (pid %s)", len(others), ", ".join(map(str, others)))
            return
        postmaster = _running_postmaster(pgdata)
        if postmaster is None:
            return
        # as root pgserver runs PostgreSQL as its own system user, which must stop it too
        user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
        try:
            pg_ctl(["-m", "fast", "-w", "-t", "60", "stop"], pgdata=pgdata, user=user)
        except subprocess.CalledProcessError:
            _signal_stop(postmaster)
    log.info("stopped the embedded PostgreSQL in %s", pgdata)


def _signal_stop(postmaster: int) -> None:
    """SIGINT is the fast shutdown `pg_ctl stop` asks for, and needs no path: pg_ctl fails
    when the server's user can no longer reach the folder (a parent's mode changed)."""
    import psutil

    try:
        proc = psutil.Process(postmaster)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    except psutil.NoSuchProcess:
        pass


def _leave_safely(pgdata: Path) -> None:
    try:
        _leave(pgdata)
    except Exception as exc:  # noqa: BLE001 - on the way out anyway: say so, don't crash
        log.warning("could not stop the embedded PostgreSQL in %s: %s", pgdata, exc)


def release_embedded() -> None:
    """Leave every embedded server this process joined; stop those nobody else uses.

    Run by `pulse` when it ends (Ctrl-C, SIGTERM, or done) and at exit. The
    engines are closed first so the server sees clean goodbyes, not dropped
    connections.
    """
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    if not servers:
        return
    for engine in _engines:
        engine.dispose()
    for server in servers:
        _leave_safely(server.pgdata)


def database_url(settings: Settings, role: str = "web") -> str:
    """The URL for a role: `loader` prefers PULSE_LOADER_DATABASE_URL, `web` the replica."""
    if settings.embedded:
        return embedded_url(settings)
    if role == "loader" and settings.loader_database_url:
        return settings.loader_database_url
    if role == "web" and settings.read_database_url:
        return settings.read_database_url
    assert settings.database_url is not None
    return settings.database_url


def redact(url: str) -> str:
    """A URL safe to log or show: the password is never printed."""
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, *, web: bool = False, statement_timeout_ms: int = 15_000,
                pool_size: int = 5) -> Engine:
    """An engine with a bounded pool; the web role also gets a statement timeout.

    TLS settings travel in the URL (`?sslmode=verify-full&sslrootcert=...`) or
    libpq's PGSSL* variables: psycopg2 hands both to libpq unchanged.
    """
    connect_args: dict[str, object] = {"connect_timeout": 5}
    if web:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return create_engine(
        url,
        pool_size=pool_size if web else 2,
        max_overflow=pool_size if web else 2,
        pool_timeout=10,
        pool_pre_ping=True,
        pool_recycle=1800,
        hide_parameters=True,  # errors never echo values (password hashes, verifiers)
        connect_args=connect_args,
    )


@lru_cache(maxsize=8)
def _cached_engine(url: str, web: bool, statement_timeout_ms: int, pool_size: int) -> Engine:
    engine = make_engine(url, web=web, statement_timeout_ms=statement_timeout_ms,
                         pool_size=pool_size)
    _engines.append(engine)
    return engine


def get_engine(role: str = "web", settings: Settings | None = None) -> Engine:
    """The process-wide engine for a role: `web` (reads, maybe a replica), `loader`
    (the owner) or `auth` (sign-in bookkeeping, which must reach the primary)."""
    settings = settings or get_settings()
    return _cached_engine(database_url(settings, role), role in ("web", "auth"),
                          settings.statement_timeout_ms, settings.db_pool_size)
