"""Alerts end to end: real PostgreSQL (the tiny dataset, March-April 2020), a real SMTP
server in the test process (aiosmtpd) and a real HTTP receiver for the webhook. An
alert fires once on the day that crosses its threshold, not on the next run, and again
only after it cleared and crossed again; its value is the API's for that day, written
as the page writes it; the webhook gets JSON with `text`; a dead SMTP server leaves the
e-mail due (the history says why) without holding up the webhook; two runs at once send
once; the API keeps each user's alerts to that user and names a wrong field."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from test_digests import Sink, body_text, free_port
from test_userdata_api import bearer, make_app, signed_in

from dashapp.cache import ResultCache
from dashapp.config import load_settings, set_settings
from dashapp.notify import alerts
from dashapp.notify.mail import Smtp
from dashapp.notify.run import notify_all
from dashapp.page import formatting as fmt
from dashapp.page.i18n import lang_for
from dashapp.service import PulseService
from dashapp.userdata import UserData
from dashapp.web import auth as auth_mod
from loaders.userdata import set_email

controller_mod = pytest.importorskip("aiosmtpd.controller")
PT = lang_for("pt_BR", "BRL")
BASE = "http://pulse.test"


@pytest.fixture(autouse=True)
def private_webhooks(monkeypatch):
    """The receiver below listens on 127.0.0.1, which webhooks may not reach unless the
    install allows it (tests/test_webhook_guard.py holds the refusal)."""
    monkeypatch.setenv("PULSE_WEBHOOK_ALLOW_PRIVATE", "1")
    set_settings(None)
    yield
    set_settings(None)


@pytest.fixture(scope="module")
def accounts(tiny_engine):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        for name in ("ana", "bruno"):
            auth_mod.add_user(tiny_engine, name, "correct horse battery")
    set_email(tiny_engine, "ana", "ana@example.com")
    tokens = {name: auth_mod.create_token(tiny_engine, name)[1] for name in ("ana", "bruno")}
    return tiny_engine, tokens


@pytest.fixture
def world(accounts, tmp_path):
    """The store, a service, ana's whole-shop view in Portuguese; alerts removed after."""
    engine = accounts[0]
    store = UserData(engine)
    owner = store.owner("ana")
    view = store.save_view(owner, {"name": "Loja", "query": "lang=pt-BR"})
    service = PulseService(engine, ResultCache(load_settings({"PULSE_HOME": str(tmp_path)})))
    yield SimpleNamespace(engine=engine, store=store, owner=owner, view=view,
                          service=service)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM pulse_alerts"))


@pytest.fixture
def smtp_server():
    sink = Sink()
    port = free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, Smtp("127.0.0.1", port, None, None, False, "pulse@test")
    controller.stop()


@pytest.fixture
def webhook():
    """A local receiver: keeps each POST's JSON, answers `status`."""
    got = SimpleNamespace(bodies=[], status=200, paths=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            size = int(self.headers["Content-Length"])
            got.bodies.append(json.loads(self.rfile.read(size)))
            got.paths.append(self.path)
            self.send_response(got.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    got.url = f"http://127.0.0.1:{server.server_port}/hooks/T000/secret"
    yield got
    server.shutdown()
    server.server_close()
    thread.join()


def run(w, smtp, now):
    return notify_all(w.engine, w.service, smtp, now, BASE, "BRL", allow_private=True)


def day_sales(w, day: str):
    return w.service.kpis(w.service.parse({"start": [day], "end": [day]}))["current"]["sales"]


def history(w, alert_id):
    return w.store.alert_history(w.owner, alert_id)


def test_fires_once_per_crossing_by_email_and_webhook(world, smtp_server, webhook):
    sink, smtp = smtp_server
    w = world
    alert = w.store.add_alert(w.owner, {
        "view_id": w.view["id"], "metric": "sales", "window": "day", "op": "above",
        "threshold": 100, "channels": ["email", "webhook"], "webhook_url": webhook.url})
    assert day_sales(w, "2020-03-02") > 100 and day_sales(w, "2020-03-03") == 0
    assert day_sales(w, "2020-04-10") > 100
    first = run(w, smtp, datetime(2020, 3, 3, 8))  # 2 March crossed 100
    assert (first.alerts_fired, first.alerts_sent, first.alerts_failed) == (1, 2, 0)
    again = run(w, smtp, datetime(2020, 3, 3, 9))  # same data, same window: not checked
    assert (again.alerts_fired, again.alerts_sent) == (0, 0)
    cleared = run(w, smtp, datetime(2020, 3, 4, 8))  # 3 March: no sales, cleared
    assert cleared.alerts_fired == 0 and w.store.alert(w.owner, alert["id"])["active"] is False
    crossed = run(w, smtp, datetime(2020, 4, 11, 8))  # 10 April crossed again
    assert (crossed.alerts_fired, crossed.alerts_sent) == (1, 2)
    assert len(sink.messages) == 2 and len(webhook.bodies) == 2
    rows = history(w, alert["id"])
    assert [(str(r["period_start"]), r["value"]) for r in rows] == [
        ("2020-04-10", day_sales(w, "2020-04-10")), ("2020-03-02", day_sales(w, "2020-03-02"))]
    assert all(r["email_status"] == r["webhook_status"] == "sent" for r in rows)
    # the e-mail: Portuguese, the value as the page writes it, the link to the view
    msg = sink.messages[0]
    assert msg["To"] == "ana@example.com" and "Loja" in msg["Subject"]
    value = fmt.kpi_value("sales", day_sales(w, "2020-03-02"), PT)
    limit = fmt.kpi_value("sales", 100, PT)
    body = body_text(msg)
    assert f"Vendas em {fmt.nice_date('2020-03-02', PT)} é {value}, acima de {limit}" in body, body
    assert limit in body and f"{BASE}/?lang=pt-BR" in body
    assert any(p.get_content_type() == "text/html" for p in msg.walk())
    # the webhook: JSON with a text chat tools show, the numbers for code, no address
    hook = webhook.bodies[0]
    assert value in hook["text"] and hook["value"] == float(day_sales(w, "2020-03-02"))
    assert hook["threshold"] == 100.0 and hook["alert"]["metric"] == "sales"
    assert hook["period"] == {"start": "2020-03-02", "end": "2020-03-02"}
    assert "secret" not in json.dumps(hook)


def test_a_dead_smtp_server_leaves_the_email_due_and_says_why(world, smtp_server, webhook):
    sink, smtp = smtp_server
    w = world
    alert = w.store.add_alert(w.owner, {
        "view_id": w.view["id"], "metric": "orders", "window": "month", "op": "drop_pct",
        "threshold": 20, "channels": ["email", "webhook"], "webhook_url": webhook.url})
    april = w.service.kpis(w.service.parse({"start": ["2020-04-01"], "end": ["2020-04-30"]}))
    change = alerts.percent_change(april["current"]["orders"], april["previous"]["orders"])
    assert change is not None and change < -20
    down = Smtp("127.0.0.1", free_port(), None, None, False, "pulse@test")
    now = datetime(2020, 5, 1, 7)
    out = run(w, down, now)
    assert (out.alerts_fired, out.alerts_sent, out.alerts_failed) == (1, 1, 1)
    [row] = history(w, alert["id"])
    assert row["email_status"] == "failed" and "ConnectionRefused" in row["email_error"]
    assert row["webhook_status"] == "sent" and len(webhook.bodies) == 1
    assert row["change"] == change
    # the next run sends the e-mail only; the webhook had it already
    out = run(w, smtp, now)
    assert (out.alerts_fired, out.alerts_sent, out.alerts_failed) == (0, 1, 0)
    [row] = history(w, alert["id"])
    assert row["email_status"] == "sent" and len(sink.messages) == 1
    assert len(webhook.bodies) == 1
    assert fmt.percent(abs(float(change)) / 100, PT) in body_text(sink.messages[0])


def test_a_failing_webhook_is_retried_and_recorded(world, smtp_server, webhook):
    _, smtp = smtp_server
    w = world
    alert = w.store.add_alert(w.owner, {
        "view_id": w.view["id"], "metric": "canceled_rate", "window": "month", "op": "above",
        "threshold": "0.05", "channels": ["webhook"], "webhook_url": webhook.url})
    webhook.status = 500
    assert run(w, smtp, datetime(2020, 5, 2, 7)).alerts_failed == 1
    [row] = history(w, alert["id"])
    assert (row["webhook_status"], row["webhook_error"]) == ("failed", "HTTP 500")
    webhook.status = 204
    assert run(w, smtp, datetime(2020, 5, 2, 8)).alerts_sent == 1
    assert history(w, alert["id"])[0]["webhook_status"] == "sent"
    assert len(webhook.bodies) == 2 and webhook.paths[-1] == "/hooks/T000/secret"


def test_two_runs_at_once_send_once(world, smtp_server):
    sink, smtp = smtp_server
    w = world
    w.store.add_alert(w.owner, {"view_id": w.view["id"], "metric": "orders", "window": "week",
                                "op": "above", "threshold": 0, "channels": ["email"]})
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        run(w, smtp, datetime(2020, 3, 5, 8)))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((r.alerts_fired, r.alerts_sent) for r in results) == [(0, 0), (1, 1)]
    assert len(sink.messages) == 1


def test_the_api_keeps_alerts_to_their_user_and_names_wrong_fields(accounts, tmp_path):
    app = make_app(accounts[0], tmp_path)
    c = app.server.test_client()
    ana, bruno = bearer(accounts, "ana"), bearer(accounts, "bruno")
    view = c.post("/api/v1/views", json={"name": "SP", "query": "state=SP"},
                  headers=ana).get_json()
    rule = {"view_id": view["id"], "metric": "canceled_rate", "window": "week",
            "op": "above", "threshold": 0.05, "channels": ["email"]}
    r = c.post("/api/v1/alerts", json=rule, headers=ana)
    assert r.status_code == 201, r.get_json()
    alert = r.get_json()
    assert (alert["metric"], alert["window"], alert["threshold"], alert["active"]) == (
        "canceled_rate", "week", 0.05, False)
    assert c.get("/api/v1/alerts", headers=ana).get_json()["alerts"] == [alert]
    assert c.get(f"/api/v1/alerts/{alert['id']}/history", headers=ana).get_json() == {
        "alert_id": alert["id"], "history": []}
    # bruno: not his view, not his alert
    assert c.post("/api/v1/alerts", json=rule, headers=bruno).status_code == 404
    for path in (f"/api/v1/alerts/{alert['id']}", f"/api/v1/alerts/{alert['id']}/history"):
        assert c.get(path, headers=bruno).status_code == 404
    assert c.delete(f"/api/v1/alerts/{alert['id']}", headers=bruno).status_code == 404
    assert c.get("/api/v1/alerts", headers=bruno).get_json() == {"alerts": []}
    bad = {"metric": "profit", "window": "hour", "op": "under", "threshold": -1,
           "view_id": "x", "channels": ["sms"]}
    for field, value in [*bad.items(), ("threshold", "1e3"), ("threshold", True),
                         ("channels", []), ("webhook_url", "ftp://example.com/x")]:
        body = {**rule, field: value}
        if field == "webhook_url":
            body["channels"] = ["webhook"]
        r = c.post("/api/v1/alerts", json=body, headers=ana)
        assert r.status_code == 400 and r.get_json()["parameter"] == field, (field, r.json)
    no_url = c.post("/api/v1/alerts", json={**rule, "channels": ["webhook"]}, headers=ana)
    assert no_url.status_code == 400 and no_url.get_json()["parameter"] == "webhook_url"
    # bruno has no address: his e-mail alerts are refused, naming channels
    own = c.post("/api/v1/views", json={"name": "x", "query": ""}, headers=bruno).get_json()
    r = c.post("/api/v1/alerts", json={**rule, "view_id": own["id"]}, headers=bruno)
    assert r.status_code == 400 and r.get_json()["parameter"] == "channels"
    # the signed-in session sees the same rows; deleting works once
    session = signed_in(app, "ana")
    assert [a["id"] for a in session.get("/api/v1/alerts").get_json()["alerts"]] == [
        alert["id"]]
    assert c.delete(f"/api/v1/alerts/{alert['id']}", headers=ana).status_code == 204
    assert c.delete(f"/api/v1/alerts/{alert['id']}", headers=ana).status_code == 404


def test_windows_end_before_the_clock():
    now = datetime(2020, 4, 15, 9)
    day = datetime(2020, 4, 14).date()
    assert alerts.alert_period("day", now) == (day, day)
    assert alerts.alert_period("week", now) == (datetime(2020, 4, 8).date(), day)
    assert alerts.alert_period("month", now) == (datetime(2020, 3, 1).date(),
                                                 datetime(2020, 3, 31).date())


def test_openapi_documents_alerts():
    from openapi_spec_validator import validate

    from dashapp.api.openapi import openapi_document

    doc = openapi_document()
    validate(doc)
    assert set(doc["paths"]["/api/v1/alerts"]) == {"get", "post"}
    assert set(doc["paths"]["/api/v1/alerts/{id}"]) == {"get", "delete"}
    assert "get" in doc["paths"]["/api/v1/alerts/{id}/history"]



def texts(component) -> str:
    """Every text a Dash component tree shows, joined (its repr is cut short)."""
    if component is None or isinstance(component, (str, int, float)):
        return "" if component is None else str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    return texts(getattr(component, "children", None))


def test_the_dialog_lists_alerts_and_history_as_the_page_writes_them():
    from datetime import date
    from decimal import Decimal

    from dashapp.page.alerts import alert_rows, history_table

    alert = {"id": 7, "view_id": 3, "metric": "sales", "window": "day", "op": "below",
             "threshold": Decimal("5000"), "active": True, "last_value": Decimal("159"),
             "checked_at": datetime(2020, 3, 3, 8)}
    table = texts(alert_rows([alert], {3: "Loja"}, PT))
    for expected in ("Loja", "Vendas · Último dia · abaixo de", fmt.money(5000, PT),
                     "Disparado", fmt.money(159, PT), "Histórico", "Excluir"):
        assert expected in table, expected
    assert "Nenhum alerta ainda" in texts(alert_rows([], {}, PT))
    fired = {"fired_at": datetime(2020, 3, 3, 8), "period_start": date(2020, 3, 2),
             "period_end": date(2020, 3, 2), "value": Decimal("159"), "change": None,
             "threshold": Decimal("5000"), "email_status": "failed",
             "email_error": "ConnectionRefusedError: Connection refused",
             "webhook_status": None, "webhook_error": None}
    shown = texts(history_table(alert, [fired], PT))
    assert "falhou (ConnectionRefusedError: Connection refused)" in shown
    assert fmt.money(159, PT) in shown


def test_the_dialog_adds_and_lists_an_alert_for_the_signed_in_user(accounts, tmp_path):
    from test_saved_views_page import dash_call

    app = make_app(accounts[0], tmp_path)
    client = signed_in(app, "ana")
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"  # the page's own origin
    store = app.server.extensions["pulse_userdata"]
    view = store.save_view(store.owner("ana"), {"name": "Sul", "query": "state=RS"})
    lang = {"locale": "fr", "currency": "BRL"}
    try:
        r = dash_call(client, "alert-create-result.children", {
            "alert-create.n_clicks": 1, "alert-view.value": str(view["id"]),
            "alert-metric.value": "orders", "alert-window.value": "week",
            "alert-op.value": "drop_pct", "alert-threshold.value": 20,
            "alert-channels.value": ["email"], "alerts-version.data": 0, "lang.data": lang})
        assert r.status_code == 200, r.get_data(as_text=True)
        body = r.get_json()["response"]
        assert body["alerts-version"]["data"] == 1 and "Alerte ajoutée." in str(body)
        [made] = store.alerts(store.owner("ana"))
        assert (made["view_id"], made["metric"], made["op"], made["threshold"]) == (
            view["id"], "orders", "drop_pct", 20)
        listed = dash_call(client, "alerts-list.children", {
            "alerts-modal.is_open": True, "alerts-version.data": 1, "lang.data": lang})
        text_ = str(listed.get_json()["response"])
        assert "Sul" in text_ and "Pas encore vérifiée" in text_ and "7 derniers jours" in text_
        bad = dash_call(client, "alert-create-result.children", {
            "alert-create.n_clicks": 2, "alert-view.value": str(view["id"]),
            "alert-metric.value": "orders", "alert-window.value": "week",
            "alert-op.value": "above", "alert-threshold.value": None,
            "alert-channels.value": ["email"], "alerts-version.data": 1, "lang.data": lang})
        # the refusal in the reader's language, naming what to fix
        assert "Indiquez un seuil" in str(bad.get_json()["response"])
    finally:
        with accounts[0].begin() as conn:
            conn.execute(text("DELETE FROM pulse_alerts"))
