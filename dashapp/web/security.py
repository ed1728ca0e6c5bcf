"""Web hardening that needs no user: headers, HTTPS, request size, API rate limits.

Why each piece is here:

* **CSP** stops injected script from running. Dash renders one inline script
  (the renderer bootstrap) plus any clientside callbacks; their SHA-256 hashes
  (`Dash.csp_hashes()`) are allowed, nothing else inline is. Styles keep
  'unsafe-inline' because plotly.js injects `<style>` elements and Dash sets
  style attributes; a style cannot run code. `frame-ancestors 'none'` (and
  X-Frame-Options for old browsers) prevents clickjacking.
* **HSTS** only on requests that arrived over HTTPS (directly or through a
  trusted proxy, `PULSE_TRUSTED_PROXIES`): sending it over plain HTTP is
  ignored by browsers, and sending it on a laptop's http://127.0.0.1 would be
  wrong anyway.
* **Request size**: the app reads nothing big (filters, callback state), so
  `PULSE_MAX_REQUEST_BYTES` (2 MB) turns a memory-exhaustion attempt into a 413.
* **API rate limit** per client address and minute, counted in Redis when
  there is one (so the limit holds across workers and dynos) and in the
  process otherwise. The page's callbacks are not limited: one filter change
  fires a dozen of them. Loopback clients are exempt when sign-in is off,
  which is the local, single-user mode.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Settings, is_loopback
from .auth import auth_required

if TYPE_CHECKING:
    import dash

log = logging.getLogger(__name__)

HSTS = "max-age=31536000; includeSubDomains"
#: Data responses (API, callbacks) get the strictest policy: opened as a page, they load
#: nothing. Scripts and styles get none (a policy on a script would bind a worker made
#: from it).
CSP_NON_HTML = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
RATE_WINDOW = 60  # seconds
REDIS_RETRY_SECONDS = 5.0


def page_csp(app: dash.Dash) -> str:
    """The page's policy: scripts from this origin plus Dash's own inline scripts, by hash."""
    scripts = " ".join(["'self'", *app.csp_hashes()])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class RateLimiter:
    """Fixed one-minute windows per key; Redis-backed when available, else per process."""

    def __init__(self, per_minute: int, redis_url: str | None) -> None:
        self.per_minute = per_minute
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=0.3,
                                               socket_timeout=0.3)
        self._down_since: float | None = None
        self._local: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _count_redis(self, key: str, window: int) -> int | None:
        if self._redis is None:
            return None
        if self._down_since is not None and \
                time.monotonic() - self._down_since < REDIS_RETRY_SECONDS:
            return None
        try:
            pipe = self._redis.pipeline()
            name = f"pulse:rl:{window}:{key}"
            pipe.incr(name)
            pipe.expire(name, RATE_WINDOW + 5)
            count = int(pipe.execute()[0])
        except Exception as exc:  # noqa: BLE001 - a broken Redis must not block requests
            if self._down_since is None:
                log.warning("rate limiter: Redis unavailable, counting per process: %s", exc,
                            extra={"event": "ratelimit_redis_unavailable"})
            self._down_since = time.monotonic()
            return None
        self._down_since = None
        return count

    def hit(self, key: str) -> tuple[bool, int]:
        """Count one request for `key`; (allowed, seconds until the window resets)."""
        now = time.time()
        window = int(now // RATE_WINDOW)
        retry = int((window + 1) * RATE_WINDOW - now) + 1
        count = self._count_redis(key, window)
        if count is None:
            with self._lock:
                if len(self._local) > 10_000:  # forget old windows
                    self._local = {k: v for k, v in self._local.items() if k[1] == window}
                count = self._local.get((key, window), 0) + 1
                self._local[(key, window)] = count
        return count <= self.per_minute, retry


def _json_error(status: int, message: str, **headers: str) -> Response:
    resp = jsonify({"error": message})
    resp.status_code = status
    resp.headers.update(headers)
    return resp


def init_security(app: dash.Dash, settings: Settings) -> None:
    """Install proxy handling, HTTPS redirect, size limit, API rate limit and headers."""
    server: Flask = app.server
    required = auth_required(settings)
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    server.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    limiter = RateLimiter(settings.api_rate_limit, settings.redis_url) \
        if settings.api_rate_limit > 0 else None

    @server.before_request
    def _https_and_size() -> Response | None:
        if settings.force_https and not request.is_secure and request.path != "/healthz":
            return redirect(request.url.replace("http://", "https://", 1), code=308)
        length = request.content_length
        if length is not None and length > settings.max_request_bytes:
            return _json_error(413, f"request body too large (limit "
                                    f"{settings.max_request_bytes} bytes)")
        return None

    @server.before_request
    def _api_rate_limit() -> Response | None:
        if limiter is None or not request.path.startswith("/api/"):
            return None
        client = request.remote_addr or "unknown"
        if not required and is_loopback(client):
            return None
        allowed, retry = limiter.hit(client)
        if allowed:
            return None
        log.warning("API rate limit exceeded by %s", client,
                    extra={"event": "rate_limited", "client": client, "path": request.path})
        return _json_error(429, f"too many requests: at most {limiter.per_minute} API requests "
                                "per minute per client", **{"Retry-After": str(retry)})

    @server.errorhandler(413)
    def _too_large(exc: Exception) -> Response:
        return _json_error(413, f"request body too large (limit {settings.max_request_bytes} "
                                "bytes)")

    @server.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy",
                     "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
        if "Content-Security-Policy" not in h:
            if resp.mimetype == "text/html":
                h["Content-Security-Policy"] = page_csp(app)
            elif resp.mimetype in ("application/json", "text/csv"):
                h["Content-Security-Policy"] = CSP_NON_HTML
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", HSTS)
        if required and "Cache-Control" not in h and not request.path.startswith(
                ("/assets/", "/_dash-component-suites/")):
            h["Cache-Control"] = "no-store"  # signed-in content stays out of shared caches
        return resp
