"""Sign-in: who may see the page, its callbacks and the REST API.

When it is on
    `PULSE_AUTH=required` always; `off` never; `auto` (the default) whenever
    the app can be reached from other machines: `PULSE_HOST` (or `pulse serve
    --host`) is not a loopback address, or the app runs under gunicorn (the
    production server: its bind address is not visible from here, and a
    Procfile binds 0.0.0.0). `pulse serve` on 127.0.0.1, the laptop default,
    needs no account.

How a request is let in
    * The page and Dash's own endpoints (`/_dash-layout`, `/_dash-update-component`,
      ...) need a signed-in browser session: Flask's signed cookie, HttpOnly,
      SameSite=Lax, Secure whenever the request came over HTTPS, and valid for
      `PULSE_SESSION_HOURS`. An anonymous page view is sent to `/login`; an
      anonymous callback gets a 401.
    * The REST API (`/api/...`) takes the session too, or an API token
      (`Authorization: Bearer pulse_...`, made by `pulse token create`). A
      token never opens the page: a leaked token exposes numbers, not a
      browser session.
    * `/login`, `/healthz` and static files are public; `/healthz` hides the
      database's error text from anonymous callers.

Why these choices
    * Passwords are hashed with werkzeug's scrypt (salted, memory-hard).
      Unknown usernames are checked against a dummy hash, so timing does not
      tell which usernames exist.
    * The session cookie carries a fingerprint of the password hash: changing
      a password or removing the user ends their sessions (within
      `USER_CACHE_SECONDS`), although the cookie itself is stateless.
    * CSRF: the login and logout forms carry a per-session token. Dash's JSON
      POSTs cannot carry one, so they rely on SameSite=Lax (the cookie is not
      sent on cross-site POSTs) plus an Origin/Referer check here. Everything
      else is GET and read-only.
    * Brute force: failures are counted in `pulse_login_attempts`, in the
      database, so every worker and dyno sees the same count: 5 failures for a
      username within 15 minutes (reset by a success) or 20 from one client
      address lock further attempts until the oldest of them ages out.
    * If the database goes away, signed-in users keep their session (the page
      then says the database is unavailable instead of bouncing them to a login
      form that cannot work either).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..config import ConfigError, Settings

log = logging.getLogger(__name__)

USER_CACHE_SECONDS = 10.0
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_CLIENT = 20
MIN_PASSWORD_LENGTH = 10
MIN_SECRET_KEY_LENGTH = 32
TOKEN_PREFIX = "pulse_"
PASSWORD_METHOD = "scrypt"  # werkzeug's default: salted, memory-hard (~0.2 s per check)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{0,63}$")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/unsubscribe/")
PUBLIC_PATHS = {"/login", "/logout", "/healthz", "/_favicon.ico", "/favicon.ico"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class AuthError(ValueError):
    """A user or token operation that cannot be done; the message says why."""


# --- when sign-in is required ------------------------------------------------------


def auth_required(settings: Settings) -> bool:
    """Whether every request needs a signed-in user (see the module docstring)."""
    if settings.auth == "required":
        return True
    if settings.auth == "off":
        return False
    return settings.exposed


# --- users and tokens (used by the CLI and the tests) ---------------------------------


def normalise_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise AuthError("a username is 1-64 characters: letters, digits and . _ @ + - "
                        f"(got {username!r})")
    return name


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_user(engine: Engine, username: str, password: str, *, replace: bool = False) -> str:
    """Create a user (or, with `replace`, set an existing user's password)."""
    name = normalise_username(username)
    check_password_strength(password)
    hashed = generate_password_hash(password, method=PASSWORD_METHOD)
    with engine.begin() as conn:
        if replace:
            done = conn.execute(text(
                "INSERT INTO pulse_users (username, password_hash) VALUES (:u, :h) "
                "ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash"
            ), {"u": name, "h": hashed})
        else:
            try:
                done = conn.execute(text(
                    "INSERT INTO pulse_users (username, password_hash) VALUES (:u, :h)"
                ), {"u": name, "h": hashed})
            except IntegrityError:
                raise AuthError(f"user {name!r} already exists (use `pulse user passwd`)") \
                    from None
        assert done.rowcount == 1
    return name


def remove_user(engine: Engine, username: str) -> None:
    """Delete a user; their tokens go with them and their sessions stop working."""
    name = normalise_username(username)
    with engine.begin() as conn:
        if conn.execute(text("DELETE FROM pulse_users WHERE username = :u"),
                        {"u": name}).rowcount == 0:
            raise AuthError(f"no user {name!r}")


def list_users(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT u.username, u.created_at, count(t.id) FILTER (WHERE t.revoked_at IS NULL "
            "AND (t.expires_at IS NULL OR t.expires_at > now())) AS tokens "
            "FROM pulse_users u LEFT JOIN pulse_api_tokens t ON t.user_id = u.id "
            "GROUP BY u.id ORDER BY u.username")).mappings().all()
    return [dict(r) for r in rows]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, username: str, name: str = "api",
                 expires_days: int | None = None) -> tuple[int, str]:
    """A new API token for a user: (id, token). The token is shown once and not stored."""
    user = normalise_username(username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        uid = conn.execute(text("SELECT id FROM pulse_users WHERE username = :u"),
                           {"u": user}).scalar()
        if uid is None:
            raise AuthError(f"no user {user!r} (add one with `pulse user add`)")
        token_id = conn.execute(text(
            "INSERT INTO pulse_api_tokens (user_id, name, token_hash, prefix, expires_at) "
            "VALUES (:uid, :name, :h, :p, CASE WHEN CAST(:days AS integer) IS NULL THEN NULL "
            "ELSE now() + make_interval(days => CAST(:days AS integer)) END) RETURNING id"
        ), {"uid": uid, "name": name, "h": hash_token(token), "p": token[:12],
            "days": expires_days}).scalar_one()
    return token_id, token


def revoke_token(engine: Engine, ident: str) -> int:
    """Revoke a token by id or by its shown prefix; returns how many were revoked."""
    with engine.begin() as conn:
        if ident.isdigit():
            where, value = "id = CAST(:v AS bigint)", ident
        else:
            where, value = "prefix = :v", ident[:12]
        return conn.execute(text(
            f"UPDATE pulse_api_tokens SET revoked_at = now() WHERE {where} "
            "AND revoked_at IS NULL"), {"v": value}).rowcount


def list_tokens(engine: Engine, username: str | None = None) -> list[dict[str, Any]]:
    query = (
        "SELECT t.id, u.username, t.name, t.prefix, t.created_at, t.expires_at, t.revoked_at "
        "FROM pulse_api_tokens t JOIN pulse_users u ON u.id = t.user_id "
    )
    params: dict[str, Any] = {}
    if username:
        query += "WHERE u.username = :u "
        params["u"] = normalise_username(username)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(query + "ORDER BY t.id"), params).mappings()]


# --- sign-in throttle ------------------------------------------------------------------


def _locked_for(conn: Any, column: str, value: str, limit: int,
                extra_where: str = "", params: dict | None = None) -> int:
    """Seconds until attempts for `column = value` are allowed again (0: allowed now)."""
    rows = conn.execute(text(
        f"SELECT extract(epoch FROM at + make_interval(secs => :w) - now()) "
        f"FROM pulse_login_attempts WHERE {column} = :v AND NOT success "
        f"AND at > now() - make_interval(secs => :w) {extra_where} "
        "ORDER BY at DESC LIMIT :n"
    ), {"v": value, "w": THROTTLE_WINDOW.total_seconds(), "n": limit, **(params or {})}).all()
    if len(rows) < limit:
        return 0
    return max(1, int(float(rows[-1][0])) + 1)


def throttled_for(engine: Engine, username: str, client: str) -> int:
    """Seconds the next sign-in attempt for this username or from this client must wait."""
    since_success = (
        "AND at > coalesce((SELECT max(at) FROM pulse_login_attempts "
        "WHERE username = :v AND success), '-infinity')"
    )
    with engine.connect() as conn:
        return max(
            _locked_for(conn, "username", username, MAX_FAILURES_PER_USER, since_success),
            _locked_for(conn, "client", client, MAX_FAILURES_PER_CLIENT),
        )


def record_attempt(engine: Engine, username: str, client: str, success: bool) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO pulse_login_attempts (username, client, success) VALUES (:u, :c, :s)"
        ), {"u": username[:64], "c": client[:64], "s": success})
        if random.random() < 0.02:  # noqa: S311 - housekeeping, not security
            conn.execute(text(
                "DELETE FROM pulse_login_attempts WHERE at < now() - interval '1 day'"))


# --- the Flask side ------------------------------------------------------------------------


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        return bool(has_request_context() and request.is_secure)


@dataclass
class _Cached:
    value: Any
    until: float


_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Pulse</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap.min.css">
</head><body class="bg-light">
<main class="container py-5"><div class="row justify-content-center"><div class="col-md-5">
<h1 class="h3 mb-4">Pulse</h1>
{% if message %}<div class="alert alert-{{ kind }}" role="alert">{{ message }}</div>{% endif %}
{% if mode == "login" %}
<form method="post" action="/login" class="card card-body">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <input type="hidden" name="next" value="{{ next }}">
  <label class="form-label" for="username">Username</label>
  <input class="form-control mb-3" id="username" name="username" autocomplete="username"
         value="{{ username }}" required autofocus>
  <label class="form-label" for="password">Password</label>
  <input class="form-control mb-3" id="password" name="password" type="password"
         autocomplete="current-password" required>
  <button class="btn btn-primary" type="submit">Sign in</button>
</form>
{% else %}
<form method="post" action="/logout" class="card card-body">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <p>Signed in as <strong>{{ user }}</strong>.</p>
  <button class="btn btn-secondary" type="submit">Sign out</button>
</form>
{% endif %}
</div></div></main></body></html>
"""


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never `//evil.example` or `https://...` (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def current_user() -> str | None:
    """The signed-in username for this request (None when anonymous or sign-in is off)."""
    return getattr(g, "pulse_user", None)


def csrf_token() -> str:
    """The session's CSRF token, for a form that POSTs to /logout (e.g. a Sign-out button)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


class Auth:
    """Sign-in state and checks for one Flask app."""

    def __init__(self, server: Flask, settings: Settings, engine: Engine | None) -> None:
        self.settings = settings
        self._engine = engine
        self._users: dict[int, _Cached] = {}
        self._tokens: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self._dummy_hash: str | None = None
        self._degraded = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from ..db import get_engine
            from ..logsetup import watch_engine

            self._engine = get_engine("auth", self.settings)
            watch_engine(self._engine, "auth")
        return self._engine

    # --- identity ---------------------------------------------------------------------

    @staticmethod
    def fingerprint(password_hash: str) -> str:
        return hashlib.sha256(password_hash.encode()).hexdigest()[:16]

    def _user_row(self, uid: int) -> tuple[str, str] | None:
        """(username, fingerprint) of a user id, cached briefly: a lookup per callback is waste."""
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(uid)
        if hit and hit.until > now:
            return hit.value
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT username, password_hash FROM pulse_users "
                                    "WHERE id = :id"), {"id": uid}).first()
        value = (row[0], self.fingerprint(row[1])) if row else None
        with self._lock:
            if len(self._users) > 5000:
                self._users.clear()
            self._users[uid] = _Cached(value, now + USER_CACHE_SECONDS)
        return value

    def session_user(self) -> str | None:
        uid, fp = session.get("uid"), session.get("pwf")
        if not isinstance(uid, int) or not fp:
            return None
        try:
            row = self._user_row(uid)
        except DBAPIError as exc:
            if not self._degraded:
                self._degraded = True
                log.warning("sign-in: database unavailable, trusting signed sessions: %s",
                            str(exc.orig).strip().splitlines()[0] if exc.orig else exc,
                            extra={"event": "auth_degraded"})
            return session.get("user")
        self._degraded = False
        if row is None or not hmac.compare_digest(row[1], fp):
            session.clear()
            return None
        return row[0]

    def token_user(self, token: str) -> str | None:
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            hit = self._tokens.get(digest)
        if hit and hit.until > now:
            return hit.value
        with self.engine.connect() as conn:
            user = conn.execute(text(
                "SELECT u.username FROM pulse_api_tokens t JOIN pulse_users u "
                "ON u.id = t.user_id WHERE t.token_hash = :h AND t.revoked_at IS NULL "
                "AND (t.expires_at IS NULL OR t.expires_at > now())"), {"h": digest}).scalar()
        with self._lock:
            if len(self._tokens) > 5000:
                self._tokens.clear()
            self._tokens[digest] = _Cached(user, now + USER_CACHE_SECONDS)
        return user

    # --- request checks -------------------------------------------------------------------

    @staticmethod
    def same_origin() -> bool:
        """The browser says where a POST comes from; it must be this site."""
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if not source or source == "null":
            return False
        return urlsplit(source).netloc.lower() == request.host.lower()

    @staticmethod
    def _denied(status: int, message: str) -> Response:
        resp = jsonify({"error": message, "login": "/login"})
        resp.status_code = status
        if status == 401 and request.path.startswith("/api/"):
            resp.headers["WWW-Authenticate"] = 'Bearer realm="pulse"'
        return resp

    def guard(self) -> Response | None:
        """before_request: let the request through, or answer for it."""
        path = request.path
        g.pulse_user = None
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            g.pulse_user = self.session_user() if path == "/healthz" else None
            return None
        user = self.session_user()
        if path.startswith("/api/"):
            header = request.headers.get("Authorization", "")
            if user is None and header[:7].lower() == "bearer ":
                try:
                    user = self.token_user(header[7:].strip())
                except DBAPIError:
                    return self._denied(503, "database unavailable: cannot check the token")
                if user is None:
                    return self._denied(401, "invalid, expired or revoked API token")
            if user is None:
                return self._denied(401, "sign in or send an API token "
                                         "(Authorization: Bearer ...)")
            if request.method not in SAFE_METHODS and not header and not self.same_origin():
                log.warning("refused a cross-site %s to %s", request.method, path,
                            extra={"event": "csrf_refused", "path": path})
                return self._denied(403, "cross-site request refused")
        elif user is None:
            if request.method in ("GET", "HEAD") and not path.startswith("/_"):
                full = request.full_path if request.query_string else path
                return redirect(f"/login?next={_quote(full)}", code=302)
            return self._denied(401, "sign in required (the session may have expired)")
        elif request.method not in SAFE_METHODS and not self.same_origin():
            log.warning("refused a cross-site %s to %s", request.method, path,
                        extra={"event": "csrf_refused", "path": path})
            return self._denied(403, "cross-site request refused")
        g.pulse_user = user
        return None

    def hide_health_details(self, resp: Response) -> Response:
        """Anonymous /healthz callers learn up/down, not hostnames from error messages."""
        if request.path == "/healthz" and current_user() is None and resp.is_json:
            body = resp.get_json(silent=True) or {}
            for key in ("database", "cache"):
                if isinstance(body.get(key), str) and "unavailable" in body[key]:
                    body[key] = "unavailable" if key == "database" else body[key].split(":")[0]
            resp.set_data(jsonify(body).get_data())
        return resp

    # --- views ---------------------------------------------------------------------------

    def _page(self, status: int, message: str = "", kind: str = "danger", **extra: Any
              ) -> Response:
        values = {"title": "Sign in", "mode": "login", "csrf": csrf_token(), "next": "/",
                  "username": "", "message": message, "kind": kind, "user": current_user()}
        values.update(extra)
        resp = Response(render_template_string(_LOGIN_PAGE, **values), status=status,
                        mimetype="text/html")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def login(self) -> Response:
        nxt = _safe_next(request.values.get("next"))
        if request.method == "GET":
            if self.session_user():
                return redirect(nxt)
            note = "You are signed out." if request.args.get("signed_out") else ""
            return self._page(200, note, kind="info", next=nxt)
        form = request.form
        raw_name = form.get("username", "")[:200]
        if not hmac.compare_digest(form.get("csrf", ""), session.get("csrf", "") or "-") or (
                ("Origin" in request.headers or "Referer" in request.headers)
                and not self.same_origin()):
            return self._page(400, "The sign-in form expired; please try again.", next=nxt,
                              username=raw_name)
        client = request.remote_addr or "unknown"
        try:
            name = normalise_username(raw_name)
        except AuthError:
            name = raw_name.strip().lower()[:64] or "-"
        password = form.get("password", "")
        try:
            wait = throttled_for(self.engine, name, client)
            if wait:
                log.warning("sign-in throttled for %r from %s", name, client,
                            extra={"event": "login_throttled", "username": name,
                                   "client": client, "retry_after": wait})
                resp = self._page(429, f"Too many failed sign-ins. Try again in "
                                       f"{max(1, round(wait / 60))} minute(s).", next=nxt,
                                  username=raw_name)
                resp.headers["Retry-After"] = str(wait)
                return resp
            with self.engine.connect() as conn:
                row = conn.execute(text("SELECT id, password_hash FROM pulse_users "
                                        "WHERE username = :u"), {"u": name}).first()
            ok = check_password_hash(row[1] if row else self.dummy_hash(), password) \
                and row is not None
            record_attempt(self.engine, name, client, ok)
        except DBAPIError:
            return self._page(503, "The database is unavailable; please try again shortly.",
                              next=nxt, username=raw_name)
        if not ok:
            log.warning("sign-in failed for %r from %s", name, client,
                        extra={"event": "login_failed", "username": name, "client": client})
            return self._page(401, "Wrong username or password.", next=nxt, username=raw_name)
        assert row is not None
        session.clear()
        session.permanent = True
        session.update(uid=row[0], user=name, pwf=self.fingerprint(row[1]),
                       csrf=secrets.token_urlsafe(24))
        log.info("signed in: %s from %s", name, client,
                 extra={"event": "login", "username": name, "client": client})
        return redirect(nxt, code=303)

    def logout(self) -> Response:
        user = self.session_user()
        if request.method == "GET":
            if user is None:
                return redirect("/login")
            g.pulse_user = user
            return self._page(200, title="Sign out", mode="logout", user=user)
        if not hmac.compare_digest(request.form.get("csrf", ""), session.get("csrf", "") or "-") \
                or not self.same_origin():
            return self._page(400, "The sign-out form expired; please try again.")
        session.clear()
        if user:
            log.info("signed out: %s", user, extra={"event": "logout", "username": user})
        return redirect("/login?signed_out=1", code=303)

    def dummy_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = generate_password_hash(secrets.token_urlsafe(16),
                                                      method=PASSWORD_METHOD)
        return self._dummy_hash


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


def init_auth(server: Flask, settings: Settings, engine: Engine | None = None) -> Auth | None:
    """Turn sign-in on when `auth_required(settings)`; refuse to start without a secret key.

    `engine` is the database holding `pulse_users` (tests pass theirs); by
    default it is the `auth` role's engine, created on first use so that
    building the app never touches the database.
    """
    server.extensions["pulse_auth"] = None
    if not auth_required(settings):
        return None
    key = settings.secret_key
    if not key or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "sign-in is on (PULSE_AUTH=required, a non-loopback PULSE_HOST, or gunicorn) but "
            f"PULSE_SECRET_KEY is {'too short' if key else 'not set'}: set it to a random "
            f"string of at least {MIN_SECRET_KEY_LENGTH} characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "(or set PULSE_AUTH=off for a private, single-user install)"
        )
    server.config.update(
        SECRET_KEY=key,
        SESSION_COOKIE_NAME="pulse_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.force_https,
        SESSION_REFRESH_EACH_REQUEST=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
    )
    server.session_interface = _SessionInterface()
    auth = Auth(server, settings, engine)
    server.extensions["pulse_auth"] = auth
    server.before_request(auth.guard)
    server.after_request(auth.hide_health_details)
    server.add_url_rule("/login", "pulse_login", auth.login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "pulse_logout", auth.logout, methods=["GET", "POST"])
    return auth
