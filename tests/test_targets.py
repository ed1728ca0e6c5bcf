"""Monthly sales targets: set by the API and `pulse target set`, refused with a 400 naming
the field when the amount is negative or not a number; the Sales card shows % of target
for ranges of whole months in the target's scope, and the monthly chart draws the target,
red where missed. Real PostgreSQL with the tiny dataset (March and April 2020)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dashapp.config import load_settings, set_settings
from dashapp.page.callbacks import kpi_cards, plans_for, resolve_view, timeseries_chart
from dashapp.page.i18n import lang_for
from dashapp.web.app import create_app

PT = lang_for("pt_BR", "BRL")


@pytest.fixture(scope="module")
def app(tiny_engine, tmp_path_factory):
    return create_app(load_settings({"PULSE_HOME": str(tmp_path_factory.mktemp("h"))}),
                      engine=tiny_engine)


@pytest.fixture
def client(app, tiny_engine):
    from sqlalchemy import text

    with tiny_engine.begin() as conn:
        conn.execute(text("DELETE FROM pulse_targets"))
    return app.server.test_client()


def month_sales(client, start: str, end: str, query: str = "") -> Decimal:
    body = client.get(f"/api/v1/kpis?start={start}&end={end}{query}").get_json()
    return Decimal(str(body["current"]["sales"]))


def test_set_replace_and_list_targets(client):
    r = client.post("/api/v1/targets", json={"month": "2020-03", "amount": 150000})
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert (first["month"], first["dimension"], first["value"], first["amount"]) == \
        ("2020-03-01", "", "", 150000.0)
    again = client.post("/api/v1/targets", json={"month": "2020-03", "amount": "1234.50"})
    assert again.get_json()["id"] == first["id"] and again.get_json()["amount"] == 1234.5
    sp = client.post("/api/v1/targets", json={"month": "2020-03", "amount": 99, "state": "SP"})
    assert sp.status_code == 201 and sp.get_json()["dimension"] == "state"
    listed = client.get("/api/v1/targets").get_json()["targets"]
    assert [(t["value"], t["amount"]) for t in listed] == [("", 1234.5), ("SP", 99.0)]
    assert client.get("/api/v1/targets?start=2020-04-01").get_json()["targets"] == []
    assert client.delete(f"/api/v1/targets/{sp.get_json()['id']}").status_code == 204
    assert client.get(f"/api/v1/targets/{sp.get_json()['id']}").status_code == 404


@pytest.mark.parametrize(("payload", "field", "says"), [
    ({"month": "2020-03", "amount": -5}, "amount", "must not be negative"),
    ({"month": "2020-03", "amount": "-0.01"}, "amount", "must not be negative"),
    ({"month": "2020-03", "amount": "abc"}, "amount", "must be a number"),
    ({"month": "2020-03", "amount": "12,50"}, "amount", "must be a number"),
    ({"month": "2020-03", "amount": "1e3"}, "amount", "must be a number"),
    ({"month": "2020-03", "amount": True}, "amount", "must be a number"),
    ({"month": "2020-03", "amount": "NaN"}, "amount", "must be a number"),
    ({"month": "2020-03"}, "amount", "amount is required"),
    ({"month": "2020-13", "amount": 5}, "month", "not a valid month"),
    ({"month": "March", "amount": 5}, "month", "YYYY-MM"),
    ({"month": "2020-03", "amount": 5, "state": "SP", "category": "toys"}, "category",
     "not both"),
])
def test_bad_targets_are_400_naming_the_field(client, payload, field, says):
    r = client.post("/api/v1/targets", json=payload)
    assert r.status_code == 400
    assert r.get_json()["parameter"] == field and says in r.get_json()["error"]
    assert client.get("/api/v1/targets").get_json()["targets"] == []


def test_cli_sets_targets(client, tiny_engine, monkeypatch, capsys):
    from dashapp import cli

    monkeypatch.setenv("DATABASE_URL", tiny_engine.url.render_as_string(hide_password=False))
    set_settings(None)
    try:
        assert cli.main(["target", "set", "2020-03", "150000", "--state", "SP"]) == 0
        assert "2020-03 state=SP 150000.00" in capsys.readouterr().out
        assert cli.main(["target", "set", "2020-03", "-5"]) == 2
        assert "amount: amount must not be negative" in capsys.readouterr().err
        assert cli.main(["target", "set", "2020-03", "lots"]) == 2
        assert "amount:" in capsys.readouterr().err
        assert cli.main(["target", "list"]) == 0
        assert "state=SP" in capsys.readouterr().out
    finally:
        set_settings(None)
    rows = client.get("/api/v1/targets").get_json()["targets"]
    assert [(r["month"], r["value"], r["amount"]) for r in rows] == \
        [("2020-03-01", "SP", 150000.0)]


def test_card_and_chart_show_the_target(client, app):
    service, userdata = app.server.extensions["pulse"], app.server.extensions["pulse_userdata"]
    march = month_sales(client, "2020-03-01", "2020-03-31")
    april = month_sales(client, "2020-04-01", "2020-04-30")
    assert march > 0 and april > 0
    client.post("/api/v1/targets", json={"month": "2020-03", "amount": str(march * 2)})
    client.post("/api/v1/targets", json={"month": "2020-04", "amount": str(april / 2)})
    view, payload = resolve_view(service, "?start=2020-03-01&end=2020-04-30")
    plans = plans_for(userdata, view, payload)
    total = march + april
    assert plans.progress["target"] == march * 2 + april / 2
    assert plans.progress["sales"] == total
    expected = f"{float(total / (march * 2 + april / 2)) * 100:.0f}"
    card = kpi_cards(payload, PT, plans)[-1]
    assert card.startswith(expected) and "% da meta R$" in card
    fig = timeseries_chart(payload, view["filters"], PT, plans)
    traces = {t.name: t for t in fig.data}
    assert list(traces["Meta não atingida"].y) == [float(march * 2), float(march * 2), None]
    assert traces["Meta não atingida"].line.color == "#D55E00"
    assert list(traces["Meta"].y) == [float(april / 2), float(april / 2), None]
    assert list(traces["Meta"].x) == ["2020-04-01", "2020-05-01", None]
    assert "50\u00a0% atingido" in traces["Meta não atingida"].text[0] or \
        "50% atingido" in traces["Meta não atingida"].text[0]
    # not whole months, or another scope: no percentage (the chart still draws the months)
    part, part_payload = resolve_view(service, "?start=2020-03-01&end=2020-04-10")
    assert kpi_cards(part_payload, PT, plans_for(userdata, part, part_payload))[-1] == ""
    sp, sp_payload = resolve_view(service, "?start=2020-03-01&end=2020-04-30&state=SP")
    assert plans_for(userdata, sp, sp_payload).progress is None
    # a state target counts for that state's view only
    sp_march = month_sales(client, "2020-03-01", "2020-03-31", "&state=SP")
    client.post("/api/v1/targets", json={"month": "2020-03", "amount": str(sp_march),
                                         "state": "SP"})
    sp, sp_payload = resolve_view(service, "?start=2020-03-01&end=2020-03-31&state=SP")
    assert plans_for(userdata, sp, sp_payload).progress["ratio"] == 1
