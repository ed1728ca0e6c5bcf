"""Database connections: a configured PostgreSQL, or the embedded one.

With no `DATABASE_URL` Pulse starts its own PostgreSQL (the `pgserver` wheel)
under `PULSE_HOME`, so a fresh machine needs no database setup at all. The
server is shared by every Pulse process on that home and stops with the last.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from .config import Settings, get_settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_servers: dict[str, object] = {}


def embedded_url(settings: Settings) -> str:
    """Start (or reuse) the embedded PostgreSQL and return its SQLAlchemy URL."""
    key = str(settings.pgdata)
    with _lock:
        server = _servers.get(key)
        if server is None:
            import pgserver  # imported lazily: only the embedded default needs it

            settings.pgdata.parent.mkdir(parents=True, exist_ok=True)
            log.info("starting embedded PostgreSQL in %s", settings.pgdata)
            server = pgserver.get_server(settings.pgdata, cleanup_mode="stop")
            _servers[key] = server
    uri = server.get_uri()  # type: ignore[attr-defined]
    return uri.replace("postgresql://", "postgresql+psycopg2://", 1)


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
    return make_engine(url, web=web, statement_timeout_ms=statement_timeout_ms,
                       pool_size=pool_size)


def get_engine(role: str = "web", settings: Settings | None = None) -> Engine:
    """The process-wide engine for a role: `web` (reads, maybe a replica), `loader`
    (the owner) or `auth` (sign-in bookkeeping, which must reach the primary)."""
    settings = settings or get_settings()
    return _cached_engine(database_url(settings, role), role in ("web", "auth"),
                          settings.statement_timeout_ms, settings.db_pool_size)
