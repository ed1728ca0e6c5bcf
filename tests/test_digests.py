"""E-mail digests through a real SMTP server in the test process (aiosmtpd): a monthly
digest of a `state=SP` view in Portuguese arrives once with the API's KPIs for that month
as the page formats them; a second run, and two runs at once, send nothing more; an SMTP
server that is down leaves the digest due for the next run; a malformed SMTP_URL stops
`pulse notify run` naming it. Real PostgreSQL, the tiny dataset (March-April 2020)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import datetime

import pytest

from dashapp.cache import ResultCache
from dashapp.config import load_settings, set_settings
from dashapp.notify import digests as notify
from dashapp.notify.mail import Smtp
from dashapp.page import formatting as fmt
from dashapp.page.i18n import lang_for
from dashapp.service import PulseService
from dashapp.userdata import UserData, unsubscribe_token
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app
from loaders.userdata import set_email

controller_mod = pytest.importorskip("aiosmtpd.controller")
PT = lang_for("pt_BR", "BRL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    sink = Sink()
    port = free_port()
    controller = controller_mod.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, Smtp("127.0.0.1", port, None, None, False, "pulse@test")
    controller.stop()


@pytest.fixture(scope="module")
def setup(tiny_engine, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(tiny_engine, "rita", "correct horse battery")
    set_email(tiny_engine, "rita", "rita@example.com")
    store = UserData(tiny_engine)
    owner = store.owner("rita")
    view = store.save_view(owner, {"name": "SP", "query": "state=SP&lang=pt-BR"})
    sub = store.subscribe(owner, {"view_id": view["id"], "frequency": "monthly"})
    home = tmp_path_factory.mktemp("home")
    service = PulseService(tiny_engine, ResultCache(load_settings({"PULSE_HOME": str(home)})))
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=tiny_engine)
    return tiny_engine, service, app, sub


def body_text(msg) -> str:
    return next(p for p in msg.walk() if p.get_content_type() == "text/plain"
                ).get_payload(decode=True).decode()


def test_monthly_digest_arrives_once_with_the_apis_numbers(setup, smtp_server):
    engine, service, app, _ = setup
    sink, smtp = smtp_server
    now = datetime(2020, 4, 2, 8, 0)  # March 2020 has just ended
    down = Smtp("127.0.0.1", free_port(), None, None, False, "pulse@test")
    assert notify.run(engine, service, down, now, "http://pulse.test", "BRL") == (0, 1)
    assert sink.messages == []  # nothing recorded: still due
    assert notify.run(engine, service, smtp, now, "http://pulse.test", "BRL") == (1, 0)
    assert notify.run(engine, service, smtp, now, "http://pulse.test", "BRL") == (0, 0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(notify.run(
        engine, service, smtp, now, "http://pulse.test", "BRL"))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [(0, 0), (0, 0)] and len(sink.messages) == 1
    msg = sink.messages[0]
    assert msg["To"] == "rita@example.com" and "SP" in msg["Subject"]
    api = app.server.test_client().get(
        "/api/v1/kpis?state=SP&start=2020-03-01&end=2020-03-31").get_json()
    text = body_text(msg)
    for field in ("sales", "orders", "aov"):
        label = PT.gettext(fmt.KPI_LABELS[field])
        assert f"{label}: {fmt.kpi_value(field, api['current'][field], PT)}" in text, text
    assert "http://pulse.test/?state=SP&lang=pt-BR" in text
    top = app.server.test_client().get(
        "/api/v1/breakdown/category?state=SP&start=2020-03-01&end=2020-03-31").get_json()
    best = max(top["rows"], key=lambda r: r["sales"])
    assert f"Categorias: {best['key']} ({fmt.money(best['sales'], PT)})" in text, text
    assert any(p.get_content_type() == "text/html" for p in msg.walk())
    # the next month is a new digest
    assert notify.run(engine, service, smtp, datetime(2020, 5, 1, 7), "http://pulse.test",
                      "BRL") == (1, 0)


def test_periods():
    now = datetime(2020, 4, 15, 9)  # a Wednesday
    assert notify.period_for("daily", now) == (datetime(2020, 4, 14).date(),) * 2
    assert notify.period_for("weekly", now) == (datetime(2020, 4, 6).date(),
                                                datetime(2020, 4, 12).date())
    assert notify.period_for("monthly", now) == (datetime(2020, 3, 1).date(),
                                                 datetime(2020, 3, 31).date())


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:notaport",
                                 ""])
def test_a_malformed_smtp_url_stops_the_run_naming_it(url, setup, monkeypatch, capsys):
    from dashapp import cli

    monkeypatch.setenv("SMTP_URL", url)
    set_settings(None)
    try:
        assert cli.main(["notify", "run", "--now", "2020-04-02T08:00"]) == 2
    finally:
        set_settings(None)
    err = capsys.readouterr().err
    assert "SMTP_URL" in err


def test_subscriptions_check_their_fields(setup):
    engine = setup[0]
    store = UserData(engine)
    owner = store.owner("rita")
    from dashapp.filters import FilterError

    with pytest.raises(FilterError) as bad:
        store.subscribe(owner, {"view_id": 1, "frequency": "hourly"})
    assert bad.value.parameter == "frequency"
    with pytest.raises(FilterError) as bad:
        store.subscribe(owner, {"view_id": "x", "frequency": "daily"})
    assert bad.value.parameter == "view_id"
    assert store.subscribe(owner, {"view_id": 999999, "frequency": "daily"}) is None


SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def test_the_signed_one_click_link_stops_the_next_digest(setup, smtp_server, tmp_path):
    engine, service, _, _ = setup
    sink, smtp = smtp_server
    assert notify.run(engine, service, smtp, datetime(2020, 6, 1, 7), "http://pulse.test",
                      "BRL", SECRET) == (1, 0)
    msg = sink.messages[-1]
    link = str(msg["List-Unsubscribe"]).strip().strip("<>")
    assert link.startswith("http://pulse.test/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"Cancelar inscrição: {link}" in body_text(msg)  # the view's language
    # sign-in is on, the mail client is not signed in: the signed token is enough
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path), "PULSE_AUTH": "required",
                                    "PULSE_SECRET_KEY": SECRET}), engine=engine)
    client = app.server.test_client()
    path = link.removeprefix("http://pulse.test")
    assert client.post(path[:-3] + "xyz").status_code == 404  # a forged token
    page = client.get(path)  # in the language of the view the digest comes from
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="pt-BR">' in html
    assert "Parar de receber este resumo por e-mail?" in html and ">Cancelar inscrição<" in html
    store = UserData(engine)
    assert [s["unsubscribed_at"] for s in store.subscriptions(store.owner("rita"))] == [None]
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Sua inscrição foi cancelada." in done.get_data(
        as_text=True)
    assert [s["unsubscribed_at"] is not None
            for s in store.subscriptions(store.owner("rita"))] == [True]
    assert notify.run(engine, service, smtp, datetime(2020, 7, 1, 7), "http://pulse.test",
                      "BRL", SECRET) == (0, 0)
    assert len(sink.messages) == 1


def test_the_unsubscribe_page_speaks_the_views_language_else_pulse_locale(setup, tmp_path):
    """A view saved in French gets a French page; one without `lang=` the install's
    PULSE_LOCALE; a forged link the install's language too (no subscription to ask)."""
    engine = setup[0]
    store = UserData(engine)
    owner = store.owner("rita")
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path), "PULSE_AUTH": "required",
                                    "PULSE_SECRET_KEY": SECRET, "PULSE_LOCALE": "fr"}),
                     engine=engine)
    client = app.server.test_client()
    made = []
    try:
        for query in ("state=RJ&lang=fr", "state=RJ&lang=pt-BR", "state=RJ"):
            view = store.save_view(owner, {"name": f"RJ {len(made)}", "query": query})
            made.append((view["id"], store.subscribe(owner, {"view_id": view["id"],
                                                             "frequency": "monthly"})["id"]))
        pages = [client.get(f"/unsubscribe/{unsubscribe_token(SECRET, sub)}"
                            ).get_data(as_text=True) for _, sub in made]
        assert '<html lang="fr">' in pages[0] and "Ne plus recevoir ce résumé par e-mail ?" \
            in pages[0] and ">Se désabonner<" in pages[0]
        assert "Parar de receber este resumo por e-mail?" in pages[1]
        assert "Ne plus recevoir ce résumé par e-mail ?" in pages[2]  # PULSE_LOCALE=fr
        forged = client.get("/unsubscribe/nonsense")
        assert forged.status_code == 404
        assert "Ce lien n’est pas valide." in forged.get_data(as_text=True)
    finally:  # leave no subscription behind for the other tests' digests
        for view_id, sub in made:
            store.unsubscribe(owner, sub)
            store.delete_view(owner, view_id)
