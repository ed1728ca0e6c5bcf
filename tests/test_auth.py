"""Sign-in: with auth on, nothing but the login form, static files and /healthz is open;
users sign in and out through CSRF-protected forms; API tokens open the API and
nothing else; wrong passwords are throttled through the database (so across workers).

Runs against the tiny dataset (tests/datasets.py), whose KPIs test_api.py checks.
"""

from __future__ import annotations

import io
import re
import sys

import pytest
from sqlalchemy import text

from dashapp.config import ConfigError, load_settings, set_settings
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app

SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD = "correct horse battery"
ORIGIN = {"Origin": "http://localhost"}


def make_app(engine, tmp_path, **env: str):
    base = {"PULSE_HOME": str(tmp_path / "home"), "PULSE_AUTH": "required",
            "PULSE_SECRET_KEY": SECRET}
    base.update(env)
    return create_app(load_settings(base), engine=engine)


@pytest.fixture(autouse=True, scope="module")
def _fast_hashes():
    """scrypt costs ~0.2 s a check; these tests check dozens. One test keeps the real one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        yield


@pytest.fixture(scope="module")
def users(tiny_engine):
    for name in ("ana", "bruno", "carla", "davi", "eva", "fabio"):
        auth_mod.add_user(tiny_engine, name, PASSWORD)
    return tiny_engine


@pytest.fixture
def app(users, tmp_path, monkeypatch):
    monkeypatch.setattr(auth_mod, "USER_CACHE_SECONDS", 0.0)
    return make_app(users, tmp_path)


def client_from(app, addr: str):
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return client


def csrf_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def login(client, username: str, password: str = PASSWORD, nxt: str = "/"):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf_of(client), "next": nxt}, headers=ORIGIN)


def callback_request(client, headers=None):
    """A real Dash callback POST: the page's data-status poll, as the browser sends it."""
    deps = client.get("/_dash-dependencies")
    if deps.status_code == 200:
        cbs = [c for c in deps.get_json() if "{" not in c["output"]]
        cb = next((c for c in cbs if "status.data" in c["output"]), cbs[0])
    else:  # anonymous: the dependencies are refused too; the payload shape is what matters
        cb = {"output": "..status.data...refresh.interval...refresh.disabled..",
              "inputs": [{"id": "refresh", "property": "n_intervals"}],
              "state": [{"id": "status", "property": "data"}, {"id": "view", "property": "data"}]}
    out = cb["output"]
    parts = out[2:-2].split("...") if out.startswith("..") else [out]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    payload = {
        "output": out,
        "outputs": outputs if out.startswith("..") else outputs[0],
        "inputs": [{**i, "value": None} for i in cb["inputs"]],
        "state": [{**s, "value": None} for s in cb.get("state", [])],
        "changedPropIds": [],
    }
    return client.post("/_dash-update-component", json=payload, headers=headers or {})


# --- when auth is on ------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "gunicorn", "expected"), [
    ({}, False, False),                                    # laptop default: 127.0.0.1
    ({"PULSE_HOST": "0.0.0.0"}, False, True),              # listens beyond localhost
    ({"PULSE_HOST": "::1"}, False, False),
    ({}, True, True),                                      # gunicorn (Procfile binds 0.0.0.0)
    ({"PULSE_AUTH": "required"}, False, True),
    ({"PULSE_AUTH": "off", "PULSE_HOST": "0.0.0.0"}, True, False),
])
def test_auth_mode(env, gunicorn, expected, monkeypatch):
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/27" if gunicorn else "")
    assert auth_mod.auth_required(load_settings(env)) is expected


def test_refuses_to_start_without_a_secret_key(tiny_engine, tmp_path):
    with pytest.raises(ConfigError, match="PULSE_SECRET_KEY is not set"):
        make_app(tiny_engine, tmp_path, PULSE_SECRET_KEY="")
    with pytest.raises(ConfigError, match="too short"):
        make_app(tiny_engine, tmp_path, PULSE_SECRET_KEY="short")


def test_local_default_needs_no_sign_in(tiny_engine, tmp_path):
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=tiny_engine)
    c = app.server.test_client()
    assert c.get("/").status_code == 200
    assert c.get("/api/v1/kpis").status_code == 200
    assert "/login" not in [r.rule for r in app.server.url_map.iter_rules()]


def test_anonymous_requests_are_refused(app):
    c = client_from(app, "198.51.100.1")
    r = c.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=%2F"
    r = c.get("/some/page?state=SP")
    assert r.headers["Location"] == "/login?next=%2Fsome%2Fpage%3Fstate%3DSP"
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert c.get(path).status_code == 401, path
    assert callback_request(c, ORIGIN).status_code == 401
    for path in ("/api/v1/kpis", "/api/v1/meta", "/api/v1/openapi.json", "/api/v1/nope"):
        r = c.get(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error" in r.get_json()
    # open: the sign-in form, its stylesheet, the health check
    assert c.get("/login").status_code == 200
    assert c.get("/assets/vendor/bootstrap.min.css").status_code == 200
    health = c.get("/healthz")
    assert health.status_code == 200 and health.get_json()["database"] == "ok"


def test_sign_in_and_out(app):
    c = client_from(app, "198.51.100.2")
    r = login(c, "Ana", nxt="/?state=SP")  # usernames are case-insensitive
    assert r.status_code == 303 and r.headers["Location"] == "/?state=SP"
    cookie = c.get_cookie("pulse_session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure  # plain http
    page = c.get("/")
    assert page.status_code == 200 and "_dash-config" in page.get_data(as_text=True)
    assert c.get("/_dash-layout").status_code == 200
    assert callback_request(c, ORIGIN).status_code in (200, 204)
    assert c.get("/api/v1/kpis").get_json()["current"]["sales"] == 296.79  # session works too
    # Dash's JSON POSTs must come from this site: no Origin/Referer or another site is refused
    assert callback_request(c).status_code == 403
    assert callback_request(c, {"Origin": "https://evil.example"}).status_code == 403
    assert callback_request(c, {"Referer": "http://localhost/?x=1"}).status_code in (200, 204)
    # logout needs the form's CSRF token
    assert c.post("/logout", data={"csrf": "forged"}, headers=ORIGIN).status_code == 400
    assert c.get("/").status_code == 200
    form = c.get("/logout").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    r = c.post("/logout", data={"csrf": token}, headers=ORIGIN)
    assert r.status_code == 303 and r.headers["Location"] == "/login?signed_out=1"
    assert c.get("/").status_code == 302
    assert c.get("/_dash-layout").status_code == 401


def test_login_form_is_csrf_protected_and_redirects_only_locally(app):
    c = client_from(app, "198.51.100.3")
    csrf_of(c)
    r = c.post("/login", data={"username": "bruno", "password": PASSWORD, "csrf": "nope"})
    assert r.status_code == 400 and c.get("/").status_code == 302
    other = client_from(app, "198.51.100.3")  # no session cookie at all: no token to match
    r = other.post("/login", data={"username": "bruno", "password": PASSWORD, "csrf": ""})
    assert r.status_code == 400
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = login(client_from(app, "198.51.100.3"), "bruno", nxt=evil)
        assert r.status_code == 303 and r.headers["Location"] == "/", evil


def test_session_cookie_is_secure_behind_https(users, tmp_path):
    app = make_app(users, tmp_path, PULSE_TRUSTED_PROXIES="1")
    c = client_from(app, "10.0.0.1")
    c.get("/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
    assert c.get_cookie("pulse_session").secure


def test_token_opens_the_api_only(app, users):
    token_id, token = auth_mod.create_token(users, "carla", "reports")
    assert token.startswith("pulse_") and len(token) > 40
    with users.connect() as conn:  # only a hash is stored
        stored = conn.execute(text("SELECT token_hash FROM pulse_api_tokens WHERE id = :i"),
                              {"i": token_id}).scalar_one()
    assert token not in stored and stored == auth_mod.hash_token(token)
    c = client_from(app, "198.51.100.4")
    bearer = {"Authorization": f"Bearer {token}"}
    r = c.get("/api/v1/kpis?state=SP", headers=bearer)
    assert r.status_code == 200 and r.get_json()["current"]["sales"] == 159.0
    assert c.get("/api/v1/breakdown/state?format=csv", headers=bearer).status_code == 200
    # not the page, not Dash's endpoints
    assert c.get("/", headers=bearer).status_code == 302
    assert c.get("/_dash-layout", headers=bearer).status_code == 401
    assert callback_request(c, {**bearer, **ORIGIN}).status_code == 401
    # wrong, revoked, expired
    assert c.get("/api/v1/kpis", headers={"Authorization": "Bearer pulse_wrong"}
                 ).status_code == 401
    assert auth_mod.revoke_token(users, token[:12]) == 1
    assert c.get("/api/v1/kpis", headers=bearer).status_code == 401
    _, token2 = auth_mod.create_token(users, "carla", expires_days=1)
    assert c.get("/api/v1/kpis", headers={"Authorization": f"Bearer {token2}"}
                 ).status_code == 200
    with users.begin() as conn:
        conn.execute(text("UPDATE pulse_api_tokens SET expires_at = now() - interval '1 s' "
                          "WHERE prefix = :p"), {"p": token2[:12]})
    assert c.get("/api/v1/kpis", headers={"Authorization": f"Bearer {token2}"}
                 ).status_code == 401


def test_wrong_passwords_are_throttled_across_workers(users, tmp_path, monkeypatch):
    monkeypatch.setattr(auth_mod, "USER_CACHE_SECONDS", 0.0)
    worker_a = make_app(users, tmp_path / "a")  # two app instances = two gunicorn workers
    worker_b = make_app(users, tmp_path / "b")
    a, b = client_from(worker_a, "198.51.100.5"), client_from(worker_b, "198.51.100.6")
    for i in range(auth_mod.MAX_FAILURES_PER_USER):
        r = login(a if i % 2 else b, "davi", "wrong password")
        assert r.status_code == 401 and "Wrong username or password" in r.get_data(as_text=True)
    # the right password is refused too now, on either worker, with a Retry-After
    for c in (a, b):
        r = login(c, "davi")
        assert r.status_code == 429
        assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert c.get("/").status_code == 302
    # other users are unaffected
    assert login(client_from(worker_a, "198.51.100.5"), "eva").status_code == 303
    # once the failures age out of the window, the right password works again
    with users.begin() as conn:
        conn.execute(text("UPDATE pulse_login_attempts SET at = at - interval '16 minutes' "
                          "WHERE username = 'davi'"))
    assert login(b, "davi").status_code == 303
    # unknown usernames are throttled the same way (no hint of which names exist)
    for _ in range(auth_mod.MAX_FAILURES_PER_USER):
        assert login(a, "nobody", "whatever pw").status_code == 401
    assert login(a, "nobody", "whatever pw").status_code == 429


def test_one_client_guessing_many_usernames_is_throttled(users, tmp_path, monkeypatch):
    monkeypatch.setattr(auth_mod, "MAX_FAILURES_PER_CLIENT", 6)
    app = make_app(users, tmp_path)
    c = client_from(app, "198.51.100.7")
    for i in range(6):
        assert login(c, f"guess{i}", "wrong password").status_code == 401
    assert login(c, "fabio").status_code == 429
    assert login(client_from(app, "198.51.100.8"), "fabio").status_code == 303


def test_password_change_and_removal_end_sessions(app, users, monkeypatch):
    monkeypatch.setattr(auth_mod, "PASSWORD_METHOD", "scrypt")  # the production default
    auth_mod.add_user(users, "gil", PASSWORD)
    with users.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM pulse_users "
                                   "WHERE username = 'gil'")).scalar_one()
    assert stored.startswith("scrypt:") and PASSWORD not in stored
    c = client_from(app, "198.51.100.9")
    assert login(c, "gil").status_code == 303 and c.get("/").status_code == 200
    auth_mod.add_user(users, "gil", PASSWORD + "!", replace=True)
    assert c.get("/").status_code == 302
    assert login(c, "gil", PASSWORD + "!").status_code == 303
    auth_mod.remove_user(users, "gil")
    assert c.get("/_dash-layout").status_code == 401


def test_cli_manages_users_and_tokens(db_url, monkeypatch, capsys):
    from dashapp import cli

    monkeypatch.setenv("DATABASE_URL", db_url)
    set_settings(None)
    try:
        monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
        assert cli.main(["user", "add", "Rita", "--password-stdin"]) == 2
        assert "at least 10 characters" in capsys.readouterr().err
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        assert cli.main(["user", "add", "Rita", "--password-stdin"]) == 0
        monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
        assert cli.main(["user", "add", "rita", "--password-stdin"]) == 2
        assert "already exists" in capsys.readouterr().err
        assert cli.main(["token", "create", "rita", "--name", "cron"]) == 0
        token = capsys.readouterr().out.strip()
        assert token.startswith("pulse_")
        assert cli.main(["token", "list"]) == 0
        listing = capsys.readouterr().out
        assert token[:12] in listing and token not in listing and "cron" in listing
        assert cli.main(["user", "list"]) == 0
        assert "1 active token" in capsys.readouterr().out
        assert cli.main(["token", "revoke", token[:12]]) == 0
        assert cli.main(["token", "revoke", token[:12]]) == 2
        assert cli.main(["user", "remove", "rita"]) == 0
        assert cli.main(["user", "remove", "rita"]) == 2
        from sqlalchemy import create_engine

        eng = create_engine(db_url)
        with eng.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pulse_api_tokens")).scalar() == 0
            hashes = conn.execute(text("SELECT count(*) FROM pulse_users")).scalar()
        eng.dispose()
        assert hashes == 0
    finally:
        set_settings(None)
