"""The insight endpoints (/api/v1/impact, /forecast, /shortages) through Flask's test
client, over the small demo dataset (4,000 orders, 2019-2021): answers valid against their
OpenAPI schemas in both formats, every bad parameter a 400 naming it, the cache and the
off-request-thread path (202 + Retry-After), and 503s when the database is away or empty.

The models' accuracy is tested in tests/test_insight.py; here the numbers only have to be
the service's numbers.
"""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.insight import forecast, reports
from dashapp.insight.runner import Busy, InsightRunner, Pending
from dashapp.web.app import create_app


def make_app(engine, home, wait: float = 120.0):
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=engine)
    app.server.config["PULSE_INSIGHT_WAIT"] = wait
    return app


@pytest.fixture(scope="module")
def app(demo_engine, tmp_path_factory):
    return make_app(demo_engine, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def schema_for(name: str) -> Draft202012Validator:
    doc = openapi_document()
    return Draft202012Validator({**doc, "$ref": f"#/components/schemas/{name}"})


def get_ok(client, url: str):
    r = client.get(url)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r


def test_openapi_with_insight_is_valid_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    for path in ("/api/v1/impact", "/api/v1/forecast", "/api/v1/shortages"):
        assert path in doc["paths"]
        params = {p.get("name") or p["$ref"].rsplit("/", 1)[1]
                  for p in doc["paths"][path]["get"]["parameters"]}
        assert {"start", "end", "state", "region", "category", "payment_type"} <= params


def test_impact_json(client):
    started = time.perf_counter()
    body = get_ok(client, "/api/v1/impact").get_json()
    elapsed = time.perf_counter() - started
    schema_for("Impact").validate(body)
    assert body["event"] == "2020-03-11" and body["metric"] == "orders"
    assert body["window"] == {"start": "2020-03-11", "end": "2020-09-08", "days": 182}
    assert body["baseline"]["start"] == "2019-01-01" and body["baseline"]["days"] == 435
    assert body["lift_low"] <= body["lift"] <= body["lift_high"]
    assert body["significant"] == (body["lift_low"] > 0 or body["lift_high"] < 0)
    totals = body["totals"]["orders"]
    assert totals["lift"] == body["lift"] and totals["actual"] > 0
    post = [p for p in body["series"] if p["post"]]
    assert post[0]["period"] == "2020-03-11" and len(post) == 26  # 182 days in 7-day steps
    assert sum(p["orders"] for p in post) == totals["actual"]
    assert all(p["orders_lower"] is None for p in body["series"] if not p["post"])
    for dim in ("by_category", "by_state"):
        rows = body[dim]
        assert 0 < len(rows) <= reports.DEFAULT_TOP
        lifts = [r["lift"] for r in rows if r["lift"] is not None]
        assert lifts == sorted(lifts, reverse=True)
    assert {"date": "2020-03-11", "label": "WHO declares COVID-19 a pandemic"} in body["presets"]
    print(f"first /impact on 4k orders: {elapsed:.2f}s")


def test_impact_parameters_and_filters(client):
    body = get_ok(client, "/api/v1/impact?event=2020-04-01&after=28&baseline=365"
                          "&metric=sales&grain=day&top=3&state=SP").get_json()
    schema_for("Impact").validate(body)
    assert body["metric"] == "sales" and body["grain"] == "day"
    assert body["window"] == {"start": "2020-04-01", "end": "2020-04-28", "days": 28}
    assert body["baseline"] == {"start": "2019-04-02", "end": "2020-03-31", "days": 365}
    assert body["lift"] == body["totals"]["sales"]["lift"]
    assert len([p for p in body["series"] if p["post"]]) == 28
    assert body["filters"]["state"] == ["SP"]
    assert [r["key"] for r in body["by_state"]] == ["SP"]
    assert len(body["by_category"]) == 3
    none = get_ok(client, "/api/v1/impact?top=0").get_json()
    assert none["by_category"] == [] and none["by_state"] == []


def test_impact_csv(client):
    r = get_ok(client, "/api/v1/impact?format=csv")
    assert r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert list(rows[0]) == ["period", "post", "orders", "orders_expected", "orders_lower",
                             "orders_upper", "sales", "sales_expected", "sales_lower",
                             "sales_upper"]
    assert rows[0]["orders_lower"] == "" and rows[-1]["orders_lower"] != ""


def test_forecast_json_and_csv(client):
    body = get_ok(client, "/api/v1/forecast?horizon=2").get_json()
    schema_for("Forecast").validate(body)
    assert body["available"] is True and body["reason"] is None
    assert body["model"] in forecast.MODELS and body["orders"]["model"] in forecast.MODELS
    assert [p["period"] for p in body["points"]] == ["2022-01", "2022-02"]
    assert body["backtest"]["months"] == 12
    chosen = next(m for m in body["backtest"]["models"] if m["model"] == body["model"])
    assert chosen["mase"] == body["backtest"]["mase"]
    assert {m["model"] for m in body["backtest"]["models"]} == set(forecast.MODELS)
    assert len(body["history"]) == 36 and body["history"][-1]["period"] == "2021-12"
    six = get_ok(client, "/api/v1/forecast?horizon=6").get_json()
    assert len(six["points"]) == 6
    r = get_ok(client, "/api/v1/forecast?horizon=2&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [row["period"] for row in rows] == ["2022-01", "2022-02"]
    assert float(rows[0]["lower"]) <= float(rows[0]["sales"]) <= float(rows[0]["upper"])


def test_forecast_refuses_short_history_and_says_why(client):
    body = get_ok(client, "/api/v1/forecast?start=2020-06-01").get_json()
    schema_for("Forecast").validate(body)
    assert body["available"] is False and body["points"] == [] and body["model"] is None
    assert "only 19 whole months" in body["reason"] and "at least 30" in body["reason"]
    assert len(body["history"]) == 19


def test_shortages_json_and_csv(client):
    body = get_ok(client, "/api/v1/shortages").get_json()
    schema_for("Shortages").validate(body)
    assert body["grain"] == "month" and len(body["series"]) == 36
    first = body["series"][0]
    assert first["period"] == "2019-01" and first["unavailable_rate_z"] is None  # no history
    for dim in ("by_category", "by_state"):
        assert 0 < len(body[dim]) <= reports.DEFAULT_TOP
        assert all(len(g["points"]) == 36 for g in body[dim])
    weeks = get_ok(client, "/api/v1/shortages?grain=week&top=2&region=SE").get_json()
    schema_for("Shortages").validate(weeks)
    assert weeks["series"][0]["period"] == "2018-12-31"  # the Monday of 2019-01-01's week
    assert len(weeks["by_state"]) == 2 and weeks["method"]["window"] == 26
    assert {g["key"] for g in weeks["by_state"]} <= {"SP", "RJ", "MG", "ES"}
    r = get_ok(client, "/api/v1/shortages?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 36 and rows[0]["unavailable_rate_spike"] == "False"


BAD = [
    ("/api/v1/impact?event=2020-13-01", "event", "must be a date as YYYY-MM-DD"),
    ("/api/v1/impact?event=20200311", "event", "must be a date as YYYY-MM-DD"),
    ("/api/v1/impact?event=2020-03-11&event=2020-04-01", "event", "takes one value"),
    ("/api/v1/impact?event=2030-01-01", "event", "outside the data range"),
    ("/api/v1/impact?event=2019-06-01", "event", "earliest possible event is 2020-01-01"),
    ("/api/v1/impact?start=2019-09-01", "event", "only 192 days of data before it"),
    ("/api/v1/impact?event=2021-12-28", "event", "at least 7 are needed"),
    ("/api/v1/impact?baseline=100", "baseline", "between 365 and 1826 days"),
    ("/api/v1/impact?baseline=a%20year", "baseline", "must be a whole number"),
    ("/api/v1/impact?after=3", "after", "between 7 and 1096 days"),
    ("/api/v1/impact?metric=revenue", "metric", "must be one of orders, sales"),
    ("/api/v1/impact?grain=month", "grain", "must be one of week, day"),
    ("/api/v1/impact?top=31", "top", "between 0 and 30"),
    ("/api/v1/impact?evnt=2020-03-11", "evnt", "did you mean 'event'"),
    ("/api/v1/impact?state=XX", "state", "unknown state 'XX'"),
    ("/api/v1/impact?format=xml", "format", "format must be json or csv"),
    ("/api/v1/forecast?horizon=0", "horizon", "between 1 and 6 months"),
    ("/api/v1/forecast?horizon=7", "horizon", "between 1 and 6 months"),
    ("/api/v1/forecast?horizon=three", "horizon", "must be a whole number"),
    ("/api/v1/forecast?event=2020-03-11", "event", "unknown parameter"),
    ("/api/v1/shortages?grain=day", "grain", "must be one of month, week"),
    ("/api/v1/shortages?top=-1", "top", "between 0 and 30"),
    ("/api/v1/shortages?start=2022-01-01", "start", "the date range is empty"),
]


@pytest.mark.parametrize("url,parameter,message", BAD)
def test_bad_input_is_a_400_naming_the_parameter(client, url, parameter, message):
    r = client.get(url)
    assert r.status_code == 400, r.get_data(as_text=True)
    body = r.get_json()
    schema_for("Error").validate(body)
    assert body["parameter"] == parameter
    assert message in body["error"]


def test_answers_are_cached_per_data_version_and_parameters(app, client):
    cache = app.server.extensions["pulse"].cache
    get_ok(client, "/api/v1/shortages?top=1")
    hits = cache.hits
    again = get_ok(client, "/api/v1/shortages?top=1")
    assert cache.hits == hits + 1
    other = get_ok(client, "/api/v1/shortages?top=2")
    assert cache.hits == hits + 1  # another question, computed
    assert again.get_json() != other.get_json()


def test_slow_answers_come_back_202_then_from_the_cache(demo_engine, tmp_path):
    app = make_app(demo_engine, tmp_path, wait=0.0)
    c = app.server.test_client()
    url = "/api/v1/shortages?top=1&region=S"
    r = c.get(url)
    assert r.status_code == 202, r.get_data(as_text=True)
    assert r.headers["Retry-After"] == "2"
    schema_for("InsightPending").validate(r.get_json())
    deadline = time.monotonic() + 120
    while r.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.1)
        r = c.get(url)
    assert r.status_code == 200
    assert r.get_json()["filters"]["region"] == ["S"]
    cache = app.server.extensions["pulse"].cache
    hits = cache.hits
    assert c.get(url).status_code == 200 and cache.hits == hits + 1


def test_runner_computes_each_question_once_and_bounds_the_queue():
    runner = InsightRunner(workers=1, max_pending=2, keep_seconds=60)
    release = threading.Event()
    calls = []

    def slow(value):
        def run():
            calls.append(value)
            release.wait(10)
            return value
        return run

    with pytest.raises(Pending):
        runner.result("a", slow("a"), wait=0)
    with pytest.raises(Pending):
        runner.result("a", slow("a-again"), wait=0)  # joins the computation in flight
    runner.submit("b", slow("b"))
    with pytest.raises(Busy):
        runner.submit("c", slow("c"))
    release.set()
    assert runner.result("a", slow("a-late"), wait=10) == "a"
    assert runner.result("b", slow("b-late"), wait=10) == "b"
    assert calls == ["a", "b"] and runner.pending() == 0

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        runner.result("d", boom, wait=10)
    assert runner.result("d", lambda: "fine", wait=10) == "fine"  # errors are not kept
    # A computation that is over before its callback is attached must not deadlock.
    assert runner.result("e", lambda: "quick", wait=10) == "quick"
    assert runner.result("e", lambda: "again", wait=10) == "quick"  # remembered


def test_database_away_is_a_503(pg_admin_url, tmp_path):
    url = make_url(pg_admin_url).set(database="pulse_no_such_db")
    app = make_app(create_engine(url), tmp_path)
    r = app.server.test_client().get("/api/v1/impact")
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "database unavailable" in r.get_json()["error"]


def test_empty_database_is_a_503(engine, tmp_path):
    app = make_app(engine, tmp_path)
    for path in ("/api/v1/impact", "/api/v1/forecast", "/api/v1/shortages"):
        r = app.server.test_client().get(path)
        assert r.status_code == 503 and "no data is loaded" in r.get_json()["error"]
