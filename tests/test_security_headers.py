"""Web hardening: security headers (with a CSP a real browser runs the page under),
HSTS only over HTTPS, HTTPS redirect, request size limit, API rate limit, debug refusal."""

from __future__ import annotations

import re
import time

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from dashapp import config
from dashapp.config import load_settings
from dashapp.web import security
from dashapp.web.app import create_app


def make_client(engine, tmp_path, addr: str = "127.0.0.1", **env: str):
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path / "home"), **env}), engine=engine)
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    return app, client


def test_page_and_api_carry_security_headers(tiny_engine, tmp_path):
    app, c = make_client(tiny_engine, tmp_path)
    page = c.get("/")
    csp = page.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # no inline script runs but Dash's own, each allowed by its hash; never unsafe-eval
    scripts = directives["script-src"].split()
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert set(scripts[1:]) == set(app.csp_hashes()) and len(scripts) >= 2
    html = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.S)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert len(inline) <= len(scripts) - 1
    for resp in (page, c.get("/api/v1/kpis"), c.get("/healthz")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in resp.headers  # plain http: no HSTS
    assert c.get("/api/v1/kpis").headers["Content-Security-Policy"].startswith(
        "default-src 'none'")


def test_hsts_only_behind_https_from_a_trusted_proxy(tiny_engine, tmp_path):
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    _, direct = make_client(tiny_engine, tmp_path)
    assert "Strict-Transport-Security" not in direct.get("/healthz", headers=https).headers
    _, proxied = make_client(tiny_engine, tmp_path, PULSE_TRUSTED_PROXIES="1")
    hsts = proxied.get("/healthz", headers=https).headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in proxied.get("/healthz").headers


def test_force_https_redirects_except_health(tiny_engine, tmp_path):
    _, c = make_client(tiny_engine, tmp_path, PULSE_FORCE_HTTPS="true",
                       PULSE_TRUSTED_PROXIES="1")
    r = c.get("/api/v1/kpis?state=SP")
    assert r.status_code == 308 and r.headers["Location"] == \
        "https://localhost/api/v1/kpis?state=SP"
    assert c.get("/healthz").status_code == 200  # platform health checks use plain http
    assert c.get("/api/v1/kpis", headers={"X-Forwarded-Proto": "https"}).status_code == 200


def test_request_size_is_limited(tiny_engine, tmp_path):
    app, c = make_client(tiny_engine, tmp_path, PULSE_MAX_REQUEST_BYTES="20000")
    r = c.post("/_dash-update-component", data=b"{" + b" " * 30_000 + b"}",
               content_type="application/json")
    assert r.status_code == 413 and "too large" in r.get_json()["error"]
    # a body streamed without Content-Length (chunked; gunicorn sets wsgi.input_terminated)
    # is never read past the limit: the truncated JSON is refused, nothing big is buffered
    environ = EnvironBuilder(path="/_dash-update-component", method="POST",
                             data=b"x" * 30_000, content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    _, status, _ = run_wsgi_app(app.server, environ, buffered=True)
    assert status[:3] in ("400", "413")


def test_api_rate_limit(tiny_engine, tmp_path):
    _, c = make_client(tiny_engine, tmp_path, "203.0.113.20", PULSE_API_RATE_LIMIT="5")
    codes = [c.get("/api/v1/meta").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    r = c.get("/api/v1/meta")
    assert 1 <= int(r.headers["Retry-After"]) <= 61 and "too many requests" in r.get_json()["error"]
    assert c.get("/healthz").status_code == 200  # only the API is limited
    c.environ_base["REMOTE_ADDR"] = "203.0.113.21"  # per client
    assert c.get("/api/v1/meta").status_code == 200
    # local single-user mode: loopback clients are not limited
    _, local = make_client(tiny_engine, tmp_path, "127.0.0.1", PULSE_API_RATE_LIMIT="2")
    assert [local.get("/api/v1/meta").status_code for _ in range(4)] == [200] * 4


def test_api_rate_limit_is_shared_through_redis(tiny_engine, tmp_path, redis_server):
    env = {"PULSE_API_RATE_LIMIT": "4", "REDIS_URL": redis_server.url}
    left = security.RATE_WINDOW - time.time() % security.RATE_WINDOW
    if left < 15:  # fixed windows: do not let the six requests straddle two of them
        time.sleep(left + 0.2)
    _, a = make_client(tiny_engine, tmp_path / "a", "203.0.113.30", **env)
    _, b = make_client(tiny_engine, tmp_path / "b", "203.0.113.30", **env)
    codes = [(a if i % 2 else b).get("/api/v1/meta").status_code for i in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]
    redis_server.stop()  # Redis gone: limits fall back to per process, requests still served
    assert a.get("/api/v1/meta").status_code in (200, 429)
    _, c = make_client(tiny_engine, tmp_path / "c", "203.0.113.31", **env)
    assert c.get("/api/v1/meta").status_code == 200


def test_debug_is_refused_beyond_localhost(monkeypatch, capsys):
    from dashapp import cli

    monkeypatch.setattr("dashapp.cli.bootstrap.prepare_database", lambda *a, **k: None)
    assert cli.main(["serve", "--host", "0.0.0.0", "--debug"]) == 2
    assert "--debug" in capsys.readouterr().err


def test_loopback_detection():
    assert config.is_loopback("127.0.0.1") and config.is_loopback("::1")
    assert config.is_loopback("localhost") and config.is_loopback("127.0.1.1")
    assert not config.is_loopback("0.0.0.0") and not config.is_loopback("10.1.2.3")
    assert not config.is_loopback("") and not config.is_loopback("example.com")


@pytest.mark.slow
def test_dash_page_runs_under_the_csp_in_a_browser(tiny_engine, tmp_path, dash_duo):
    """Chromium reports every CSP violation in its console; the page must render without one."""
    app, _ = make_client(tiny_engine, tmp_path)
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#timeseries-chart .main-svg", timeout=30)
    dash_duo.wait_for_element("#state-map .main-svg", timeout=30)
    logs = dash_duo.driver.get_log("browser")
    violations = [e["message"] for e in logs if "Content Security Policy" in e["message"]
                  or "Refused to" in e["message"]]
    assert violations == []
