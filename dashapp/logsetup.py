"""Logs: readable lines on a terminal, one JSON object per line everywhere else.

Heroku, Render, Fly and Dokku collect a process's stdout/stderr line by line
and ship each line to a log drain; a multi-line traceback becomes a dozen
unrelated lines there. So when nobody is watching a terminal every record
(request, outage, recovery, crash) is a single JSON line, with the traceback
escaped inside it. A person who typed `scripts/run` reads `12:00:01 INFO
pulse: ...` instead: JSON there is noise. `PULSE_LOG_FORMAT=json|text`
overrides the guess either way (app.json sets json, so `heroku run` in a
terminal logs like the dynos).

Third-party libraries narrate their work at INFO (pgserver prints every
initdb/pg_ctl command line with its whole output, alembic every plugin it
sets up): those loggers are held at WARNING unless `pulse -v` asks for more.

Credentials must never reach a log: database URLs carry passwords, and a
driver error or a misconfigured URL can land in a message. Every formatter
here (JSON and text) runs messages and tracebacks through `scrub`.

Used by `pulse` (through `configure_logging`) and by gunicorn (through
`--logger-class dashapp.logsetup.GunicornLogger`, see the Procfile), so both
servers log the same way. `watch_engine` adds the database's state changes:
one line when it becomes unreachable or slow, one when it is back.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event

_SECRET_PATTERNS = [
    # scheme://user:password@host  ->  scheme://user:***@host
    (re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+@"), r"\g<pre>***@"),
    # libpq keyword strings and query parameters: password=..., sslpassword=...
    (re.compile(r"(?i)(?P<pre>\b(?:ssl)?password\s*=\s*)('[^']*'|\S+)"), r"\g<pre>***"),
    # Authorization headers and bearer tokens, and Pulse API tokens wherever they appear
    (re.compile(r"(?i)(?P<pre>\bbearer\s+)\S+"), r"\g<pre>***"),
    (re.compile(r"\bpulse_[A-Za-z0-9_-]{16,}"), "pulse_***"),
]

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {
    "message", "asctime", "taskName",
}


def scrub(text: str) -> str:
    """The text with passwords and tokens replaced by `***`."""
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


class JsonFormatter(logging.Formatter):
    """`{"ts": ..., "level": ..., "logger": ..., "msg": ..., ...extra}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in body:
                body[key] = value if isinstance(value, int | float | bool | None) else scrub(
                    str(value))
        if record.exc_info:
            body["exc"] = scrub(self.formatException(record.exc_info))
        elif record.exc_text:
            body["exc"] = scrub(record.exc_text)
        if record.stack_info:
            body["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(body, ensure_ascii=False, default=str)


class ScrubbingFormatter(logging.Formatter):
    """The human-readable format for terminals, with the same scrubbing."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


#: Loggers that narrate routine work at INFO (every initdb/pg_ctl command line, alembic's
#: plugins and context, one line per HTTP request, Dash's banner); held at WARNING
#: unless verbose.
CHATTY = ("pgserver", "alembic", "werkzeug", "dash")


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def log_format(stream: Any = None, environ: Mapping[str, str] | None = None) -> str:
    """`json` or `text` for logs written to `stream` (default stderr).

    `PULSE_LOG_FORMAT` (json|text) wins; otherwise text only when a person is
    looking: the log stream is a terminal. A pipe, a file or a log collector
    (Heroku, systemd, docker) gets JSON, one record per line.
    """
    env = os.environ if environ is None else environ
    chosen = env.get("PULSE_LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "text"):
        return chosen
    return "text" if _is_terminal(sys.stderr if stream is None else stream) else "json"


def text_formatter() -> logging.Formatter:
    """`12:00:01 INFO pulse: message`: the date is on the person's screen already."""
    return ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                              datefmt="%H:%M:%S")


class PulseHandler(logging.StreamHandler):
    """Our own handler, told apart from one that pytest or an embedding program installed."""


def configure_logging(level: int = logging.INFO, fmt: str = "json",
                      stream: Any = None, force: bool = False) -> logging.Handler | None:
    """Route every logger through one handler on stderr in the chosen format.

    Like `logging.basicConfig`, it leaves a root logger that someone else
    (pytest, an embedding program) already equipped alone unless `force`;
    its own handler from an earlier call is replaced. Python warnings go
    through the same handler, so a JSON log stays one object per line.
    """
    root = logging.getLogger()
    foreign = [h for h in root.handlers if not isinstance(h, PulseHandler)]
    if foreign and not force:
        return None
    handler = PulseHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else text_formatter())
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if level <= logging.DEBUG
                                         else logging.WARNING)
    logging.captureWarnings(True)
    return handler


# --- gunicorn -------------------------------------------------------------------

try:
    from gunicorn.glogging import Logger as _GunicornBase
except ImportError:  # pragma: no cover - gunicorn is a dependency, but keep the module importable
    _GunicornBase = object  # type: ignore[assignment,misc]


class GunicornLogger(_GunicornBase):  # type: ignore[misc,valid-type]
    """gunicorn's logger in Pulse's format for its own messages, the access log and the app.

    gunicorn creates it in the master before forking, so the workers inherit the
    root handler too and the app's loggers (dashapp.*, sqlalchemy) write the same
    format: JSON on a dyno, readable lines when run by hand in a terminal.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        fmt = log_format()
        for logger in (self.error_log, self.access_log):
            for handler in logger.handlers:
                handler.setFormatter(JsonFormatter() if fmt == "json" else text_formatter())
        level = logging.DEBUG if cfg.loglevel.lower() == "debug" else logging.INFO
        configure_logging(level, fmt, force=True)
        # gunicorn's loggers write through their own handlers; don't print them twice
        self.error_log.propagate = False
        self.access_log.propagate = False

    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        """One line per request; headers (cookies, Authorization) are never logged."""
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict
                or self.cfg.syslog):
            return
        status = resp.status
        code = int(status.split()[0]) if isinstance(status, str) else int(status or 0)
        self.access_log.info(
            "%s %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), code,
            extra={
                "event": "request",
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("PATH_INFO"),
                "query": environ.get("QUERY_STRING") or None,
                "status": code,
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "remote": environ.get("REMOTE_ADDR"),
            },
        )


# --- database state changes ---------------------------------------------------------


class _EngineWatch:
    """Remembers whether a database was reachable, to log changes once, not per request."""

    SLOW_EVERY = 30.0  # seconds between two "slow" lines while timeouts keep happening

    def __init__(self, role: str) -> None:
        self.role = role
        self.down_since: float | None = None
        self.slow_logged = 0.0
        self.lock = threading.Lock()
        self.log = logging.getLogger("dashapp.db")

    def unavailable(self, reason: str) -> None:
        with self.lock:
            if self.down_since is not None:
                return
            self.down_since = time.monotonic()
        self.log.warning("database (%s) unavailable: %s", self.role, reason,
                         extra={"event": "database_unavailable", "role": self.role,
                                "reason": reason})

    def slow(self) -> None:
        with self.lock:
            now = time.monotonic()
            if now - self.slow_logged < self.SLOW_EVERY:
                return
            self.slow_logged = now
        self.log.warning("database (%s) answering too slowly (statement timeout)", self.role,
                         extra={"event": "database_slow", "role": self.role})

    def worked(self) -> None:
        if self.down_since is None:  # the common case: no lock, no work
            return
        with self.lock:
            if self.down_since is None:
                return
            down_for, self.down_since = time.monotonic() - self.down_since, None
        self.log.warning("database (%s) is back after %.0f s", self.role, down_for,
                         extra={"event": "database_ok", "role": self.role,
                                "after_seconds": round(down_for, 1)})


#: Engines already watched (a second watch would log every event twice).
_WATCHED: weakref.WeakSet = weakref.WeakSet()


def watch_engine(engine: Engine, role: str = "web") -> None:
    """Log when `engine`'s database becomes unreachable or slow, and when it recovers."""
    if engine.dialect.name != "postgresql" or engine in _WATCHED:
        return
    _WATCHED.add(engine)
    watch = _EngineWatch(role)

    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        exc = context.original_exception
        lines = str(exc).strip().splitlines()
        reason = lines[0] if lines else type(exc).__name__
        if "statement timeout" in reason or "canceling statement" in reason:
            watch.slow()
        elif context.is_disconnect or context.connection is None or \
                type(exc).__name__ == "OperationalError":
            watch.unavailable(reason)

    @event.listens_for(engine, "after_cursor_execute")
    def _on_execute(*args: Any) -> None:
        watch.worked()
