"""The REST API over a real database holding the tiny dataset (numbers worked out in
tests/test_metrics.py): both formats, every endpoint, bad input, and the OpenAPI document."""

from __future__ import annotations

import csv
import io

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.metrics import KPI_FIELDS
from dashapp.web.app import create_app


@pytest.fixture(scope="module")
def client(tiny_engine, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=tiny_engine)
    return app.server.test_client()


def schema_for(name: str) -> Draft202012Validator:
    doc = openapi_document()
    return Draft202012Validator({**doc, "$ref": f"#/components/schemas/{name}"})


def test_openapi_document_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    validate(doc)
    for path in ("/api/v1/kpis", "/api/v1/timeseries", "/api/v1/breakdown/{dim}",
                 "/api/v1/meta", "/healthz"):
        assert path in doc["paths"]


def test_kpis_json(client):
    r = client.get("/api/v1/kpis")
    assert r.status_code == 200
    body = r.get_json()
    schema_for("KpiReport").validate(body)
    assert list(body["current"]) == list(KPI_FIELDS)
    c = body["current"]
    assert c["sales"] == 296.79 and c["revenue"] == 369.0 and c["aov"] == 98.93
    assert c["orders"] == 3 and c["customers"] == 3 and c["repeat_rate"] == 0.0
    assert c["canceled_rate"] == 0.2 and c["avg_review"] == 3.5
    previous = {"start": "2020-01-22", "end": "2020-03-01", "basis": "days", "length": 40}
    assert body["filters"] == {"start": "2020-03-02", "end": "2020-04-10", "state": [],
                               "region": [], "category": [], "payment_type": [],
                               "seller": [], "previous_period": previous}
    assert body["previous_period"] == previous
    assert body["previous"]["aov"] is None and body["growth"]["sales"] is None


def test_kpis_filters_repeatable_or_comma_separated(client):
    a = client.get("/api/v1/kpis?state=SP&state=rj").get_json()
    b = client.get("/api/v1/kpis?state=RJ,SP").get_json()
    assert a == b
    assert a["filters"]["state"] == ["RJ", "SP"]
    assert a["current"]["sales"] == 178.99


def test_kpis_csv(client):
    r = client.get("/api/v1/kpis?category=health_beauty&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    by_metric = {row["metric"]: row for row in rows}
    assert list(by_metric) == list(KPI_FIELDS)
    assert by_metric["sales"]["current"] == "176.7"
    assert by_metric["orders"]["current"] == "2"
    assert by_metric["aov"]["previous"] == ""  # null
    # two customers with a health_beauty sales order, one each; none before the range
    assert by_metric["repeat_rate"]["current"] == "0.0"
    assert by_metric["repeat_rate"]["previous"] == by_metric["repeat_rate"]["growth"] == ""


def test_timeseries_json_and_csv(client):
    body = client.get("/api/v1/timeseries?grain=month").get_json()
    schema_for("Timeseries").validate(body)
    assert [p["period"] for p in body["points"]] == ["2020-03", "2020-04"]
    assert body["points"][0]["aov"] == 89.5  # 178.99 / 2 = 89.495, half-up to the cent
    assert body["points"][1]["mom"] == pytest.approx((117.80 - 178.99) / 178.99)
    weeks = client.get("/api/v1/timeseries?grain=week").get_json()
    assert weeks["points"][0]["period"] == "2020-03-02"
    text = client.get("/api/v1/timeseries?format=csv").get_data(as_text=True)
    assert text.splitlines()[0] == "period,sales,orders,aov,mom,yoy"
    assert text.splitlines()[1] == "2020-03,178.99,2,89.5,,"


@pytest.mark.parametrize("dim,first_key", [("state", "SP"), ("region", "SE"),
                                           ("category", "health_beauty"),
                                           ("payment_type", "credit_card")])
def test_breakdowns(client, dim, first_key):
    body = client.get(f"/api/v1/breakdown/{dim}").get_json()
    schema_for("Breakdown").validate(body)
    assert body["dim"] == dim and body["rows"][0]["key"] == first_key
    text = client.get(f"/api/v1/breakdown/{dim}?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["key"] for r in rows] == [r["key"] for r in body["rows"]]
    if dim in ("state", "region"):  # each row is the KPI set with that value as a filter
        # no customer repeats; a state without customers (MG: an unavailable order) is null
        assert [r["repeat_rate"] for r in rows] == [
            "0.0" if r["customers"] != "0" else "" for r in rows]
        assert [r["key"] for r in rows if not r["repeat_rate"]] == (["MG"] if dim == "state"
                                                                    else [])


def test_payment_breakdown_fields(client):
    rows = client.get("/api/v1/breakdown/payment_type").get_json()["rows"]
    cc = rows[0]
    assert cc == {"key": "credit_card", "payment_rows": 2, "orders": 2, "value": 298.0,
                  "share_orders": pytest.approx(2 / 3), "share_value": pytest.approx(298 / 369),
                  "avg_installments": 1.5}


def test_meta(client):
    body = client.get("/api/v1/meta").get_json()
    schema_for("Meta").validate(body)
    assert body["start"] == "2020-03-02" and body["end"] == "2020-04-10"
    assert body["synthetic"] is False and body["states"] == ["AM", "MG", "RJ", "SP"]
    assert body["data_version"].isdigit()


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    schema_for("Health").validate(body)
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["cache"] == "filesystem ok"


BAD = [
    ("/api/v1/kpis?state=XX", "state", "unknown state 'XX'"),
    ("/api/v1/kpis?region=Norte", "region", "unknown region 'Norte'"),
    ("/api/v1/kpis?category=health_beuty", "category", "did you mean 'health_beauty'"),
    ("/api/v1/kpis?payment_type=pix", "payment_type", "unknown payment_type 'pix'"),
    ("/api/v1/kpis?start=03/02/2020", "start", "must be a date as YYYY-MM-DD"),
    ("/api/v1/kpis?end=2020-02-30", "end", "not a valid date"),
    ("/api/v1/kpis?start=2020-04-01&end=2020-03-01", "start", "is after end"),
    ("/api/v1/kpis?start=2020-04-01&start=2020-04-02", "start", "takes one date"),
    ("/api/v1/kpis?stat=SP", "stat", "did you mean 'state'"),
    ("/api/v1/kpis?format=xml", "format", "format must be json or csv"),
    ("/api/v1/timeseries?grain=year", "grain", "grain must be one of month, week, day"),
    ("/api/v1/breakdown/city", "dim", "must be one of state, region, category, payment_type"),
    ("/api/v1/meta?state=SP", "state", "unknown parameter"),
    ("/api/v1/breakdown/state?start=2030-01-01", "start", "the date range is empty"),
    # hostile dates: once an OverflowError (a 500) in the previous period's arithmetic
    ("/api/v1/kpis?end=9426-07-12", "end", "between 1900-01-01 and 2999-12-31"),
    ("/api/v1/kpis?start=0001-01-01", "start", "between 1900-01-01 and 2999-12-31"),
    ("/api/v1/breakdown/state?end=9999-12-31", "end", "between 1900-01-01 and 2999-12-31"),
    ("/api/v1/timeseries?start=1900-01-01&end=1900-01-31", "start", "would begin before"),
    # seller ids are checked against the sellers table on every filtered endpoint
    ("/api/v1/kpis?seller=unknown", "seller", "unknown seller 'unknown'"),
    ("/api/v1/timeseries?seller=" + "0" * 32, "seller", "unknown seller"),
    (f"/api/v1/breakdown/category?seller={401:032x},nope", "seller",
     "unknown seller 'nope'"),
    ("/api/v1/orders?seller=unknown", "seller", "unknown seller 'unknown'"),
    ("/api/v1/forecast?seller=unknown", "seller", "unknown seller 'unknown'"),
    ("/api/v1/shortages?seller=unknown", "seller", "unknown seller 'unknown'"),
    ("/api/v1/impact?seller=unknown", "seller", "unknown seller 'unknown'"),
]


@pytest.mark.parametrize("url,parameter,message", BAD)
def test_bad_input_is_a_400_naming_the_parameter(client, url, parameter, message):
    r = client.get(url)
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    schema_for("Error").validate(body)
    assert body["parameter"] == parameter
    assert message in body["error"]


def test_unknown_endpoint_and_method(client):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and "openapi.json" in r.get_json()["error"]
    r = client.post("/api/v1/kpis")
    assert r.status_code == 405 and "read-only" in r.get_json()["error"]


def test_seller_filter_over_http(client):
    """The seller filter through the API: the tiny data's seller 402 sold one item of o1
    (tests/test_seller_filter.py has the hand count); repeated and comma-separated ids are
    the same filter, echoed back; the breakdowns take it too."""
    s1, s2 = f"{401:032x}", f"{402:032x}"
    body = client.get(f"/api/v1/kpis?seller={s2}").get_json()
    assert body["filters"]["seller"] == [s2]
    assert (body["current"]["orders"], body["current"]["sales"]) == (1, 100.1)
    assert body["current"]["payments"] == 192.29
    both = client.get(f"/api/v1/kpis?seller={s2},{s1}").get_json()
    assert both == client.get(f"/api/v1/kpis?seller={s1}&seller={s2}").get_json()
    assert both["filters"]["seller"] == [s1, s2]
    rows = client.get(f"/api/v1/breakdown/category?seller={s2}").get_json()["rows"]
    assert [(r["key"], r["sales"]) for r in rows] == [("sports_leisure", 100.1)]
    orders = client.get(f"/api/v1/orders?seller={s2}").get_json()
    assert orders["total"]["sales"] == 100.1 and len(orders["rows"]) == 1


def test_openapi_lists_the_seller_parameter(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["parameters"]["seller"]["name"] == "seller"
    for path in ("/api/v1/kpis", "/api/v1/timeseries", "/api/v1/breakdown/{dim}",
                 "/api/v1/orders", "/api/v1/forecast"):
        refs = [p.get("$ref") for p in doc["paths"][path]["get"]["parameters"]]
        assert "#/components/parameters/seller" in refs, path


def test_csv_in_a_spreadsheet_locale(client):
    """`locale=pt_BR`: `;` between fields and `,` decimals (a Brazilian spreadsheet reads
    numbers); the default stays `.`; JSON ignores it; an unknown locale is a 400."""
    text = client.get("/api/v1/timeseries?format=csv&locale=pt_BR").get_data(as_text=True)
    assert text.splitlines()[0] == "period;sales;orders;aov;mom;yoy"
    assert text.splitlines()[1] == "2020-03;178,99;2;89,5;;"
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert float(rows[1]["mom"].replace(",", ".")) == pytest.approx((117.80 - 178.99) / 178.99)
    assert "e" not in rows[1]["mom"]  # never an exponent a spreadsheet would read as text
    same = client.get("/api/v1/timeseries?format=csv&locale=pt-br").get_data(as_text=True)
    assert same == text
    assert client.get("/api/v1/timeseries?format=csv&locale=en").get_data(
        as_text=True).splitlines()[1] == "2020-03,178.99,2,89.5,,"
    kpis = client.get("/api/v1/kpis?category=health_beauty&format=csv&locale=fr_MA")
    by_metric = {r["metric"]: r for r in csv.DictReader(
        io.StringIO(kpis.get_data(as_text=True)), delimiter=";")}
    assert by_metric["sales"]["current"] == "176,7" and by_metric["orders"]["current"] == "2"
    assert client.get("/api/v1/kpis?locale=pt_BR").get_json()["current"]["sales"] == 296.79
    assert client.get("/api/v1/meta?format=csv&locale=pt_BR").status_code == 200
    bad = client.get("/api/v1/kpis?format=csv&locale=de_DE")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "locale"
    assert "pt_BR" in bad.get_json()["error"]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["components"]["parameters"]["locale"]["schema"]["enum"] == [
        "en", "pt_BR", "fr", "fr_MA"]
