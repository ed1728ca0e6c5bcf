"""Fuzzing the REST API from its own OpenAPI document (schemathesis), and its hostile forms.

Every operation of the document, on the demo data and on the quirky tiny dataset, goes
through schemathesis' coverage phase (boundary and just-outside values of every parameter,
duplicated parameters, unknown ones: the phase that found `GET /api/v1/kpis?end=9426-07-12`
-> 500) and its fuzzing phase (random values, positive and negative `GenerationMode`), and
every response must pass:

* `not_a_server_error`: no 5xx; the database is up, so a 503 is a bug too;
* `status_code_conformance`: every status given is documented (400, 202, 401, 429, ...);
* `content_type_conformance`: JSON, or the documented text/csv;
* `response_schema_conformance`: the body matches the documented schema.

The insight endpoints answer synchronously here (`PULSE_INSIGHT_WAIT`), so their models
run on the fuzzed parameters instead of hiding behind a 202. The schema is the document
itself (`openapi_document()`), loaded once at import, and each request goes to the app of
the dataset under test. Seeded: the same cases every run, so a failure reproduces and the
runtime is stable.

Beside the fuzzer, deterministic tables: every date parameter of every operation at the
window's and Python's edges (the three 500s of the issue, whatever the fuzzer draws), sign-in
on (a token answers, no token is a documented 401), the rate limit's documented 429, and
the odd forms one by one (huge and unicode numbers, NUL bytes, 10 kB values, repeats), each
a 400 naming its parameter.

`schemathesis.pytest.from_fixture` would load the schema from the app, but it sets
`node._nodeid`, which pytest 9.2 no longer has; the document is the same either way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app

#: Fuzzing-phase examples per operation and dataset; the coverage phase generates every
#: boundary case of the document whatever this says (about 100-250 per operation).
EXAMPLES = 50
SECRET = "fuzz-test-secret-0123456789-abcdefghijklmnopqrs"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


#: Dates a fuzzer should try more often than uniform over 0001..9999 would: the edges of
#: the window and of Python's dates (the day after 9999-12-31 does not exist), and the
#: years the datasets cover (so that ranges hold orders and reach the SQL and the models).
EDGE_DATES = [date(1, 1, 1), date(1899, 12, 31), date(1900, 1, 1), date(1900, 1, 2),
              date(2999, 12, 31), date(3000, 1, 1), date(9999, 12, 31)]
DATES = st.one_of(st.sampled_from(EDGE_DATES), st.dates(date(2017, 1, 1), date(2021, 12, 31)),
                  st.dates()).map(date.isoformat)
schemathesis.openapi.format("date", DATES)  # for this process: only these tests fuzz


def fuzz_config(examples: int, phases: tuple[str, ...]) -> schemathesis.Config:
    """The given phases, both generation modes, a fixed seed, no example database."""
    return schemathesis.Config.from_dict({
        "seed": 20250101,
        "phases": {
            "examples": {"enabled": False},
            "stateful": {"enabled": False},
            "coverage": {"enabled": "coverage" in phases,
                         "generate-duplicate-query-parameters": True},
            "fuzzing": {"enabled": "fuzzing" in phases},
        },
        "generation": {"mode": "all", "max-examples": examples, "database": "none"},
        "suppress-health-check": ["all"],
    })


def make_app(engine: Any, home: Any, **env: str) -> Any:
    """The app as served, minus the rate limit (every request here comes from one client)
    and with the insight answers waited for."""
    app = create_app(load_settings({"PULSE_HOME": str(home), "PULSE_API_RATE_LIMIT": "0",
                                    **env}), engine=engine)
    app.server.config["PULSE_INSIGHT_WAIT"] = 600.0  # an answer, never a 202
    return app


@pytest.fixture(scope="module", params=["demo", "tiny"])
def fuzzed_app(request, tmp_path_factory):
    engine = request.getfixturevalue(f"{request.param}_engine")
    return make_app(engine, tmp_path_factory.mktemp("home"))


schema = schemathesis.openapi.from_dict(
    openapi_document(), config=fuzz_config(EXAMPLES, ("coverage", "fuzzing")))


@schema.parametrize()
def test_api_conforms_to_its_document(case, fuzzed_app):
    case.call_and_validate(app=fuzzed_app.server, checks=CHECKS)


# --- the date edges, on every operation: deterministic, whatever the fuzzer draws ----------


DOCUMENT = openapi_document()
#: Pairs of (start, end) at the window's edges, inside and across it.
EDGE_RANGES = [(date(1900, 1, 1), date(2999, 12, 31)), (date(1900, 1, 1), date(1900, 1, 1)),
               (date(2999, 12, 31), date(2999, 12, 31)), (date(9999, 12, 31), date(9999, 12, 31)),
               (date(1, 1, 1), date(1, 1, 1))]


def date_parameters(operation: dict[str, Any]) -> list[str]:
    """The names of an operation's date parameters (those with `format: date`)."""
    names = []
    for param in operation.get("parameters", []):
        if "$ref" in param:
            param = DOCUMENT["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param["schema"].get("format") == "date":
            names.append(param["name"])
    return names


def edge_cases() -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(path, path parameters, query) for each date parameter at each edge date (and
    9426-07-12, the fuzzer's first find), and each edge range."""
    cases = []
    for path, item in DOCUMENT["paths"].items():
        names = date_parameters(item["get"])
        queries = [{name: day.isoformat()} for name in names
                   for day in [*EDGE_DATES, date(9426, 7, 12)]]
        if "start" in names:
            queries += [{"start": a.isoformat(), "end": b.isoformat()} for a, b in EDGE_RANGES]
        dims = next((p["schema"]["enum"] for p in item["get"].get("parameters", [])
                     if p.get("name") == "dim"), [None])
        cases += [(path, {"dim": dim} if dim else {}, query) for dim in dims
                  for query in queries]
    return cases


def test_date_edges_on_every_operation(fuzzed_app):
    """`?start=0001-01-01`, `?end=9999-12-31`, ... on each operation: never a 5xx, and
    every answer as documented (the fuzzer draws such dates, but not for every operation)."""
    failures = []
    for path, path_parameters, query in edge_cases():
        case = schema[path]["GET"].Case(path_parameters=path_parameters or None, query=query)
        try:
            case.call_and_validate(app=fuzzed_app.server, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collect them all, then report
            failures.append(f"{case.as_curl_command()}\n{exc}")
    assert not failures, "\n\n".join(failures)


# --- sign-in on: with a token every operation answers; without one, a documented 401 ---


@pytest.fixture(scope="module")
def signed_in(tiny_engine, tmp_path_factory):
    """(app, token) with sign-in required."""
    auth_mod.add_user(tiny_engine, "fuzzer", "fuzzing password", replace=True)
    _, token = auth_mod.create_token(tiny_engine, "fuzzer")
    app = make_app(tiny_engine, tmp_path_factory.mktemp("home"), PULSE_AUTH="required",
                   PULSE_SECRET_KEY=SECRET)
    return app, token


signed_in_schema = schemathesis.openapi.from_dict(
    openapi_document(), config=fuzz_config(10, ("fuzzing",)))


@signed_in_schema.parametrize()
def test_api_with_sign_in(case, signed_in):
    app, token = signed_in
    case.call_and_validate(app=app.server, checks=CHECKS,
                           headers={"Authorization": f"Bearer {token}"})
    anonymous = case.call(app=app.server)
    case.validate_response(anonymous, checks=CHECKS)
    if case.operation.path != "/healthz":
        assert anonymous.status_code == 401


def test_rate_limited_answer_is_documented(tiny_engine, tmp_path):
    """429 is in the document, with its Retry-After and the Error body."""
    app = make_app(tiny_engine, tmp_path, PULSE_API_RATE_LIMIT="1")
    client = app.server.test_client()
    case = schema["/api/v1/kpis"]["GET"].Case(query={"state": "SP"})
    statuses = []
    for _ in range(2):  # from another machine: loopback clients are not limited
        response = client.get("/api/v1/kpis?state=SP",
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
        case.validate_response(response, checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses == [200, 429]
    assert int(response.headers["Retry-After"]) > 0


# --- hostile forms, one by one: each a 400 naming its parameter ----------------------------


ENDPOINT_OF = {"top": "/api/v1/shortages", "horizon": "/api/v1/forecast",
               "baseline": "/api/v1/impact", "after": "/api/v1/impact",
               "event": "/api/v1/impact", "metric": "/api/v1/impact",
               "grain": "/api/v1/timeseries"}
HOSTILE = [
    # (query, parameter, the message says)
    ("top=99999999999999999999", "top", "between 0 and 30, got 99999999999999999999"),
    ("top=" + "9" * 5000, "top", "between 0 and 30"),  # int() refuses > 4,300 digits
    ("top=1.5", "top", "whole number"),
    ("top=1e3", "top", "whole number"),
    ("top=%EF%BC%91%EF%BC%92", "top", "whole number"),  # fullwidth "１２"
    ("top=%D9%A3", "top", "whole number"),  # Arabic-Indic 3
    ("top=1_0", "top", "whole number"),
    ("top=%00", "top", "whole number"),
    ("top=3&top=4", "top", "takes one value"),
    ("top=-1", "top", "between 0 and 30"),
    ("horizon=0", "horizon", "between 1 and 6"),
    ("horizon=NaN", "horizon", "whole number"),
    ("horizon=7", "horizon", "between 1 and 6"),
    ("baseline=364", "baseline", "between 365 and"),
    ("baseline=1e400", "baseline", "whole number"),
    ("after=6", "after", "between 7 and"),
    ("event=9999-12-31", "event", "between 1900-01-01 and 2999-12-31"),
    ("event=0001-01-01", "event", "between 1900-01-01 and 2999-12-31"),
    ("event=%D9%A2%D9%A0%D9%A2%D9%A0-03-11", "event", "YYYY-MM-DD"),  # Arabic digits
    ("event=2020-03-11%00", "event", "YYYY-MM-DD"),
    ("metric=" + "x" * 10_000, "metric", "must be one of orders, sales"),
    ("metric=orders&metric=sales", "metric", "takes one value"),
    ("grain=day&grain=week", "grain", "takes one value"),
    ("grain=%FF", "grain", "must be one of month, week, day"),
    ("format=CSV&format=json", "format", "takes one value"),
    ("format=xml", "format", "json or csv"),
    ("start=" + "2" * 10_000, "start", "YYYY-MM-DD"),
    ("start=1899-12-31", "start", "between 1900-01-01 and 2999-12-31"),
    ("end=3000-01-01", "end", "between 1900-01-01 and 2999-12-31"),
    # the start comes from the data: the parameter given is the one named
    ("end=2999-12-31", "end", "end 2999-12-31 is too late"),
    ("state=" + "S" * 10_000, "state", "unknown state"),
    ("state=%00", "state", "unknown state"),
    ("%00=1", "\x00", "unknown parameter"),
    ("st%zzate=SP", "st%zzate", "unknown parameter"),
]


@pytest.fixture(scope="module")
def tiny_client(tiny_engine, tmp_path_factory):
    return make_app(tiny_engine, tmp_path_factory.mktemp("home")).server.test_client()


@pytest.mark.parametrize("query,parameter,message", HOSTILE, ids=lambda v: str(v)[:30])
def test_hostile_parameter_is_a_400_naming_it(tiny_client, query, parameter, message):
    name = query.split("=", 1)[0]
    path = ENDPOINT_OF.get(name, "/api/v1/kpis")
    r = tiny_client.get(f"{path}?{query}")
    assert r.status_code == 400, r.get_data(as_text=True)[:300]
    body = r.get_json()
    Draft202012Validator({**DOCUMENT,
                          "$ref": "#/components/schemas/Error"}).validate(body)
    assert body["parameter"] == parameter
    assert message in body["error"]
    assert len(body["error"]) < 600  # the input is quoted, not echoed whole


@pytest.mark.parametrize("query", ["format=CSV", "format=", "top=", "top=%2B7", "top=+7",
                                   "grain=WEEK", "state=&start=&format=Json"])
def test_lenient_forms_answer(tiny_client, query):
    """Empty means the default, case does not matter, `+7` is 7: an answer, not a 400."""
    r = tiny_client.get(f"/api/v1/shortages?{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
