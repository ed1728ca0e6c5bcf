"""The orders behind the Canceled and Unavailable cards: `status=canceled|unavailable`.

The cards show a share (`canceled_rate` = canceled / all matching orders); the list a
card opens must hold exactly its numerator. So, for random filters on the tiny and the
demo data: the canceled (unavailable) list's row count equals the rate times the
`status=all` list's row count, every row has that status, and the rows are exactly the
`status=all` rows of that status. Over HTTP the same holds against /api/v1/kpis.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from test_fast_equals_raw import SETTINGS, filters_strategy
from test_orders import O3, O4, _client, all_pages, streamed

from dashapp.filters import Filters
from dashapp.queries import orders, report
from dashapp.queries.orders import STATUSES, OrderQuery

RATES = {"canceled": "canceled_rate", "unavailable": "unavailable_rate"}


@pytest.fixture(scope="module")
def tiny_client(tiny_engine, tmp_path_factory):
    return _client(tiny_engine, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def demo_client(demo_engine, tmp_path_factory):
    return _client(demo_engine, tmp_path_factory.mktemp("home"))


def check_status_lists(engine, f: Filters) -> None:
    """For each status card: count = rate x all orders, rows = the all-list's rows of it."""
    with engine.connect() as conn:
        current = report.kpi_report(conn, f)["current"]
        everything = orders.order_totals(conn, OrderQuery(f, status="all"))
    all_rows = streamed(engine, OrderQuery(f, status="all"))
    for status, rate in RATES.items():
        query = OrderQuery(f, status=status)
        with engine.connect() as conn:
            total = orders.order_totals(conn, query)
        rows = all_pages(engine, query, 7)
        share = current[rate]
        if everything["orders"] == 0:
            assert share is None and total["orders"] == 0 and rows == []
            continue
        assert total["orders"] == round(share * everything["orders"]) == len(rows)
        assert {r["status"] for r in rows} <= {status}
        assert {r["order_id"] for r in rows} == {r["order_id"] for r in all_rows
                                                 if r["status"] == status}
        assert sum(r["sales"] for r in rows) == total["sales"]


def test_status_lists_equal_the_rates_for_random_filters_on_tiny_data(tiny_engine):
    with tiny_engine.connect() as conn:
        domain = report.load_domain(conn)

    @settings(max_examples=40, **SETTINGS)
    @given(filters_strategy(domain))
    def check(f):
        check_status_lists(tiny_engine, f)

    check()


def test_status_lists_equal_the_rates_for_random_filters_on_demo_data(demo_engine):
    with demo_engine.connect() as conn:
        domain = report.load_domain(conn)

    @settings(max_examples=20, **SETTINGS)
    @given(filters_strategy(domain))
    def check(f):
        check_status_lists(demo_engine, f)

    check()


@pytest.mark.parametrize("query", ["", "state=SP", "region=NE,S", "payment_type=boleto",
                                   "category=health_beauty,housewares",
                                   "start=2020-03-11&end=2020-12-31&region=SE"])
def test_http_status_lists_equal_the_cards(demo_client, query):
    kpis = demo_client.get(f"/api/v1/kpis?{query}").get_json()["current"]
    every = demo_client.get(f"/api/v1/orders?status=all&limit=1&{query}").get_json()
    assert every["total"]["orders"] > 0
    for status, rate in RATES.items():
        body = demo_client.get(f"/api/v1/orders?status={status}&limit=500&{query}").get_json()
        assert body["status"] == status
        assert body["total"]["orders"] == round(kpis[rate] * every["total"]["orders"])
        assert {r["status"] for r in body["rows"]} <= {status}


def test_status_lists_by_hand_and_in_the_csv_name(tiny_client):
    canceled = tiny_client.get("/api/v1/orders?status=canceled").get_json()
    assert [r["order_id"] for r in canceled["rows"]] == [O3]
    unavailable = tiny_client.get("/api/v1/orders?status=unavailable").get_json()
    assert [r["order_id"] for r in unavailable["rows"]] == [O4]
    resp = tiny_client.get("/api/v1/orders?status=canceled&format=csv&state=SP")
    assert resp.status_code == 200
    assert 'filename="orders-canceled-state-SP.csv"' in resp.headers["Content-Disposition"]


def test_openapi_lists_every_status(tiny_client):
    doc = tiny_client.get("/api/v1/openapi.json").get_json()
    params = doc["paths"]["/api/v1/orders"]["get"]["parameters"]
    status = next(p for p in params if p.get("name") == "status")
    assert status["schema"]["enum"] == list(STATUSES)
    assert "canceled" in status["description"]
    bad = tiny_client.get("/api/v1/orders?status=late")
    assert bad.status_code == 400
