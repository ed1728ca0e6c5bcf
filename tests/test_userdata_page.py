"""The Views menu's Targets, Events and Digests dialogs, the daily chart and `/api/v1/me`,
without a browser: the pure helpers, and the page's callbacks posted as the browser posts
them (`dash_call`), in French, against real PostgreSQL (the tiny dataset, March-April
2020). A refused field is told in the reader's language and stores nothing; a stored
target or event bumps `plans-version`, which redraws the view."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from test_saved_views_page import dash_call

from dashapp.config import load_settings
from dashapp.filters import FilterError
from dashapp.page import urlstate
from dashapp.page.callbacks import (
    plans_for,
    resolve_view,
    series_points,
    target_text,
    timeseries_chart,
)
from dashapp.page.digests import subscription_rows
from dashapp.page.i18n import lang_for
from dashapp.page.plans import event_body, scope_text, target_body, target_rows
from dashapp.userdata import check_email
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app

FR = lang_for("fr", "BRL")
PT = lang_for("pt_BR", "BRL")
LANG_FR = {"locale": "fr", "currency": "BRL"}
SECRET = "test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("h"))}),
                      engine=tiny_engine)


@pytest.fixture
def client(app, tiny_engine):
    with tiny_engine.begin() as conn:
        conn.execute(text("DELETE FROM pulse_events"))
        conn.execute(text("DELETE FROM pulse_targets"))
    return app.server.test_client()


def texts(component) -> list[str]:
    """Every string shown in a Dash component tree, in order."""
    if isinstance(component, str):
        return [component]
    if isinstance(component, (list, tuple)):
        return [t for c in component for t in texts(c)]
    children = getattr(component, "children", None)
    return [] if children is None else texts(children)


# --- pure helpers ------------------------------------------------------------------------


def test_the_grain_lives_in_the_url_and_month_is_the_default():
    assert urlstate.with_grain("?state=SP", "day") == "?state=SP&grain=day"
    assert urlstate.with_grain("?state=SP&grain=day", "month") == "?state=SP"
    assert urlstate.with_grain("?grain=day", "hourly") == ""  # an unknown grain: the default
    assert urlstate.view_setting("?grain=DAY", "grain") == "day"
    assert urlstate.view_setting("?grain=week", "grain") is None
    # not a filter: the same view, kept by a filter change, dropped before parsing
    assert urlstate.same_view("?state=SP&grain=day", "?state=SP")
    assert urlstate.keep_page_params("?state=RJ", "?state=SP&grain=day") == \
        "?state=RJ&grain=day"
    assert urlstate.without_page_params({"grain": ["day"], "state": ["SP"]}) == \
        {"state": ["SP"]}


@pytest.mark.parametrize(("x0", "x1", "days"), [
    ("2020-03-04 10:00", "2020-03-06 13:00", ("2020-03-04", "2020-03-06")),  # noons in
    ("2020-03-04 13:00", "2020-03-06 11:00", ("2020-03-05", "2020-03-05")),
    ("2020-03-06 11:00", "2020-03-04 13:00", ("2020-03-05", "2020-03-05")),  # right to left
    ("2020-03-04 13:00", "2020-03-04 20:00", ("2020-03-04", "2020-03-04")),  # inside a bar
    ("2020-03-04T12:00:00.000", "2020-03-05 12:00", ("2020-03-04", "2020-03-05")),
    ("2020-02-20", "2020-03-02 23:00", ("2020-03-01", "2020-03-02")),  # clamped to the data
])
def test_a_drag_on_the_daily_chart_picks_the_days_under_it(x0, x1, days):
    got = urlstate.day_drag_range(x0, x1, date(2020, 3, 1), date(2020, 4, 30))
    assert tuple(d.isoformat() for d in got) == days


@pytest.mark.parametrize(("raw", "ok"), [
    ("ana@example.com", "ana@example.com"), ("  ana@example.com ", "ana@example.com"),
    (None, None), ("", None), ("   ", None)])
def test_an_address_or_none(raw, ok):
    assert check_email(raw) == ok


@pytest.mark.parametrize("raw", ["ana", "ana@", "@example.com", "ana@example", "a b@x.com",
                                 "ana@@example.com", "<ana@example.com>", 42,
                                 "a@" + "x" * 260 + ".com"])
def test_a_malformed_address_is_refused_naming_email(raw):
    with pytest.raises(FilterError) as bad:
        check_email(raw)
    assert bad.value.parameter == "email"


def test_a_saved_view_keeps_the_grain_and_the_theme():
    from dashapp.userdata import check_query

    assert check_query("?state=SP&grain=day&theme=dark") == "state=SP&grain=day&theme=dark"
    for bad in ("grain=week", "theme=blue"):
        with pytest.raises(FilterError) as refused:
            check_query(bad)
        assert refused.value.parameter == "query"


def test_the_forms_become_the_apis_bodies():
    assert target_body(" 2020-03 ", 1500.5, "", "") == {
        "month": "2020-03", "amount": 1500.5, "state": None, "category": None}
    assert target_body(None, None, "SP", None)["state"] == "SP"
    assert event_body("2020-03-20 ", " ", "Campanha", "") == {
        "start": "2020-03-20", "end": None, "label": "Campanha", "note": None}


def test_the_targets_list_speaks_the_pages_language():
    rows = [{"id": 1, "month": date(2020, 3, 1), "amount": Decimal("1234.5"),
             "dimension": "", "value": ""},
            {"id": 2, "month": date(2020, 4, 1), "amount": Decimal("99"),
             "dimension": "state", "value": "SP"}]
    shown = texts(target_rows(rows, PT))
    assert shown[4:8] == ["mar. de 2020", "R$\xa01.234,50", "Loja toda", "Excluir"]
    assert shown[8:11] == ["abr. de 2020", "R$\xa099,00", "Estado: SP"]
    assert scope_text(rows[1], FR) == "État : SP"
    assert texts(target_rows([], FR)) == ["Aucun objectif pour l’instant"]


def test_the_digests_list_names_the_view_and_the_frequency():
    from datetime import datetime

    subs = [{"id": 3, "view_id": 7, "frequency": "weekly",
             "created_at": datetime(2020, 4, 2, 10, 0), "unsubscribed_at": None}]
    shown = texts(subscription_rows(subs, {7: "SP"}, FR))
    assert shown[5:9] == ["SP", "Hebdomadaire", "2 avr. 2020", "Active"]


# --- the dialogs' callbacks --------------------------------------------------------------


def test_setting_a_target_on_the_page_redraws_the_view(client, app):
    r = dash_call(client, "target-result.children", {
        "target-set.n_clicks": 1, "target-month.value": "2020-03", "target-amount.value": 5000,
        "target-state.value": "", "target-category.value": "", "plans-version.data": 4,
        "lang.data": LANG_FR})
    body = r.get_json()["response"]
    assert body["plans-version"]["data"] == 5
    assert body["target-result"]["children"]["props"]["children"] == \
        "Objectif de mars 2020 fixé à 5\u202f000,00\xa0R$."
    targets = app.server.extensions["pulse_userdata"].targets()
    assert [(t["month"], t["amount"], t["dimension"]) for t in targets] == [
        (date(2020, 3, 1), Decimal("5000.00"), "")]
    listed = dash_call(client, "targets-list.children", {
        "targets-modal.is_open": True, "plans-version.data": 5, "lang.data": LANG_FR})
    assert "5\\u202f000,00\\xa0R$" in str(listed.get_json()["response"])
    # plans-version redraws the card and the chart of the shown view
    service = app.server.extensions["pulse"]
    view, _ = resolve_view(service, "?start=2020-03-01&end=2020-03-31")
    r = dash_call(client, "kpi-sales-target.children@", {
        "plans-version.data": 5, "view.data": view, "url.search": "?start=2020-03-01",
        "theme.data": "light", "lang.data": LANG_FR})
    assert r.is_json, (r.status_code, r.get_data(as_text=True)[:500])
    body = r.get_json()["response"]
    sales = Decimal(str(client.get("/api/v1/kpis?start=2020-03-01&end=2020-03-31"
                                   ).get_json()["current"]["sales"]))
    assert body["kpi-sales-target"]["children"] == target_text(
        {"ratio": sales / Decimal(5000), "target": Decimal(5000)}, FR)
    assert [t.get("name") for t in body["timeseries-chart"]["figure"]["data"]] == [
        "Ventes", "Commandes", "Objectif manqué"]


@pytest.mark.parametrize(("month", "amount", "state", "category", "says"), [
    ("2020-13", 10, "", "", "AAAA-MM"),
    ("mars", 10, "", "", "AAAA-MM"),
    ("2020-03", -5, "", "", "montant"),
    ("2020-03", None, "", "", "montant"),  # what a number input sends for "abc"
    ("2020-03", 10, "SP", "bed_bath_table", "pas les deux"),
])
def test_a_refused_target_names_the_field_in_french(client, app, month, amount, state,
                                                    category, says):
    r = dash_call(client, "target-result.children", {
        "target-set.n_clicks": 1, "target-month.value": month, "target-amount.value": amount,
        "target-state.value": state, "target-category.value": category,
        "plans-version.data": 0, "lang.data": LANG_FR})
    body = r.get_json()["response"]
    assert "plans-version" not in body  # not bumped: nothing changed
    assert says in str(body["target-result"]), body
    assert app.server.extensions["pulse_userdata"].targets() == []


def test_adding_an_event_on_the_page_and_refusing_an_end_before_its_start(client, app):
    r = dash_call(client, "event-result.children", {
        "event-add.n_clicks": 1, "event-start.value": "2020-04-07",
        "event-end.value": "2020-04-01", "event-label.value": "Greve",
        "plans-version.data": 0, "lang.data": LANG_FR})
    body = r.get_json()["response"]
    assert "plans-version" not in body and "dernier jour" in str(body["event-result"])
    assert app.server.extensions["pulse_userdata"].events() == []
    r = dash_call(client, "event-result.children", {
        "event-add.n_clicks": 2, "event-start.value": "2020-04-01",
        "event-end.value": "2020-04-07", "event-label.value": "Greve",
        "event-note.value": "", "plans-version.data": 0, "lang.data": LANG_FR})
    assert r.get_json()["response"]["plans-version"]["data"] == 1
    [event] = app.server.extensions["pulse_userdata"].events()
    assert (event["start_day"], event["end_day"], event["label"], event["note"]) == (
        date(2020, 4, 1), date(2020, 4, 7), "Greve", None)
    listed = dash_call(client, "events-list.children", {
        "events-modal.is_open": True, "plans-version.data": 1, "lang.data": LANG_FR})
    assert "Greve" in str(listed.get_json()["response"])
    presets = dash_call(client, "impact-user-events.children", {
        "plans-version.data": 1, "lang.data": LANG_FR})
    children = presets.get_json()["response"]["impact-user-events"]["children"]
    assert [(c["props"]["children"], c["props"]["id"]["date"]) for c in children] == [
        ("Greve", "2020-04-01")]


def test_the_daily_chart_draws_days_and_events_but_no_targets(client, app):
    store = app.server.extensions["pulse_userdata"]
    store.set_target({"month": "2020-03", "amount": "10"})
    store.add_event({"start": "2020-03-20", "label": "Campanha"})
    service = app.server.extensions["pulse"]
    view, payload = resolve_view(service, "?start=2020-03-01&end=2020-04-30&grain=day")
    assert view["notices"] == []  # grain is a page setting, not a refused filter
    plans = plans_for(store, view, payload)
    days = series_points(service, payload, view["filters"], "day")
    api = client.get("/api/v1/timeseries?start=2020-03-01&end=2020-04-30&grain=day"
                     ).get_json()["points"]
    assert [p["period"] for p in days] == [p["period"] for p in api]
    assert len(days) > len(payload["timeseries"]["points"])
    fig = timeseries_chart(payload, view["filters"], FR, plans, "day", days)
    assert [t.name for t in fig.data] == ["Ventes", "Commandes"]  # no target line
    assert list(fig.data[0].x) == [p["period"] for p in api]
    assert [(s.type, s.x0) for s in fig.layout.shapes] == [("line", "2020-03-20")]
    assert [a.text for a in fig.layout.annotations] == ["Campanha"]
    monthly = timeseries_chart(payload, view["filters"], FR, plans)
    assert [t.name for t in monthly.data] == ["Ventes", "Commandes", "Objectif"]


def grain_call(client, search: str, chosen: str):
    """The server's grain callback (a click on the toggle), posted as the page posts it.
    The other way, the toggle following a link's `grain`, runs in the browser: see
    test_userdata_browser's daily chart."""
    cb = next(c for c in client.get("/_dash-dependencies").get_json()
              if c["inputs"] == [{"id": "timeseries-grain", "property": "value"}])
    out_id, out_prop = cb["output"].split("@")[0].rsplit(".", 1)
    payload = {"output": cb["output"], "outputs": {"id": out_id, "property": out_prop},
               "inputs": [{"id": "timeseries-grain", "property": "value", "value": chosen}],
               "state": [{"id": "url", "property": "search", "value": search}],
               "changedPropIds": ["timeseries-grain.value"]}
    return client.post("/_dash-update-component", json=payload)


def test_the_grain_toggle_writes_the_url(client):
    # a click on Day: the URL says so, every filter kept; on Month: grain leaves the URL
    r = grain_call(client, "?state=SP&lang=fr", "day")
    assert r.get_json()["response"]["url"]["search"] == "?state=SP&grain=day&lang=fr"
    r = grain_call(client, "?state=SP&grain=day", "month")
    assert r.get_json()["response"]["url"]["search"] == "?state=SP"
    # nothing to change (the toggle only followed the link): no update
    assert grain_call(client, "?grain=day", "day").status_code == 204
    assert grain_call(client, "?state=SP", "month").status_code == 204


# --- /api/v1/me and the Digests dialog, signed in ----------------------------------------


@pytest.fixture(scope="module")
def signed_in(tiny_engine, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(auth_mod, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
        auth_mod.add_user(tiny_engine, "lia", "correct horse battery")
    _, token = auth_mod.create_token(tiny_engine, "lia")
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("a")),
                                    "PULSE_AUTH": "required", "PULSE_SECRET_KEY": SECRET}),
                     engine=tiny_engine)
    return app, {"Authorization": f"Bearer {token}"}


def test_me_reads_and_changes_the_users_own_address(signed_in):
    app, auth = signed_in
    api = app.server.test_client()
    assert api.get("/api/v1/me", headers=auth).get_json() == {"email": None}
    r = api.put("/api/v1/me", json={"email": " lia@example.com "}, headers=auth)
    assert r.status_code == 200 and r.get_json() == {"email": "lia@example.com"}
    assert api.get("/api/v1/me", headers=auth).get_json() == {"email": "lia@example.com"}
    r = api.put("/api/v1/me", json={"email": "lia@"}, headers=auth)
    assert r.status_code == 400 and r.get_json()["parameter"] == "email"
    assert api.put("/api/v1/me", json={}, headers=auth).get_json()["parameter"] == "email"
    assert api.get("/api/v1/me", headers=auth).get_json() == {"email": "lia@example.com"}
    assert api.put("/api/v1/me", json={"email": None}, headers=auth).get_json() == {
        "email": None}
    assert api.get("/api/v1/me").status_code == 401  # not signed in
    assert "/api/v1/me" in api.get("/api/v1/openapi.json", headers=auth).get_json()["paths"]


def test_without_sign_in_there_is_no_address_to_change(client):
    assert client.get("/api/v1/me").get_json() == {"email": None}
    r = client.put("/api/v1/me", json={"email": "x@example.com"})
    assert r.status_code == 400 and r.get_json()["parameter"] == "email"


def test_without_sign_in_the_digests_dialog_says_it_needs_one(client):
    r = dash_call(client, "me-result.children", {
        "me-save.n_clicks": 1, "me-email.value": "ana@example.com", "lang.data": LANG_FR})
    assert r.get_json()["response"]["me-result"]["children"]["props"]["children"] == \
        "Les résumés par e-mail demandent une connexion : un compte, avec son adresse."


def signed_call(app, output_part: str, values: dict):
    """A page callback as the signed-in user "lia" (her session cookie)."""
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post("/login", data={"username": "lia", "password": "correct horse battery",
                                    "csrf": csrf, "next": "/"},
                    headers={"Origin": "http://localhost"})
    assert r.status_code == 303, r.status_code
    client.environ_base["HTTP_ORIGIN"] = "http://localhost"  # the page's own callbacks
    return dash_call(client, output_part, values)


def test_the_digests_dialog_refuses_a_malformed_address_and_saves_a_good_one(signed_in):
    app, auth = signed_in
    r = signed_call(app, "me-result.children", {
        "me-save.n_clicks": 1, "me-email.value": "lia@", "lang.data": LANG_FR})
    assert r.get_json()["response"]["me-result"]["children"]["props"]["children"] == (
        "Indiquez une adresse e-mail comme nom@example.com, ou laissez le champ vide pour "
        "retirer la vôtre.")
    r = signed_call(app, "me-result.children", {
        "me-save.n_clicks": 2, "me-email.value": "lia@shop.example", "lang.data": LANG_FR})
    assert "Adresse enregistrée." in str(r.get_json()["response"])
    api = app.server.test_client()
    assert api.get("/api/v1/me", headers=auth).get_json() == {"email": "lia@shop.example"}
    # a digest of one of her views, subscribed and listed in the dialog
    view = api.post("/api/v1/views", json={"name": "SP", "query": "state=SP"},
                    headers=auth).get_json()
    r = signed_call(app, "digest-result.children", {
        "digest-subscribe.n_clicks": 1, "digest-view.value": str(view["id"]),
        "digest-frequency.value": "weekly", "digests-version.data": 0, "lang.data": LANG_FR})
    assert r.get_json()["response"]["digests-version"]["data"] == 1
    listed = signed_call(app, "digests-list.children", {
        "digests-modal.is_open": True, "digests-version.data": 1, "lang.data": LANG_FR})
    assert "Hebdomadaire" in str(listed.get_json()["response"])
    [sub] = api.get("/api/v1/subscriptions", headers=auth).get_json()["subscriptions"]
    assert (sub["view_id"], sub["frequency"]) == (view["id"], "weekly")
