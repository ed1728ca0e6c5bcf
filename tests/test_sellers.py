"""The seller breakdown (`GET /api/v1/breakdown/seller`) over a real PostgreSQL.

Hand-computed rows of a small dataset (`datasets.with_sellers`: the tiny dataset plus a
third seller whose orders are shipped late, on time, not yet, without a limit, and
canceled), under no filter, a category filter (the shipping limit still takes every
item of the seller), a seller filter, both, dates and payment types; an order with two
sellers counts in both rows; pages and the total; CSV equals JSON; bad parameters are
400s naming them; the OpenAPI document describes it and the answers fit its schema.
"""

from __future__ import annotations

import csv
import io

import datasets
import pytest
from conftest import fresh_database, loaded_engine
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.filters import Filters
from dashapp.queries import report, sellers
from dashapp.queries.sellers import ROW_FIELDS
from dashapp.web.app import create_app

H = "{:032x}".format
S1, S2, S3 = H(401), H(402), H(403)

#: Seller rows with no filter, worked out by hand from datasets.tiny and with_sellers.
ALL = {
    # O1 58.90 + O2 19.99 + O5 2 x 58.90; reviews 5, 3 (O1), 2 (O2), 4 (O5); every
    # hand-over before its limit; no canceled order
    S1: {"key": S1, "seller_state": "SP", "sales": 196.69, "freight": 52.21, "items": 4,
         "orders": 3, "aov": 65.56, "avg_review": 3.5, "late_shipping_rate": 0.0,
         "canceled_rate": 0.0},
    # 4 sales orders (141-144) of 50 + 50 + 15 + 25; reviews 1, 5, 4, 3 (not 145's);
    # shipped: 141 (late), 142 (on time against the latest limit), 144 (no limit);
    # 145 canceled out of 5
    S3: {"key": S3, "seller_state": "MG", "sales": 140.0, "freight": 23.0, "items": 6,
         "orders": 4, "aov": 35.0, "avg_review": 3.25, "late_shipping_rate": 1 / 3,
         "canceled_rate": 0.2},
    # O1 100.10 (the order it shares with 401); O3 canceled
    S2: {"key": S2, "seller_state": "RJ", "sales": 100.1, "freight": 20.0, "items": 1,
         "orders": 1, "aov": 100.1, "avg_review": 4.0, "late_shipping_rate": 0.0,
         "canceled_rate": 0.5},
}
#: category=health_beauty: 401 keeps O1 and O5; 402 sells none; 403 keeps 141-143 and
#: the canceled 145 (144 is sports_leisure). 142 stays on time: its limit is the latest of
#: ALL the seller's items in it (05-13), not of the counted one (05-11).
HEALTH_BEAUTY = {
    S1: {**ALL[S1], "sales": 176.7, "freight": 43.49, "items": 3, "orders": 2,
         "aov": 88.35, "avg_review": 4.0},
    S3: {**ALL[S3], "sales": 85.0, "freight": 11.0, "items": 3, "orders": 3, "aov": 28.33,
         "avg_review": 10 / 3, "late_shipping_rate": 0.5, "canceled_rate": 0.25},
}


@pytest.fixture(scope="module")
def sellers_engine(pg_admin_url, template_db, tmp_path_factory):
    folder = datasets.write(datasets.with_sellers(), tmp_path_factory.mktemp("sellers"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


@pytest.fixture(scope="module")
def client(sellers_engine, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=sellers_engine)
    return app.server.test_client()


def get(client, query: str = "") -> dict:
    resp = client.get(f"/api/v1/breakdown/seller?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def assert_rows(rows: list[dict], expected: list[dict]) -> None:
    assert [r["key"] for r in rows] == [e["key"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        assert set(row) == set(ROW_FIELDS)
        for name, value in want.items():
            assert row[name] == (pytest.approx(value) if isinstance(value, float)
                                 else value), (row["key"], name)


# --- hand-computed rows ------------------------------------------------------------------


def test_rows_by_hand_without_filters(client):
    body = get(client)
    assert body["dim"] == "seller" and body["total"] == 3
    assert (body["limit"], body["offset"]) == (50, 0)
    assert_rows(body["rows"], [ALL[S1], ALL[S3], ALL[S2]])  # sales descending


def test_an_order_of_two_sellers_counts_in_both_rows(client):
    o1 = "start=2020-03-02&end=2020-03-02"
    rows = get(client, o1)["rows"]
    assert [(r["key"], r["orders"], r["sales"]) for r in rows] == [
        (S2, 1, 100.1), (S1, 1, 58.9)]
    # the order's reviews count for both sellers: (5 + 3) / 2
    assert [r["avg_review"] for r in rows] == [4.0, 4.0]


def test_category_filter_counts_its_items_but_limits_take_every_item(client):
    body = get(client, "category=health_beauty")
    assert body["total"] == 2
    assert_rows(body["rows"], [HEALTH_BEAUTY[S1], HEALTH_BEAUTY[S3]])


def test_seller_filter_and_category_with_seller(client):
    assert_rows(get(client, f"seller={S3}")["rows"], [ALL[S3]])
    assert_rows(get(client, f"seller={S3}&category=health_beauty")["rows"],
                [HEALTH_BEAUTY[S3]])
    assert_rows(get(client, f"seller={S1},{S2}")["rows"], [ALL[S1], ALL[S2]])
    empty = get(client, f"seller={S1}&category=sports_leisure")  # 401 sells none of it
    assert empty["rows"] == [] and empty["total"] == 0


def test_whole_order_filters(client):
    # payment type: the orders with a boleto row (O2 of 401, 142 of 403)
    rows = get(client, "payment_type=boleto")["rows"]
    assert [(r["key"], r["orders"], r["sales"], r["avg_review"]) for r in rows] == [
        (S3, 1, 50.0, 4.5), (S1, 1, 19.99, 2.0)]
    # state: SP customers' orders (O1 and O3 of the tiny data; 141, 142, 145)
    rows = {r["key"]: r for r in get(client, "state=SP")["rows"]}
    assert (rows[S2]["orders"], rows[S2]["canceled_rate"]) == (1, 0.5)
    assert (rows[S3]["orders"], rows[S3]["canceled_rate"]) == (2, pytest.approx(1 / 3))
    assert rows[S3]["late_shipping_rate"] == 0.5
    # dates: May 2020 holds only 403's orders; a range without orders has no rows
    assert [r["key"] for r in get(client, "start=2020-05-01")["rows"]] == [S3]
    none = get(client, "start=2020-01-01&end=2020-01-31")
    assert none["rows"] == [] and none["total"] == 0


def test_a_seller_with_only_canceled_orders_has_no_row(client):
    rows = get(client, "start=2020-04-01&end=2020-04-01")["rows"]  # O3: canceled, 402
    assert rows == []


# --- pages, CSV, the service ---------------------------------------------------------------


def test_pages_and_total(client):
    whole = get(client)["rows"]
    pages = [get(client, f"limit=1&offset={n}") for n in range(4)]
    assert [p["total"] for p in pages] == [3, 3, 3, 3]
    assert [r for p in pages for r in p["rows"]] == whole
    assert pages[3]["rows"] == []
    two = get(client, "limit=2&offset=1")
    assert two["rows"] == whole[1:] and (two["limit"], two["offset"]) == (2, 1)


@pytest.mark.parametrize("query", ["", "category=health_beauty", "limit=2&offset=1",
                                   f"seller={S3}&state=SP"])
def test_csv_equals_json(client, query):
    body = get(client, query)
    resp = client.get(f"/api/v1/breakdown/seller?{query}&format=csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert 'filename="breakdown-seller.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert list(rows[0]) == list(ROW_FIELDS) if rows else True
    assert len(rows) == len(body["rows"])
    for text_row, row in zip(rows, body["rows"], strict=True):
        for name in ROW_FIELDS:
            value = row[name]
            if value is None:
                assert text_row[name] == ""
            elif isinstance(value, str):
                assert text_row[name] == value
            else:
                assert float(text_row[name]) == pytest.approx(value)


def test_money_is_exact_in_the_query_layer(sellers_engine):
    with sellers_engine.begin() as conn:
        filters = Filters().resolve(report.load_domain(conn))
        found = sellers.seller_rows(conn, filters, limit=None)
    first = found["rows"][0]
    assert str(first["sales"]) == "196.69" and str(first["freight"]) == "52.21"
    assert found["total"] == len(found["rows"]) == 3


def test_static_route_wins_over_the_generic_breakdown(client):
    assert client.get("/api/v1/breakdown/state").status_code == 200
    assert get(client)["dim"] == "seller"
    bad = client.get("/api/v1/breakdown/sellers")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "dim"


def test_bad_parameters_are_400s_naming_them(client):
    cases = {"limit=0": "limit", "limit=501": "limit", "limit=two": "limit",
             "limit=1&limit=2": "limit", "offset=-1": "offset", "offset=1.5": "offset",
             "offset=" + "9" * 30: "offset", "seller=nobody": "seller",
             "state=XX": "state", "format=xml": "format", "cursor=x": "cursor"}
    for query, parameter in cases.items():
        resp = client.get(f"/api/v1/breakdown/seller?{query}")
        assert resp.status_code == 400, query
        assert resp.get_json()["parameter"] == parameter, query
    assert get(client, "limit=500&offset=0")["limit"] == 500


def test_openapi_describes_it_and_answers_fit(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    op = doc["paths"]["/api/v1/breakdown/seller"]["get"]
    assert set(op["responses"]) == {"200", "400", "401", "429", "503"}
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in op["parameters"]}
    assert {"limit", "offset", "seller", "category", "state", "format"} <= names
    assert "seller" in doc["components"]["parameters"]
    schema = Draft202012Validator({**openapi_document(),
                                   "$ref": "#/components/schemas/SellerBreakdown"})
    for query in ("", "category=health_beauty", "limit=1&offset=7", f"seller={S3}"):
        schema.validate(get(client, query))
    meta = Draft202012Validator({**openapi_document(), "$ref": "#/components/schemas/Meta"})
    body = client.get("/api/v1/meta").get_json()
    meta.validate(body)
    assert body["sellers"] == [S1, S2, S3]


def test_panel_lists_the_top_and_keeps_the_selection(sellers_engine, tmp_path):
    """The page's panel: the top N without the seller filter, a selected seller outside
    them added below; its CSV holds those rows with the API's fields."""
    from dashapp.page.panels import sellers as panel

    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=sellers_engine)
    service = app.server.extensions["pulse"]
    with sellers_engine.connect() as conn:
        everything = Filters().resolve(report.load_domain(conn))
    rows, total = panel.panel_rows(service, everything.with_values("seller", [S2]), 1)
    assert [r["key"] for r in rows] == [S1, S2] and total == 3
    rows, total = panel.panel_rows(service, everything.with_values("seller", [S1]), 2)
    assert [r["key"] for r in rows] == [S1, S3] and total == 3
    exported, columns = panel.export_rows(service, everything, 10)
    assert [r["key"] for r in exported] == [S1, S3, S2] and columns == list(ROW_FIELDS)
