"""The orders behind the numbers (`GET /api/v1/orders`, `GET /api/v1/orders/{id}`) over a
real PostgreSQL.

- For random filters, on the tiny and the demo data: the list's row count and sums equal
  the KPIs (`orders`, `sales`, `freight`, `payments`) exactly, and the `status=all` list
  holds the orders the status rates count.
- Keyset pages visit every row exactly once, under every sort and direction, in the
  documented order (ties by order id, rows without a key last).
- The CSV is the JSON pages end to end, field by field, and it streams.
- Hand-checked rows and one whole order of the tiny dataset; bad input is a 400 naming
  the parameter; an unknown order is a 404.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
import tracemalloc
from datetime import date
from decimal import Decimal

import datasets
import pytest
from conftest import fresh_database, loaded_engine
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy import text
from test_fast_equals_raw import SETTINGS, filters_strategy, with_big_sellers

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.filters import Filters
from dashapp.queries import fast, orders, report, stream
from dashapp.queries.orders import ORDERS, ROW_FIELDS, SORTS, OrderQuery, OrderStream
from dashapp.queries.raw import CATEGORY
from dashapp.web.app import create_app

H = "{:032x}".format
O1, O2, O3, O4, O5, O6 = (H(n) for n in range(101, 107))
SUMS = ("orders", "sales", "freight", "payments")


# --- fixtures and helpers ----------------------------------------------------------------


def _client(engine, home):
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=engine)
    return app.server.test_client()


@pytest.fixture(scope="module")
def tiny_client(tiny_engine, tmp_path_factory):
    return _client(tiny_engine, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def demo_client(demo_engine, tmp_path_factory):
    return _client(demo_engine, tmp_path_factory.mktemp("home"))


def with_unpaid_order() -> dict:
    """The tiny dataset plus O6: a delivered sales order (BA) with one sports_leisure item
    of 117.80 + 5.00 and no payment rows nor reviews, bought at the same second as O5 and
    with the same sales as O5 (ties under both sorts), delivered on its estimated day."""
    rows = datasets.tiny()
    base = rows[datasets.F_CUSTOMERS][0]
    rows[datasets.F_CUSTOMERS].append({**base, "customer_id": H(206),
                                       "customer_unique_id": H(305), "customer_state": "BA"})
    rows[datasets.F_ORDERS].append({
        "order_id": O6, "customer_id": H(206), "order_status": "delivered",
        "order_purchase_timestamp": "2020-04-10 18:45:00",
        "order_approved_at": "2020-04-10 19:00:00", "order_delivered_carrier_date": "",
        "order_delivered_customer_date": "2020-04-20 21:30:00",
        "order_estimated_delivery_date": "2020-04-20 00:00:00"})
    rows[datasets.F_ITEMS].append({
        "order_id": O6, "order_item_id": "1", "product_id": H(502), "seller_id": H(402),
        "shipping_limit_date": "2020-04-14 10:00:00", "price": "117.80",
        "freight_value": "5.00"})
    return rows


@pytest.fixture(scope="module")
def unpaid_engine(pg_admin_url, template_db, tmp_path_factory):
    folder = datasets.write(with_unpaid_order(), tmp_path_factory.mktemp("unpaid"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def resolved(engine) -> Filters:
    """No filters, dates made concrete (the data's whole range)."""
    with engine.connect() as conn:
        return Filters().resolve(report.load_domain(conn))


def all_pages(engine, query: OrderQuery, limit: int) -> list[dict]:
    """Every page of a list, following next_cursor to the end; a row seen twice fails at
    once (a cursor that does not move on would otherwise loop for ever)."""
    rows: list[dict] = []
    seen: set[str] = set()
    cursor = None
    with engine.connect() as conn:
        while True:
            page = orders.order_page(conn, query, limit, cursor)
            assert len(page["rows"]) <= limit
            for row in page["rows"]:
                assert row["order_id"] not in seen, ("visited twice", row["order_id"])
                seen.add(row["order_id"])
            rows += page["rows"]
            cursor = page["next_cursor"]
            if cursor is None:
                return rows
            assert len(page["rows"]) == limit  # only the last page is short


def streamed(engine, query: OrderQuery) -> list[dict]:
    stream = OrderStream(engine, query)
    return [row for batch in stream.batches() for row in batch]


def http_pages(client, query: str, limit: int) -> list[dict]:
    """Every page of a list through the API."""
    rows: list[dict] = []
    url = f"/api/v1/orders?{query}&limit={limit}"
    while True:
        r = client.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert not {row["order_id"] for row in body["rows"]} & {row["order_id"] for row in rows}
        rows += body["rows"]
        if body["next_cursor"] is None:
            return rows
        url = f"/api/v1/orders?{query}&limit={limit}&cursor={body['next_cursor']}"


def sort_key(row: dict, sort: str):
    return row[sort]


def assert_in_documented_order(rows: list[dict], sort: str, order: str) -> None:
    """Sorted by the key in the direction asked, ties by order id the same way, rows
    without a key (review, days_late) after all the others in both directions."""
    def before(a, b) -> bool:
        ka, kb = sort_key(a, sort), sort_key(b, sort)
        if ka is None or kb is None:
            if ka is None and kb is None:
                return (a["order_id"] < b["order_id"]) == (order == "asc")
            return kb is None
        if ka != kb:
            return (ka < kb) == (order == "asc")
        return (a["order_id"] < b["order_id"]) == (order == "asc")

    for a, b in zip(rows, rows[1:], strict=False):
        assert before(a, b), (sort, order, a["order_id"], b["order_id"])


def kpi_sums(engine, f: Filters) -> dict:
    """What /api/v1/kpis shows for these filters (the rollup path), unrounded."""
    with engine.connect() as conn:
        current = report.kpi_report(conn, f)["current"]
    return {k: current[k] for k in SUMS}


# --- the list equals the cards, for random filters ---------------------------------------


def check_list_against_kpis(engine, f: Filters, sort: str, order: str, limit: int) -> None:
    """Totals equal the KPIs exactly; the rows add up to the totals; the status=all list
    holds the orders the status rates count."""
    query = OrderQuery(f, sort=sort, order=order)
    with engine.connect() as conn:
        total = orders.order_totals(conn, query)
        everything = orders.order_totals(conn, OrderQuery(f, status="all"))
        sums = fast.order_sums(conn, f).get(None)
    assert total == kpi_sums(engine, f)
    rows = all_pages(engine, query, limit)
    assert len(rows) == len({r["order_id"] for r in rows}) == total["orders"]
    for name in ("sales", "freight", "payments"):
        assert sum((r[name] for r in rows), Decimal(0)) == total[name]
    assert all(isinstance(r["sales"], Decimal) for r in rows)  # exact until output
    assert_in_documented_order(rows, sort, order)
    all_rows = streamed(engine, OrderQuery(f, status="all"))
    assert len(all_rows) == everything["orders"] == (sums.all_orders if sums else 0)
    statuses = [r["status"] for r in all_rows]
    assert statuses.count("canceled") == (sums.canceled if sums else 0)
    assert statuses.count("unavailable") == (sums.unavailable if sums else 0)
    assert {r["order_id"] for r in rows} <= {r["order_id"] for r in all_rows}


def test_list_equals_kpis_for_random_filters_on_tiny_data(tiny_engine):
    with tiny_engine.connect() as conn:
        domain = report.load_domain(conn)

    @settings(max_examples=60, **SETTINGS)
    @given(filters_strategy(domain), st.sampled_from(SORTS), st.sampled_from(ORDERS),
           st.integers(1, 3))
    def check(f, sort, order, limit):
        check_list_against_kpis(tiny_engine, f, sort, order, limit)

    check()


def test_list_equals_kpis_for_random_filters_on_demo_data(demo_engine):
    with demo_engine.connect() as conn:
        domain = with_big_sellers(demo_engine, report.load_domain(conn))

    @settings(max_examples=25, **SETTINGS)
    @given(filters_strategy(domain), st.sampled_from(SORTS), st.sampled_from(ORDERS))
    def check(f, sort, order):
        check_list_against_kpis(demo_engine, f, sort, order, 500)

    check()


@pytest.mark.parametrize("query", [
    "", "state=SP", "region=NE,S", "category=health_beauty,housewares",
    "payment_type=voucher", "start=2020-03-11&end=2020-06-30&state=RJ&payment_type=boleto",
    "category=bed_bath_table&payment_type=credit_card&region=SE",
])
def test_http_totals_equal_http_kpis_on_demo_data(demo_client, query):
    kpis = demo_client.get(f"/api/v1/kpis?{query}").get_json()["current"]
    body = demo_client.get(f"/api/v1/orders?{query}&limit=1").get_json()
    assert body["total"] == {k: kpis[k] for k in SUMS}
    assert kpis["orders"] > 0


def test_list_equals_kpis_for_sellers_on_demo_data(demo_engine, demo_client):
    """Sellers alone, together, with a category of theirs (the same item must match both)
    and with every other kind: the list's totals are the cards' to the cent."""
    with demo_engine.connect() as conn:
        domain = report.load_domain(conn)
        big = with_big_sellers(demo_engine, domain, 3).sellers
        cats = conn.execute(text(
            "SELECT category FROM agg_seller_order WHERE seller_id = ANY(:s) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"), {"s": list(big)}).scalars().all()
    views = [Filters(sellers=big[:1]), Filters(sellers=big),
             Filters(sellers=big, categories=tuple(sorted(cats))),
             Filters(sellers=big[1:], categories=(cats[0],), payment_types=("credit_card",)),
             Filters(sellers=big, regions=("SE",), start=date(2020, 1, 1),
                     end=date(2020, 12, 31))]
    for v in views:
        f = v.resolve(domain)
        assert kpi_sums(demo_engine, f)["orders"] > 0, v
        check_list_against_kpis(demo_engine, f, "sales", "desc", 500)
        query = "&".join(f"{k}={','.join(vals)}" for k, vals in v.to_params().items())
        kpis = demo_client.get(f"/api/v1/kpis?{query}").get_json()["current"]
        body = demo_client.get(f"/api/v1/orders?{query}&limit=1").get_json()
        assert body["total"] == {k: kpis[k] for k in SUMS}


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ORDERS)
def test_pages_visit_every_demo_order_once(demo_engine, sort, order):
    query = OrderQuery(resolved(demo_engine), status="all", sort=sort, order=order)
    rows = all_pages(demo_engine, query, 333)
    whole = streamed(demo_engine, query)
    assert len(whole) == 4000
    assert [r["order_id"] for r in rows] == [r["order_id"] for r in whole]
    assert rows == whole  # every field, page after page
    assert_in_documented_order(rows, sort, order)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ORDERS)
def test_pages_of_one_row_break_ties_by_order_id(unpaid_engine, sort, order):
    """O5 and O6 share purchase time and sales; O1 and O5 share a review mean; rows
    without a review or a days_late: one row per page still visits each once."""
    for status in ("sales", "all"):
        query = OrderQuery(resolved(unpaid_engine), status=status, sort=sort, order=order)
        rows = all_pages(unpaid_engine, query, 1)
        assert len(rows) == len({r["order_id"] for r in rows}) == (4 if status == "sales"
                                                                   else 6)
        assert rows == streamed(unpaid_engine, query)
        assert_in_documented_order(rows, sort, order)


def test_tie_and_null_order_by_hand(unpaid_engine):
    f = resolved(unpaid_engine)

    def ids(sort, order, status="sales"):
        return [r["order_id"] for r in all_pages(unpaid_engine,
                                                 OrderQuery(f, status, sort, order), 2)]

    assert ids("purchased_at", "desc") == [O6, O5, O2, O1]
    assert ids("purchased_at", "asc") == [O1, O2, O5, O6]
    assert ids("sales", "desc") == [O1, O6, O5, O2]  # 159.00, 117.80 twice, 19.99
    assert ids("review", "desc") == [O5, O1, O2, O6]  # 4, 4, 2, none last
    assert ids("review", "asc") == [O2, O1, O5, O6]
    assert ids("days_late", "asc") == [O1, O6, O2, O5]  # -11, 0, 2, none
    assert ids("days_late", "desc") == [O2, O6, O1, O5]
    assert ids("payments", "asc", "all") == [O6, O2, O4, O5, O1, O3]  # O6: 0


def test_http_pages_and_csv_are_the_same_rows_on_demo_data(demo_client):
    query = "state=SP,RJ&sort=sales&order=asc"
    rows = http_pages(demo_client, query, 250)
    r = demo_client.get(f"/api/v1/orders?{query}&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == \
        'attachment; filename="orders-state-RJ-SP.csv"'
    assert csv_rows(r.get_data(as_text=True)) == [as_csv(row) for row in rows]
    total = demo_client.get(f"/api/v1/orders?{query}").get_json()["total"]
    assert len(rows) == total["orders"] > 500


def as_csv(row: dict) -> dict:
    """A JSON row as its CSV cells are written."""
    def cell(v):
        if isinstance(v, list):
            return "|".join(v)
        return "" if v is None else str(v)
    return {k: cell(v) for k, v in row.items()}


def csv_rows(body: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(body))
    assert tuple(reader.fieldnames or ()) == ROW_FIELDS
    return list(reader)


@pytest.mark.parametrize("query", [
    "status=all&sort=review&order=asc", "category=health_beauty&sort=days_late",
    "start=2020-03-01&end=2020-03-31&status=all",
])
def test_csv_equals_json_pages_on_tiny_data(tiny_client, query):
    rows = http_pages(tiny_client, query, 2)
    body = tiny_client.get(f"/api/v1/orders?{query}&format=csv").get_data(as_text=True)
    assert csv_rows(body) == [as_csv(row) for row in rows]
    assert rows


def test_csv_file_name_says_the_filters(tiny_client):
    r = tiny_client.get("/api/v1/orders?format=csv&state=sp&start=2020-03-01&status=all"
                        "&category=health_beauty,pc_gamer")
    assert r.headers["Content-Disposition"] == (
        'attachment; filename="orders-all-start-2020-03-01-state-SP-category-health_beauty-'
        'pc_gamer.csv"')
    r.close()
    r = tiny_client.get("/api/v1/orders?format=csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="orders.csv"'
    r.close()


def _stream_csv(client, query: str) -> tuple[int, list[int]]:
    """(peak traced memory, chunk sizes) of a CSV read chunk by chunk, keeping nothing."""
    r = client.get(f"/api/v1/orders?format=csv&{query}", buffered=False)
    assert r.status_code == 200 and r.is_streamed and not r.is_sequence
    sizes = []
    tracemalloc.start()
    try:
        for chunk in r.response:
            sizes.append(len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        r.close()
    return peak, sizes


def test_csv_streams_in_constant_memory_and_releases_its_connection(demo_client, demo_engine,
                                                                    monkeypatch):
    """Memory while streaming is a few chunks' worth, whatever the length of the list: at
    most the producer's bounded queue and the chunks in hand, for the SP orders (~40% of
    the demo) as for all 4,000 orders, several times less than the whole file. Small
    chunks here, so that the demo's lists are many chunks long. (Not "as high as the SP
    list's peak": whether the queue fills depends on the two threads' timing.)"""
    monkeypatch.setattr(stream, "COPY_CHUNK", 16 * 1024)
    _stream_csv(demo_client, "state=SP&sort=sales")  # warm-up: first-use caches
    peak_part, part = _stream_csv(demo_client, "state=SP&sort=sales")
    peak_all, whole = _stream_csv(demo_client, "status=all&sort=sales")
    assert whole[0] == len(",".join(ROW_FIELDS)) + 1  # the header goes out alone, first
    assert all(16 * 1024 <= n < 17 * 1024 for n in whole[1:-1]), whole  # then full chunks
    assert sum(whole) > 500_000 and sum(whole) > 2 * sum(part) and len(part) > 5
    bound = (stream.COPY_QUEUE + 4) * 17 * 1024 + 48 * 1024
    assert peak_part < bound and peak_all < bound and sum(whole) > 2.5 * bound, \
        (peak_part, peak_all, bound, sum(whole))
    assert demo_engine.pool.checkedout() == 0
    unread = demo_client.get("/api/v1/orders?format=csv", buffered=False)
    unread.close()  # a client that goes away before reading anything
    assert demo_engine.pool.checkedout() == 0


def _copies(engine) -> list[str]:
    """The COPY statements running on the test database, after giving a cancelled one a
    moment to end."""
    for _ in range(50):
        with engine.connect() as conn:
            running = list(conn.execute(text(
                "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query LIKE 'COPY%'")).scalars())
        if not running:
            return []
        time.sleep(0.1)
    return running


def test_a_client_leaving_mid_stream_stops_the_copy(demo_client, demo_engine, monkeypatch):
    """The client reads one chunk and hangs up: the COPY is cancelled on the server and no
    connection stays checked out; the next export works."""
    monkeypatch.setattr(stream, "COPY_CHUNK", 4 * 1024)
    r = demo_client.get("/api/v1/orders?format=csv&status=all", buffered=False)
    chunks = iter(r.response)
    assert next(chunks).startswith(b"order_id,") and len(next(chunks)) >= 4 * 1024
    assert _copies(demo_engine) != []  # still running: the client has not read the rest
    r.close()
    assert _copies(demo_engine) == []
    assert demo_engine.pool.checkedout() == 0
    again = demo_client.get("/api/v1/orders?format=csv&status=all")
    assert again.get_data().count(b"\n") == 4001


@pytest.mark.parametrize("sql", [
    "SELECT g FROM generate_series(1, 20000000) g",  # rows coming: the reader stops them
    "SELECT g FROM generate_series(1, 5000000) g ORDER BY md5(g::text)",  # still sorting
])
def test_closing_a_copy_cancels_its_statement(demo_engine, sql):
    """Whether the COPY is sending rows or still sorting before its first one, close()
    ends the statement on the server at once and releases the connection."""
    copy = stream.CopyStream(demo_engine, sql, {})
    chunks = copy.chunks()
    assert next(chunks) == b"g\n"
    assert _copies(demo_engine) != []
    started = time.perf_counter()
    copy.close()
    assert _copies(demo_engine) == [] and demo_engine.pool.checkedout() == 0
    assert time.perf_counter() - started < 5


# --- hand-checked rows of the tiny dataset ---------------------------------------------------


def test_rows_of_the_tiny_dataset_by_hand(tiny_client):
    body = tiny_client.get("/api/v1/orders").get_json()
    assert [r["order_id"] for r in body["rows"]] == [O5, O2, O1]
    o5, o2, o1 = body["rows"]
    assert o1 == {
        "order_id": O1, "purchased_at": "2020-03-02T10:00:00", "customer_unique_id": H(301),
        "state": "SP", "status": "delivered", "items": 2, "sales": 159.0, "freight": 33.29,
        "payments": 192.29, "categories": ["health_beauty", "sports_leisure"],
        "payment_types": ["credit_card", "voucher"],
        "review": 4.0,  # two review rows, 5 and 3
        "delivered_at": "2020-03-09T15:00:00", "estimated_at": "2020-03-20T00:00:00",
        "days_late": -11}  # delivered 11 days early
    assert o2["days_late"] == 2  # 2 April 12:00 against 31 March
    assert o2["categories"] == ["unknown"] and o2["review"] == 2.0  # the shared review id
    assert o5["review"] == 4.0 and o5["days_late"] is None  # shipped, not delivered
    assert o5["purchased_at"] == "2020-04-10T18:45:00"
    assert body["total"] == {"orders": 3, "sales": 296.79, "freight": 72.21,
                             "payments": 369.0}
    assert body["next_cursor"] is None and body["limit"] == 50
    assert (body["status"], body["sort"], body["order"]) == ("sales", "purchased_at", "desc")
    assert body["filters"] == {"start": "2020-03-02", "end": "2020-04-10", "state": [],
                               "region": [], "category": [], "payment_type": [],
                               "seller": []}


def test_category_filter_keeps_only_the_selected_items(tiny_client):
    body = tiny_client.get("/api/v1/orders?category=health_beauty").get_json()
    o5, o1 = body["rows"]
    assert (o1["order_id"], o1["items"], o1["sales"], o1["freight"]) == (O1, 1, 58.9, 13.29)
    assert o1["categories"] == ["health_beauty"]  # its sports_leisure item is not counted
    assert o1["payments"] == 192.29  # ... but every payment row is
    assert o1["payment_types"] == ["credit_card", "voucher"]
    assert (o5["order_id"], o5["items"], o5["sales"]) == (O5, 2, 117.8)
    assert body["total"] == {"orders": 2, "sales": 176.7, "freight": 43.49,
                             "payments": 340.29}


def test_payment_filter_keeps_every_payment_row(tiny_client):
    body = tiny_client.get("/api/v1/orders?payment_type=voucher").get_json()
    assert [(r["order_id"], r["payments"], r["payment_types"]) for r in body["rows"]] == \
        [(O1, 192.29, ["credit_card", "voucher"])]


def test_status_all_holds_canceled_and_unavailable_orders(tiny_client):
    rows = tiny_client.get("/api/v1/orders?status=all").get_json()["rows"]
    assert [(r["order_id"], r["status"]) for r in rows] == [
        (O5, "shipped"), (O4, "unavailable"), (O3, "canceled"), (O2, "delivered"),
        (O1, "delivered")]
    o4, o3 = rows[1], rows[2]
    assert (o4["items"], o4["sales"], o4["categories"], o4["payments"]) == (0, 0.0, [], 99.0)
    assert (o3["sales"], o3["freight"], o3["categories"]) == (1200.0, 45.5, ["pc_gamer"])
    assert o3["days_late"] is None and o3["review"] is None
    with_toys = tiny_client.get("/api/v1/orders?status=all&category=pc_gamer").get_json()
    assert [r["order_id"] for r in with_toys["rows"]] == [O3]
    assert with_toys["total"]["orders"] == 1


def test_an_order_without_payment_rows_pays_zero(unpaid_engine, tmp_path):
    client = _client(unpaid_engine, tmp_path)
    body = client.get("/api/v1/orders?state=BA").get_json()
    assert [(r["order_id"], r["payments"], r["payment_types"], r["review"], r["days_late"])
            for r in body["rows"]] == [(O6, 0.0, [], None, 0)]
    assert body["total"] == {"orders": 1, "sales": 117.8, "freight": 5.0, "payments": 0.0}
    kpis = client.get("/api/v1/kpis").get_json()["current"]
    assert client.get("/api/v1/orders").get_json()["total"] == {k: kpis[k] for k in SUMS}


# --- one order ---------------------------------------------------------------------------


def test_one_order_whole(tiny_client):
    r = tiny_client.get(f"/api/v1/orders/{O1}")
    assert r.status_code == 200
    assert r.get_json() == {
        "order_id": O1, "status": "delivered",
        "purchased_at": "2020-03-02T10:00:00", "approved_at": "2020-03-02T10:15:00",
        "delivered_carrier_at": "2020-03-03T09:00:00",
        "delivered_at": "2020-03-09T15:00:00", "estimated_at": "2020-03-20T00:00:00",
        "days_late": -11,
        "customer": {"customer_id": H(201), "customer_unique_id": H(301),
                     "city": "sao paulo", "state": "SP"},
        "items": [
            {"order_item_id": 1, "product_id": H(501), "category": "health_beauty",
             "seller_id": H(401), "price": 58.9, "freight": 13.29,
             "shipping_limit": "2020-03-06T10:00:00"},
            {"order_item_id": 2, "product_id": H(502), "category": "sports_leisure",
             "seller_id": H(402), "price": 100.1, "freight": 20.0,
             "shipping_limit": "2020-03-06T10:00:00"}],
        "payments": [
            {"sequential": 1, "type": "credit_card", "installments": 3, "value": 150.0},
            {"sequential": 2, "type": "voucher", "installments": 1, "value": 42.29}],
        "reviews": [
            {"review_id": H(601), "score": 5, "title": None,
             "message": 'Chegou antes do prazo, "ótimo",\nrecomendo',
             "created_at": "2020-03-10T00:00:00", "answered_at": "2020-03-11T10:00:00"},
            {"review_id": H(603), "score": 3, "title": None, "message": None,
             "created_at": "2020-03-12T00:00:00", "answered_at": "2020-03-13T00:00:00"}],
    }


def test_orders_without_items_or_with_odd_products(tiny_client):
    o4 = tiny_client.get(f"/api/v1/orders/{O4}").get_json()
    assert (o4["status"], o4["items"], o4["reviews"], o4["delivered_at"]) == \
        ("unavailable", [], [], None)
    assert o4["payments"] == [{"sequential": 1, "type": "debit_card", "installments": 1,
                               "value": 99.0}]
    o2 = tiny_client.get(f"/api/v1/orders/{O2}").get_json()
    assert o2["items"][0]["category"] == "unknown" and o2["days_late"] == 2
    assert o2["reviews"][0]["answered_at"] is None and o2["reviews"][0]["title"] == "atraso"
    o3 = tiny_client.get(f"/api/v1/orders/{O3}").get_json()
    assert o3["items"][0]["category"] == "pc_gamer"  # untranslated, kept as it is
    assert o3["approved_at"] is None and o3["status"] == "canceled"


@pytest.mark.parametrize("order_id, status, parameter", [
    (H(999), 404, None),
    ("nope", 404, None),
    ("x" * 65, 400, "order_id"),
    ("a%20b", 400, "order_id"),
    ("%27%3B--", 400, "order_id"),
])
def test_unknown_or_implausible_order_ids(tiny_client, order_id, status, parameter):
    r = tiny_client.get(f"/api/v1/orders/{order_id}")
    assert r.status_code == status
    body = r.get_json()
    assert body["error"] and body.get("parameter") == parameter


# --- bad input -----------------------------------------------------------------------------


def _cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_bad_parameters_are_400s_naming_them(tiny_client):
    first = tiny_client.get("/api/v1/orders?limit=1").get_json()
    good = first["next_cursor"]
    real = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    cases = {
        "limit=0": "limit", "limit=501": "limit", "limit=ten": "limit", "limit=1&limit=2":
        "limit", "sort=price": "sort", "order=up": "order", "status=late": "status",
        "cursor=%%%": "cursor", "cursor=bm90IGpzb24": "cursor",
        "cursor=" + _cursor({"v": 1}): "cursor",
        "cursor=" + _cursor({**real, "k": "yesterday"}): "cursor",
        "cursor=" + _cursor({**real, "k": None}): "cursor",  # purchase time is never null
        "cursor=" + _cursor({**real, "id": "x" * 600}): "cursor",
        "cursor=" + _cursor({**real, "id": 7}): "cursor",
        "cursor=" + _cursor({**real, "k": "2020-04-10T18:45:00+03:00"}): "cursor",
        "cursor=" + "A" * 1100: "cursor",
        f"cursor={good}&state=SP": "cursor",  # another list's cursor
        f"cursor={good}&sort=sales": "cursor",
        f"cursor={good}&status=all": "cursor",
        f"cursor={good}&order=asc": "cursor",
        "state=XX": "state", "start=2020-13-01": "start", "format=xml": "format",
        "seller=unknown": "seller", f"seller={H(401)}&seller=x": "seller",
        "colour=red": "colour",
    }
    for query, parameter in cases.items():
        r = tiny_client.get(f"/api/v1/orders?{query}")
        assert r.status_code == 400, query
        assert r.get_json()["parameter"] == parameter, query
    assert tiny_client.get(f"/api/v1/orders?limit=1&cursor={good}").status_code == 200
    assert tiny_client.get("/api/v1/orders?limit=500&sort=Sales&order=ASC").status_code == 200


def test_a_cursor_holds_no_sql(tiny_client):
    """A well-formed cursor with a hostile key is refused, not run; a hostile order id is
    only ever a bound value (ids are whatever text the data holds)."""
    first = tiny_client.get("/api/v1/orders?limit=1&sort=sales").get_json()
    good = first["next_cursor"]
    real = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    for value in ("1; DROP TABLE orders", "NaN", "Infinity", 12, None):
        r = tiny_client.get(f"/api/v1/orders?limit=1&sort=sales&cursor="
                            f"{_cursor({**real, 'k': value})}")
        assert r.status_code == 400 and r.get_json()["parameter"] == "cursor"
    r = tiny_client.get(f"/api/v1/orders?limit=5&sort=sales&cursor="
                        f"{_cursor({**real, 'id': '0; DROP TABLE orders; --'})}")
    assert r.status_code == 200
    assert tiny_client.get("/api/v1/orders?status=all").get_json()["total"]["orders"] == 5


# --- the OpenAPI description ---------------------------------------------------------------


def test_openapi_describes_both_endpoints(tiny_client):
    doc = tiny_client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    listing = doc["paths"]["/api/v1/orders"]["get"]
    assert set(listing["responses"]) == {"200", "400", "401", "429", "503"}
    assert set(listing["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"]}
    assert {"status", "sort", "order", "limit", "cursor", "start", "end", "state", "region",
            "category", "payment_type", "format"} <= names
    limit = next(p for p in listing["parameters"] if p.get("name") == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    one = doc["paths"]["/api/v1/orders/{order_id}"]["get"]
    assert set(one["responses"]) == {"200", "400", "401", "404", "429", "503"}

    def schema(name):
        return Draft202012Validator({**openapi_document(),
                                     "$ref": f"#/components/schemas/{name}"})

    for query in ("", "status=all&limit=2", "category=health_beauty&sort=review"):
        schema("OrderList").validate(tiny_client.get(f"/api/v1/orders?{query}").get_json())
    for order_id in (O1, O2, O3, O4, O5):
        schema("OrderDetail").validate(tiny_client.get(f"/api/v1/orders/{order_id}")
                                       .get_json())
    schema("Error").validate(tiny_client.get(f"/api/v1/orders/{H(999)}").get_json())


def test_dates_outside_the_data_give_an_empty_list(tiny_client):
    body = tiny_client.get("/api/v1/orders?start=2021-01-01&end=2021-01-31").get_json()
    assert body["rows"] == [] and body["next_cursor"] is None
    assert body["total"] == {"orders": 0, "sales": 0.0, "freight": 0.0, "payments": 0.0}
    assert date.fromisoformat(body["filters"]["start"]) == date(2021, 1, 1)


# --- order_keys, the list's derived table ------------------------------------------------


@pytest.mark.parametrize("which", ["tiny", "demo"])
def test_order_keys_equal_the_raw_rows(which, tiny_engine, demo_engine):
    """Every order's stored keys are what the list computes from the raw tables: a page
    walked through `order_keys` lists the same rows in the same order as the raw path."""
    engine = tiny_engine if which == "tiny" else demo_engine
    raw_rows = {r["order_id"]: r for r in streamed(engine, OrderQuery(resolved(engine),
                                                                      status="all"))}
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT order_id, purchased_at, state, kind, sales, payments, review, days_late, "
            "customer_unique_id, status, items, freight, review_sum, review_n, "
            "delivered_at, estimated_at FROM order_keys")).all()
    assert len(stored) == len(raw_rows) > 0
    for s in stored:
        r = raw_rows[s.order_id]
        kind = {"canceled": "c", "unavailable": "u"}.get(r["status"],
                                                         "s" if r["items"] else "o")
        assert (s.purchased_at, s.state, s.kind, s.sales, s.payments, s.days_late) == \
            (r["purchased_at"], r["state"], kind, r["sales"], r["payments"], r["days_late"])
        assert (None if s.review is None else float(s.review)) == r["review"]
        # the rest of the row, which the whole-list CSV reads from here
        assert (s.customer_unique_id, s.status, s.items, s.freight, s.delivered_at,
                s.estimated_at) == (r["customer_unique_id"], r["status"], r["items"],
                                    r["freight"], r["delivered_at"], r["estimated_at"])
        assert (s.review_sum / s.review_n if s.review_n else None) == r["review"]


@pytest.mark.parametrize("which", ["tiny", "demo"])
def test_part_keys_and_seller_sets_equal_the_raw_rows(which, tiny_engine, demo_engine):
    """`order_part_keys` holds each order's sales per category and per seller as the
    raw items sum them, and `order_keys` each order's set of sellers."""
    engine = tiny_engine if which == "tiny" else demo_engine
    with engine.connect() as conn:
        raw = conn.execute(text(f"""
            SELECT 'c', {CATEGORY}, i.order_id, sum(i.price) FROM order_items i
            JOIN products p ON p.product_id = i.product_id
            LEFT JOIN product_category_name_translation t
                   ON t.product_category_name = p.product_category_name GROUP BY 2, 3
            UNION ALL SELECT 's', seller_id, order_id, sum(price) FROM order_items
            GROUP BY 2, 3""")).all()
        stored = conn.execute(text(
            "SELECT dim, value, order_id, sales FROM order_part_keys")).all()
        sets = dict(conn.execute(text(
            "SELECT k.order_id, d.sellers FROM order_keys k "
            "JOIN dim_sellerset d USING (sellerset_id)")).all())
        raw_sets = dict(conn.execute(text(
            "SELECT o.order_id, coalesce((SELECT array_agg(DISTINCT seller_id) "
            "FROM order_items i WHERE i.order_id = o.order_id), '{}') FROM orders o")).all())
    assert sorted(map(tuple, stored)) == sorted(map(tuple, raw)) and stored
    assert {k: sorted(v) for k, v in sets.items()} == \
        {k: sorted(v) for k, v in raw_sets.items()}


@pytest.mark.parametrize("gather", [orders.GATHER_LIMIT, 0])
def test_keyed_first_pages_equal_the_raw_ones_under_each_filter_kind(demo_engine, gather,
                                                                     monkeypatch):
    """Every page comes from the derived keys (`order_keys`; under a category or seller
    filter sorted by sales, `order_part_keys` or a sum of its rows; under both, whatever
    the sort, `agg_seller_order`'s rows) and equals the raw path's page, under each kind
    of filter, one value and several, and a category with a seller (one item must be of
    both). A short list (a seller's, or one a category, payment or state filter thins
    out) is read whole, then sorted; with `GATHER_LIMIT` 0 every list walks its key's
    index."""
    monkeypatch.setattr(orders, "GATHER_LIMIT", gather)
    base = resolved(demo_engine)
    with demo_engine.connect() as conn:
        sellers = conn.execute(text("SELECT seller_id FROM order_items GROUP BY 1 "
                                    "ORDER BY count(*) DESC, 1 LIMIT 3")).scalars().all()
    views = {"none": base, "state": base.with_values("state", ["SP"]),
             "category": base.with_values("category", ["health_beauty"]),
             "categories": base.with_values("category", ["health_beauty", "toys"]),
             "payment": base.with_values("payment_type", ["voucher"]),
             "seller": base.with_values("seller", sellers[:1]),
             "sellers": base.with_values("seller", sellers[1:]),
             "seller+category": base.with_values("seller", sellers).with_values(
                 "category", ["health_beauty", "bed_bath_table"])}
    plans = set()
    for name, f in views.items():
        for sort in SORTS:
            for order in ORDERS:
                query = OrderQuery(f, sort=sort, order=order)
                plans.add(orders.key_plan(query))
                with demo_engine.connect() as conn:
                    keyed = orders.order_page(conn, query, 20)
                    raw = orders.order_page(conn, query, 20, keyed=False)
                assert keyed["rows"] and keyed == raw, (name, sort, order)
                with demo_engine.connect() as conn:  # the next page, after its cursor
                    assert orders.order_page(conn, query, 20, keyed["next_cursor"]) == \
                        orders.order_page(conn, query, 20, raw["next_cursor"], keyed=False)
    assert plans == {"order_keys", "part", "part_sums", "seller_sums", "seller_rows"}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("dim", ["category", "seller"])
def test_pages_by_sales_under_several_values_merge_each_ones_walk(demo_engine, dim, order):
    """Under several categories (sellers) a page by sales merges each one's key walk with
    the orders holding two of them, summed (`orders._merged_parts`). The demo's two
    categories (sellers) most often in one order: every page, after each cursor, equals
    the whole list streamed from the raw tables, and orders of both are in it."""
    column = "i.seller_id" if dim == "seller" else CATEGORY
    values = f"""SELECT DISTINCT i.order_id, {column} AS v FROM order_items i
        JOIN products p ON p.product_id = i.product_id
        LEFT JOIN product_category_name_translation t
               ON t.product_category_name = p.product_category_name"""
    with demo_engine.connect() as conn:
        pair = conn.execute(text(f"""
            SELECT a.v, b.v FROM ({values}) a JOIN ({values}) b
              ON b.order_id = a.order_id AND a.v < b.v
            GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1""")).one()
    query = OrderQuery(resolved(demo_engine).with_values(dim, list(pair)), sort="sales",
                       order=order)
    assert orders.key_plan(query) == "part_sums"
    with demo_engine.connect() as conn:
        ids = orders.set_ids(conn, query.filters)
    shared = ids.shared_catsets if dim == "category" else ids.shared_sellersets
    assert shared and not (ids.shared_sellersets if dim == "category" else ids.shared_catsets)
    whole = streamed(demo_engine, query)
    rows = all_pages(demo_engine, query, 7)
    assert len(whole) > 100 and rows == whole
    assert_in_documented_order(rows, "sales", order)


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("order", ORDERS)
def test_a_seller_and_a_category_need_one_item_of_both(tiny_engine, sort, order):
    """Tiny O1 has a health item of seller 191 and a sports item of seller 192: under
    seller 191 and sports, both its sets match but no item is of both, so it is not
    listed; under seller 191 and health it is, with O5. Keyed pages and raw agree."""
    base = resolved(tiny_engine)
    with tiny_engine.connect() as conn:
        seller, health, sports = conn.execute(text(
            "SELECT a.seller_id, a.category, b.category FROM agg_seller_order a "
            "JOIN agg_seller_order b ON b.order_id = a.order_id AND b.seller_id <> a.seller_id "
            "WHERE a.order_id = :o AND a.category < b.category"), {"o": O1}).one()
    for category, expected in ((sports, set()), (health, {O1, O5})):
        f = base.with_values("seller", [seller]).with_values("category", [category])
        query = OrderQuery(f, sort=sort, order=order)
        with tiny_engine.connect() as conn:
            keyed = orders.order_page(conn, query, 20)
            raw = orders.order_page(conn, query, 20, keyed=False)
        assert {r["order_id"] for r in keyed["rows"]} == expected, category
        assert keyed == raw


def test_streamed_csv_in_a_spreadsheet_locale(tiny_client):
    """The whole list with `locale=pt_BR`: `;` fields, `,` decimals, the same rows."""
    plain = tiny_client.get("/api/v1/orders?format=csv&status=all").get_data(as_text=True)
    local = tiny_client.get("/api/v1/orders?format=csv&status=all&locale=pt_BR").get_data(
        as_text=True)
    rows = list(csv.DictReader(io.StringIO(plain)))
    local_rows = list(csv.DictReader(io.StringIO(local), delimiter=";"))
    assert len(rows) == len(local_rows) > 0
    for a, b in zip(rows, local_rows, strict=True):
        assert b["sales"] == a["sales"].replace(".", ",")
        assert b["purchased_at"] == a["purchased_at"]  # dates stay ISO
    assert any("," in r["sales"] for r in local_rows)
    bad = tiny_client.get("/api/v1/orders?format=csv&locale=xx")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "locale"
