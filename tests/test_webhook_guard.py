"""Alerts' webhooks reach only public http(s) addresses (SSRF): the API refuses, with a
400 naming `webhook_url`, a URL that is not http/https or whose host is (or resolves to)
a loopback, private, link-local, multicast or unspecified address, unless
PULSE_WEBHOOK_ALLOW_PRIVATE=1; the run checks again before each POST and writes a refused
send in the alert's history with the reason. Real PostgreSQL, the tiny dataset; no
request leaves the machine (refused addresses are never contacted, the allowed public
one is only checked, not posted to)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import text
from test_userdata_api import make_app

from dashapp.cache import ResultCache
from dashapp.config import ConfigError, load_settings
from dashapp.notify import alerts
from dashapp.notify.mail import Smtp
from dashapp.service import PulseService
from dashapp.userdata import UserData, webhook_refusal
from dashapp.web import auth as auth_mod

REFUSED = ["http://127.0.0.1:8050/hook", "http://10.0.0.1/hook",
           "http://169.254.169.254/latest/meta-data/", "ftp://example.com/hook",
           "http://[::1]/hook", "https://192.168.1.20/hook", "http://0.0.0.0/hook",
           "http://[::ffff:127.0.0.1]/hook", "http://224.0.0.1/hook",
           "http://[fe80::1]/hook", "http://localhost:9/hook", "http://172.16.5.4/hook"]


@pytest.fixture(scope="module")
def accounts(tiny_engine):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(tiny_engine, "eva", "correct horse battery")
    token = auth_mod.create_token(tiny_engine, "eva")[1]
    return tiny_engine, {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def no_alerts_left(request):
    """Each test's alerts go with it: no later run may post to the public one."""
    yield
    if "accounts" in request.fixturenames:
        with request.getfixturevalue("accounts")[0].begin() as conn:
            conn.execute(text("DELETE FROM pulse_alerts"))


def rule(view_id: int, url: str) -> dict:
    return {"view_id": view_id, "metric": "orders", "window": "week", "op": "above",
            "threshold": 0, "channels": ["webhook"], "webhook_url": url}


def test_the_api_refuses_internal_webhooks_naming_the_field(accounts, tmp_path):
    engine, eva = accounts
    c = make_app(engine, tmp_path).server.test_client()
    view = c.post("/api/v1/views", json={"name": "v", "query": ""}, headers=eva).get_json()
    for url in REFUSED:
        r = c.post("/api/v1/alerts", json=rule(view["id"], url), headers=eva)
        assert r.status_code == 400, (url, r.get_json())
        assert r.get_json()["parameter"] == "webhook_url", url
    says = c.post("/api/v1/alerts", json=rule(view["id"], "http://169.254.169.254/x"),
                  headers=eva).get_json()["error"]
    assert "link-local" in says and "PULSE_WEBHOOK_ALLOW_PRIVATE" in says
    assert "169.254" not in says  # the reason, never the address
    # a public address is accepted (checked without any request; a literal needs no DNS)
    ok = c.post("/api/v1/alerts", json=rule(view["id"], "https://93.184.216.34/hook"),
                headers=eva)
    assert ok.status_code == 201, ok.get_json()
    # an install that allows private webhooks takes the same URL
    allowing = make_app(engine, tmp_path / "b", PULSE_WEBHOOK_ALLOW_PRIVATE="1")
    r = allowing.server.test_client().post(
        "/api/v1/alerts", json=rule(view["id"], "http://127.0.0.1:8050/hook"), headers=eva)
    assert r.status_code == 201, r.get_json()
    # ... but never another scheme
    r = allowing.server.test_client().post(
        "/api/v1/alerts", json=rule(view["id"], "ftp://127.0.0.1/hook"), headers=eva)
    assert r.status_code == 400 and r.get_json()["parameter"] == "webhook_url"


def test_the_run_checks_again_and_records_a_refused_send(accounts, tmp_path):
    """Saved while the install allowed it (or while its name resolved elsewhere): the
    run refuses it now, writes why in the history and contacts nothing."""
    engine, _ = accounts
    store = UserData(engine, allow_private_webhooks=True)
    owner = store.owner("eva")
    view = store.save_view(owner, {"name": "w", "query": ""})
    made = store.add_alert(owner, rule(view["id"], "http://10.0.0.1:9/hook"))
    service = PulseService(engine, ResultCache(load_settings({"PULSE_HOME": str(tmp_path)})))
    now = datetime(2020, 3, 5, 8)
    assert alerts.check_all(engine, service, now) == 1
    smtp = Smtp("127.0.0.1", 9, None, None, False, "pulse@test")  # never used: no e-mail
    sent, failed = alerts.deliver_due(engine, smtp, "http://pulse.test", "BRL",
                                      allow_private=False)
    assert (sent, failed) == (0, 1)
    [fired] = store.alert_history(owner, made["id"])
    assert fired["webhook_status"] == "failed"
    assert fired["webhook_error"].startswith("refused: webhook_url must not point to a "
                                             "private address")
    assert "10.0.0.1" not in fired["webhook_error"]


def test_the_setting_is_a_boolean():
    assert load_settings({}).webhook_allow_private is False
    assert load_settings({"PULSE_WEBHOOK_ALLOW_PRIVATE": "1"}).webhook_allow_private is True
    with pytest.raises(ConfigError, match="PULSE_WEBHOOK_ALLOW_PRIVATE"):
        load_settings({"PULSE_WEBHOOK_ALLOW_PRIVATE": "sometimes"})


@pytest.mark.parametrize("url", REFUSED)
def test_every_refusal_is_lifted_by_the_setting_but_the_scheme(url):
    assert webhook_refusal(url) is not None
    assert (webhook_refusal(url, allow_private=True) is None) == url.startswith("http")
