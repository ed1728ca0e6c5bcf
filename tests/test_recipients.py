"""Recipients an admin adds (issue #16): through the API an admin's subscription and
alert name other addresses, and the SMTP server (aiosmtpd, in the test process) gets
one message for the owner and each of them, once; a non-admin naming any address but
their own, or anyone naming a malformed one, gets a 400 naming `recipients`; the
digest's one-click unsubscribe link still stops it. `pulse user admin` grants the right.
Real PostgreSQL, the tiny dataset."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime

import pytest
from sqlalchemy import text
from test_digests import SECRET, free_port
from test_userdata_api import make_app

from dashapp.cache import ResultCache
from dashapp.config import load_settings, set_settings
from dashapp.notify import digests
from dashapp.notify.mail import Smtp
from dashapp.notify.run import notify_all
from dashapp.service import PulseService
from dashapp.web import auth as auth_mod
from loaders.userdata import set_admin, set_email

controller_mod = pytest.importorskip("aiosmtpd.controller")
BASE = "http://pulse.test"


class Envelopes:
    """Each message the server accepted, with the addresses it was sent to."""

    def __init__(self) -> None:
        self.got: list[tuple[list[str], email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.got.append((list(envelope.rcpt_tos), email.message_from_bytes(
            envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    sink = Envelopes()
    port = free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, Smtp("127.0.0.1", port, None, None, False, "pulse@test")
    controller.stop()


@pytest.fixture(scope="module")
def world(tiny_engine, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        for name in ("boss", "dora"):
            auth_mod.add_user(tiny_engine, name, "correct horse battery")
            set_email(tiny_engine, name, f"{name}@example.com")
    set_admin(tiny_engine, "boss", True)
    tokens = {n: {"Authorization": f"Bearer {auth_mod.create_token(tiny_engine, n)[1]}"}
              for n in ("boss", "dora")}
    home = tmp_path_factory.mktemp("home")
    app = make_app(tiny_engine, home, PULSE_SECRET_KEY=SECRET)
    service = PulseService(tiny_engine, ResultCache(load_settings({"PULSE_HOME": str(home)})))
    return tiny_engine, app, app.server.test_client(), tokens, service


@pytest.fixture(autouse=True)
def clean(world):
    yield
    with world[0].begin() as conn:
        conn.execute(text("DELETE FROM pulse_subscriptions"))
        conn.execute(text("DELETE FROM pulse_alerts"))


def view_of(c, headers) -> int:
    return c.post("/api/v1/views", json={"name": "Tudo", "query": "lang=pt-BR"},
                  headers=headers).get_json()["id"]


def test_an_admins_recipients_get_the_digest_once_and_can_stop_it(world, smtp_server):
    engine, app, c, tokens, service = world
    sink, smtp = smtp_server
    r = c.post("/api/v1/subscriptions", headers=tokens["boss"], json={
        "view_id": view_of(c, tokens["boss"]), "frequency": "monthly",
        "recipients": [" Ops@Example.com ", "boss@example.com", "ops@example.com",
                       "cfo@example.org"]})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["recipients"] == ["Ops@Example.com", "cfo@example.org"]
    listed = c.get("/api/v1/subscriptions", headers=tokens["boss"]).get_json()
    assert listed["subscriptions"][0]["recipients"] == ["Ops@Example.com", "cfo@example.org"]
    now = datetime(2020, 4, 2, 8)
    assert digests.run(engine, service, smtp, now, BASE, "BRL", SECRET) == (1, 0)
    assert digests.run(engine, service, smtp, now, BASE, "BRL", SECRET) == (0, 0)
    [(to, msg)] = sink.got  # one message, every address on it: sent once for all
    assert sorted(a.lower() for a in to) == ["boss@example.com", "cfo@example.org",
                                             "ops@example.com"]
    assert str(msg["To"]) == "boss@example.com, Ops@Example.com, cfo@example.org"
    link = str(msg["List-Unsubscribe"]).strip().strip("<>")
    done = c.post(link.removeprefix(BASE), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert digests.run(engine, service, smtp, datetime(2020, 5, 1, 8), BASE, "BRL",
                       SECRET) == (0, 0)
    assert len(sink.got) == 1


def test_only_an_admin_names_other_addresses(world):
    engine, app, c, tokens, _ = world
    dora = tokens["dora"]
    view = view_of(c, dora)
    sub = {"view_id": view, "frequency": "weekly"}
    refused = c.post("/api/v1/subscriptions", headers=dora,
                     json={**sub, "recipients": ["boss@example.com"]})
    assert refused.status_code == 400 and refused.get_json()["parameter"] == "recipients"
    assert "admin" in refused.get_json()["error"]
    own = c.post("/api/v1/subscriptions", headers=dora,
                 json={**sub, "recipients": ["DORA@example.com"]})
    assert own.status_code == 201 and own.get_json()["recipients"] == []
    alert = {"view_id": view, "metric": "orders", "window": "week", "op": "above",
             "threshold": 0, "channels": ["email"], "recipients": ["x@example.com"]}
    r = c.post("/api/v1/alerts", headers=dora, json=alert)
    assert r.status_code == 400 and r.get_json()["parameter"] == "recipients"
    boss = tokens["boss"]
    mine = view_of(c, boss)
    for bad in ("ops@example.com", ["not an address"], ["a@b.com, c@d.com"],
                ["Ops <ops@example.com>"], ["ops@example"], [42], ["x@example.com"] * 21,
                [f"{'a' * 250}@example.com"]):
        for path, body in (("/api/v1/subscriptions", {**sub, "view_id": mine}),
                           ("/api/v1/alerts", {**alert, "view_id": mine})):
            r = c.post(path, headers=boss, json={**body, "recipients": bad})
            assert r.status_code == 400, (path, bad, r.get_json())
            assert r.get_json()["parameter"] == "recipients", (path, bad)
    no_mail = c.post("/api/v1/alerts", headers=boss, json={
        **alert, "view_id": mine, "channels": ["webhook"],
        "webhook_url": "https://hooks.example.com/x"})
    assert no_mail.status_code == 400 and no_mail.get_json()["parameter"] == "recipients"


def test_an_admins_alert_mails_the_recipients_too(world, smtp_server):
    engine, app, c, tokens, service = world
    sink, smtp = smtp_server
    r = c.post("/api/v1/alerts", headers=tokens["boss"], json={
        "view_id": view_of(c, tokens["boss"]), "metric": "orders", "window": "week",
        "op": "above", "threshold": 0, "channels": ["email"],
        "recipients": ["ops@example.com"]})
    assert r.status_code == 201 and r.get_json()["recipients"] == ["ops@example.com"]
    done = notify_all(engine, service, smtp, datetime(2020, 3, 5, 8), BASE, "BRL")
    assert (done.alerts_fired, done.alerts_sent) == (1, 1)
    [(to, msg)] = sink.got
    assert sorted(to) == ["boss@example.com", "ops@example.com"]
    assert str(msg["To"]) == "boss@example.com, ops@example.com"


def test_pulse_user_admin_grants_and_revokes(world, monkeypatch, capsys):
    from dashapp import cli

    engine = world[0]
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    set_settings(None)
    try:
        assert cli.main(["user", "admin", "Dora"]) == 0
        assert "dora is an admin" in capsys.readouterr().out
        assert cli.main(["user", "admin", "dora", "--revoke"]) == 0
        assert cli.main(["user", "admin", "nobody"]) == 2
    finally:
        set_settings(None)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT is_admin FROM pulse_users WHERE username = 'dora'")
                            ).scalar_one() is False
