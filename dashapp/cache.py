"""Query-result cache: Redis when REDIS_URL is set, else files under PULSE_HOME.

Keys carry the data version, so a load makes every older entry unreachable at
once (they expire on their own). The cache is an optimisation, never a
dependency: when Redis is down, answers are computed uncached, the outage is
logged once, and the cache is tried again a few seconds later.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask_caching.backends import FileSystemCache, RedisCache

from .config import Settings

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
#: Part of every key. Raise it when a release changes what an answer holds (a definition,
#: a field), so answers cached by the previous release for the same data version are not
#: served after a deploy.
ANSWER_FORMAT = 2
_MISSING = object()


class ResultCache:
    """get-or-compute over flask-caching, surviving a backend that goes away."""

    def __init__(self, settings: Settings) -> None:
        # flask-caching's backends, built without a Flask app: the service (and the CLI,
        # the benchmarks) use the cache with no web server around it
        if settings.redis_url:
            client = redis.from_url(settings.redis_url, socket_connect_timeout=0.5,
                                    socket_timeout=1.0)
            self.cache: Any = RedisCache(host=client, key_prefix="pulse:",
                                         default_timeout=settings.cache_timeout)
            self.kind = "redis"
        else:
            settings.cache_dir.mkdir(parents=True, exist_ok=True)
            self.cache = FileSystemCache(str(settings.cache_dir), threshold=5000,
                                         default_timeout=settings.cache_timeout)
            self.kind = "filesystem"
        self._down_since: float | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def available(self) -> bool:
        return self._down_since is None

    def _usable(self) -> bool:
        with self._lock:
            return self._down_since is None or time.monotonic() - self._down_since > RETRY_SECONDS

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            if self._down_since is None:
                log.warning("cache (%s) unavailable, serving uncached: %s", self.kind, exc)
            self._down_since = time.monotonic()

    def _worked(self) -> None:
        if self._down_since is not None:
            with self._lock:
                if self._down_since is not None:
                    log.warning("cache (%s) is back", self.kind)
                self._down_since = None

    @staticmethod
    def key(*parts: object) -> str:
        raw = "|".join(str(p) for p in (ANSWER_FORMAT, *parts))
        return hashlib.sha256(raw.encode()).hexdigest()[:40]

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        value = _MISSING
        if self._usable():
            try:
                value = self.cache.get(key)
                self._worked()
            except Exception as exc:  # noqa: BLE001 - any backend failure means "no cache"
                self._failed(exc)
                value = _MISSING
            if value is None:
                value = _MISSING
        if value is not _MISSING:
            self.hits += 1
            return value
        self.misses += 1
        value = compute()
        if self._usable():
            try:
                self.cache.set(key, value)
                self._worked()
            except Exception as exc:  # noqa: BLE001
                self._failed(exc)
        return value

    def status(self) -> str:
        if not self._usable() or self._down_since is not None:
            return f"{self.kind} unavailable"
        try:
            self.cache.get("pulse-health-probe")
            self._worked()
            return f"{self.kind} ok"
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return f"{self.kind} unavailable"
