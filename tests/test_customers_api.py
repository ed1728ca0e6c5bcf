"""`GET /api/v1/customers/cohorts`, `/customers/segments`, `/customers` and
`/delivery/lateness` over a real PostgreSQL: the same numbers as the query layer, every
filter honoured, the documented shapes, CSV, the customer list's pages and stream, and
400s naming the parameter. Property tests hold the fast path equal to the raw one for
random filters, seller included, and the segments' customers equal to the KPI."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, timedelta
from decimal import Decimal

import customer_data as cd
import customer_reference as ref
import datasets
import pytest
from conftest import rows_engine
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from sqlalchemy import text
from test_fast_equals_raw import SETTINGS

from dashapp.api.openapi import openapi_document
from dashapp.config import load_settings
from dashapp.filters import Filters
from dashapp.queries import customerlist, customers, fast, report
from dashapp.queries.customerlist import CustomerQuery
from dashapp.regions import BRAZIL
from dashapp.web.app import create_app

DATES = "start=2020-01-01&end=2021-06-30"


@pytest.fixture(scope="module")
def people_engine(pg_admin_url, template_db, tmp_path_factory):
    with rows_engine(cd.rows(), tmp_path_factory.mktemp("people"), pg_admin_url,
                     template_db) as eng:
        yield eng


def _client(engine, home):
    app = create_app(load_settings({"PULSE_HOME": str(home)}), engine=engine)
    return app.server.test_client()


@pytest.fixture(scope="module")
def client(people_engine, tmp_path_factory):
    return _client(people_engine, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def demo_client(demo_engine, tmp_path_factory):
    return _client(demo_engine, tmp_path_factory.mktemp("home"))


def schema(name: str) -> Draft202012Validator:
    return Draft202012Validator({**openapi_document(), "$ref": f"#/components/schemas/{name}"})


def get(client, url: str) -> dict:
    r = client.get(url)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def csv_rows(client, url: str) -> list[dict]:
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/csv", r.data[:300]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


# --- the endpoints on the hand-made data ---------------------------------------------------


def test_cohorts_endpoint(client):
    body = get(client, "/api/v1/customers/cohorts?start=2021-01-01&end=2021-06-30")
    schema("Cohorts").validate(body)
    assert [(c["cohort"], c["size"]) for c in body["cohorts"]] == [
        ("2021-01", 1), ("2021-02", 3), ("2021-03", 1), ("2021-04", 1), ("2021-05", 1)]
    assert body["cohorts"][1]["retention"][2] == {"k": 2, "active": 1, "retention": 1 / 3}
    rows = csv_rows(client, "/api/v1/customers/cohorts?start=2021-01-01&end=2021-06-30"
                            "&format=csv")
    assert len(rows) == 6 + 5 + 4 + 3 + 2
    assert rows[8] == {"cohort": "2021-02", "size": "3", "k": "2", "active": "1",
                       "retention": str(1 / 3)}


def test_cohorts_honour_every_filter(client):
    base = "/api/v1/customers/cohorts?start=2021-01-01&end=2021-06-30"
    cohorts = lambda q: [c["cohort"] for c in get(client, base + q)["cohorts"]]  # noqa: E731
    assert cohorts("&state=RJ") == ["2021-02", "2021-05"]
    assert cohorts("&region=S") == ["2021-02"]  # F (PR); L's first order (RS) is in 2020
    assert cohorts("&category=health_beauty") == ["2021-01", "2021-02"]
    assert cohorts("&payment_type=voucher") == ["2021-02"]
    assert cohorts(f"&seller={cd.S2}&category=health_beauty") == ["2021-02"]
    assert cohorts(f"&seller={cd.S2}") == ["2021-01", "2021-02"]


def test_segments_endpoint(client):
    body = get(client, f"/api/v1/customers/segments?{DATES}")
    schema("Segments").validate(body)
    assert [(s["segment"], s["customers"], s["orders"], s["sales"]) for s in body["segments"]] \
        == [("loyal", 5, 10, 279.5), ("at_risk", 1, 2, 100.0), ("new", 1, 1, 10.0),
            ("one_time", 3, 3, 63.0), ("lost", 4, 4, 309.79)]
    kpis = get(client, f"/api/v1/kpis?{DATES}")["current"]
    assert sum(s["customers"] for s in body["segments"]) == kpis["customers"]
    rows = csv_rows(client, f"/api/v1/customers/segments?{DATES}&format=csv&state=BA")
    assert [(r["segment"], r["customers"], r["sales"], r["avg_recency"]) for r in rows] == [
        ("loyal", "0", "0.0", ""), ("at_risk", "1", "100.0", "181.0"), ("new", "0", "0.0", ""),
        ("one_time", "0", "0.0", ""), ("lost", "0", "0.0", "")]


def test_lateness_endpoint(client):
    body = get(client, f"/api/v1/delivery/lateness?{DATES}")
    schema("Lateness").validate(body)
    assert [(b["bucket"], b["orders"]) for b in body["buckets"]] == [
        ("early_7+", 1), ("early_1_6", 1), ("on_time", 1), ("late_1_3", 1), ("late_4_7", 0),
        ("late_8_14", 0), ("late_15+", 1)]
    only_rj = get(client, f"/api/v1/delivery/lateness?{DATES}&state=RJ")["buckets"]
    assert [b["orders"] for b in only_rj] == [0, 0, 0, 1, 0, 0, 1]  # tiny's O2, C
    rows = csv_rows(client, f"/api/v1/delivery/lateness?{DATES}&format=csv")
    assert rows[6] == {"bucket": "late_15+", "orders": "1", "avg_review": "1.0",
                       "low_review_share": "1.0"}


def test_customer_list_endpoint(client):
    body = get(client, f"/api/v1/customers?{DATES}&segment=loyal&limit=3")
    schema("CustomerList").validate(body)
    assert [r["customer_unique_id"] for r in body["rows"]] == [cd.A, cd.C, cd.L]
    assert body["rows"][1] == {"customer_unique_id": cd.C, "state": "MG", "orders": 2,
                               "sales": 75.5, "first_order": "2021-02-01",
                               "last_order": "2021-04-01", "recency": 90}
    assert body["total"] == {"customers": 5, "orders": 10, "sales": 279.5}
    after = get(client, f"/api/v1/customers?{DATES}&segment=loyal&limit=3"
                        f"&cursor={body['next_cursor']}")
    assert [r["customer_unique_id"] for r in after["rows"]] == [cd.E, cd.F]
    assert after["next_cursor"] is None
    rows = csv_rows(client, f"/api/v1/customers?{DATES}&segment=LOYAL&format=csv")
    assert [r["customer_unique_id"] for r in rows] == [cd.A, cd.C, cd.L, cd.E, cd.F]
    assert rows[3] == {"customer_unique_id": cd.E, "state": "SP", "orders": "2",
                       "sales": "17.0", "first_order": "2021-05-05",
                       "last_order": "2021-05-05", "recency": "56"}
    r = client.get(f"/api/v1/customers?{DATES}&segment=lost&format=csv&state=SP")
    assert 'filename="customers-lost-start-2020-01-01-end-2021-06-30-state-SP.csv"' in \
        r.headers["Content-Disposition"]


@pytest.mark.parametrize(("query", "parameter"), [
    ("", "segment"),
    ("segment=gold", "segment"),
    ("segment=loyal&segment=lost", "segment"),
    ("segment=loyal&limit=0", "limit"),
    ("segment=loyal&limit=501", "limit"),
    ("segment=loyal&limit=1.5", "limit"),
    ("segment=loyal&cursor=not-a-cursor", "cursor"),
    ("segment=loyal&cursor=eyJ2IjoxfQ", "cursor"),
    ("segment=loyal&sort=sales", "sort"),
    ("segment=loyal&state=XX", "state"),
    ("segment=loyal&format=xml", "format"),
])
def test_customer_list_bad_input_names_the_parameter(client, query, parameter):
    r = client.get(f"/api/v1/customers?{query}")
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["parameter"] == parameter


def test_a_cursor_of_another_list_is_refused(client):
    first = get(client, f"/api/v1/customers?{DATES}&segment=loyal&limit=1")
    for other in ("segment=lost", "segment=loyal&state=SP"):
        r = client.get(f"/api/v1/customers?{DATES}&{other}&cursor={first['next_cursor']}")
        assert r.status_code == 400 and r.get_json()["parameter"] == "cursor"


@pytest.mark.parametrize("path", ["/api/v1/customers/cohorts", "/api/v1/customers/segments",
                                  "/api/v1/delivery/lateness"])
def test_figures_bad_input_names_the_parameter(client, path):
    for query, parameter in (("start=2021-13-01", "start"), ("seller=nobody", "seller"),
                             ("segment=loyal", "segment"), ("format=pdf", "format")):
        r = client.get(f"{path}?{query}")
        assert r.status_code == 400 and r.get_json()["parameter"] == parameter, query


# --- every customer once, on the demo data -----------------------------------------------


def _domain(engine):
    with engine.connect() as conn:
        return report.load_domain(conn)


def test_pages_visit_each_customer_once_and_csv_is_the_pages(demo_client, demo_engine):
    domain = _domain(demo_engine)
    f = Filters().resolve(domain)
    with demo_engine.connect() as conn:
        counts = {s["segment"]: s for s in customers.segments(conn, f)}
    for segment in customers.SEGMENTS:
        rows, seen, cursor = [], set(), None
        while True:
            url = f"/api/v1/customers?segment={segment}&limit=97" + (
                f"&cursor={cursor}" if cursor else "")
            body = get(demo_client, url)
            assert body["total"]["customers"] == counts[segment]["customers"]
            for row in body["rows"]:
                assert row["customer_unique_id"] not in seen
                seen.add(row["customer_unique_id"])
            rows += body["rows"]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert len(rows) == counts[segment]["customers"]
        assert sum(r["orders"] for r in rows) == counts[segment]["orders"]
        assert [(r["sales"], r["customer_unique_id"]) for r in rows] == sorted(
            ((r["sales"], r["customer_unique_id"]) for r in rows), reverse=True)
        streamed = csv_rows(demo_client, f"/api/v1/customers?segment={segment}&format=csv")
        assert [r["customer_unique_id"] for r in streamed] == [
            r["customer_unique_id"] for r in rows]
        assert [float(r["sales"]) for r in streamed] == [r["sales"] for r in rows]


# --- fast == raw for random filters ------------------------------------------------------


def filters_with_sellers(domain) -> st.SearchStrategy[Filters]:
    """Random ranges and filter sets of every kind, sellers among the data's."""
    span = (domain.max_day - domain.min_day).days

    @st.composite
    def build(draw) -> Filters:
        start = domain.min_day + timedelta(days=draw(st.integers(-40, span + 40)))
        end = start + timedelta(days=draw(st.sampled_from([1, 31, 92, 200, 365, span + 1])) - 1)

        def subset(values, n):
            return tuple(sorted(draw(st.lists(st.sampled_from(list(values)), max_size=n,
                                              unique=True)))) if values else ()

        return Filters(start=start, end=end, states=subset(domain.states, 3),
                       regions=subset(list(BRAZIL), 2),
                       categories=subset(domain.categories, 3),
                       payment_types=subset(domain.payment_types, 2),
                       sellers=subset(domain.sellers[:40], 3))

    return build()


def _fast_equals_raw(engine, f: Filters, data: dict | None = None) -> None:
    """Both SQL paths agree, and (given the raw rows) agree with the Python reference."""
    found = {}
    for fn in (customers.cohorts, customers.segments, customers.lateness):
        with engine.connect() as conn:
            found[fn.__name__] = fn(conn, f, "fast")
        with engine.connect() as conn:
            assert found[fn.__name__] == fn(conn, f, "raw"), fn.__name__
    if data is not None:
        assert {c["cohort"]: [p["active"] for p in c["retention"]]
                for c in found["cohorts"]} == ref.cohorts(data, f)
        assert {s["segment"]: (s["customers"], s["orders"], s["sales"], s["avg_recency"])
                for s in found["segments"]} == ref.segments(data, f)
        assert {b["bucket"]: (b["orders"], b["avg_review"], b["low_review_share"])
                for b in found["lateness"]} == ref.lateness(data, f)
    for segment in customers.SEGMENTS:
        with engine.connect() as conn:
            pages = [customerlist.customer_page(conn, CustomerQuery(f, segment, path), 500)
                     for path in customers.PATHS]
        assert pages[0]["rows"] == pages[1]["rows"]


@pytest.mark.parametrize("dataset", ["demo", "people"])
def test_fast_equals_raw(request, dataset):
    engine = request.getfixturevalue("demo_engine" if dataset == "demo" else "people_engine")
    domain = _domain(engine)
    data = ref.load(engine)

    @settings(max_examples=25 if dataset == "demo" else 60, **SETTINGS)
    @given(filters_with_sellers(domain))
    def check(f: Filters) -> None:
        _fast_equals_raw(engine, f, data)

    check()


@pytest.mark.parametrize("dataset", ["demo", "people"])
def test_fast_equals_raw_under_dates_alone(request, dataset):
    """Dates alone: a repeat customer with every sales order in the window comes whole
    from `cust_repeat`, one cut by either edge from their orders in it (segments)."""
    engine = request.getfixturevalue("demo_engine" if dataset == "demo" else "people_engine")
    domain = _domain(engine)
    data = ref.load(engine)
    with engine.connect() as conn:  # windows that start or end on a repeater's edge
        edges = sorted({d for row in conn.execute(text(
            "SELECT first_day, last_day FROM cust_repeat")) for d in row})
    on_edges = st.tuples(st.sampled_from(edges), st.sampled_from(edges)).map(
        lambda e: Filters(start=min(e), end=max(e)))
    strategy = st.one_of(on_edges, filters_with_sellers(domain).map(
        lambda f: Filters(start=f.start, end=f.end)))

    @settings(max_examples=30 if dataset == "demo" else 50, **SETTINGS)
    @given(strategy)
    def check(f: Filters) -> None:
        _fast_equals_raw(engine, f, data)

    check()


@pytest.mark.parametrize("dataset", ["demo", "people"])
def test_fast_equals_raw_under_category_filters(request, dataset):
    """Categories without sellers: the day sums come from the category cells
    (`cust_day_cat`, one-order customers' sales per category from `cust_day_catpart`
    where only part of an order's set is selected), only repeat customers item by item."""
    engine = request.getfixturevalue("demo_engine" if dataset == "demo" else "people_engine")
    domain = _domain(engine)
    data = ref.load(engine)
    strategy = filters_with_sellers(domain).map(
        lambda f: dataclasses.replace(f, sellers=())).filter(lambda f: f.categories)

    @settings(max_examples=20 if dataset == "demo" else 40, **SETTINGS)
    @given(strategy)
    def check(f: Filters) -> None:
        _fast_equals_raw(engine, f, data)

    check()


@pytest.mark.parametrize("dataset", ["demo", "people"])
def test_fast_equals_raw_under_seller_filters(request, dataset):
    """Sellers without a category: the day sums come from `cust_day_seller`, and with
    several sellers an order with items of k of them is taken back k - 1 times
    (`cust_multiseller`): half the draws take the sellers of such an order."""
    engine = request.getfixturevalue("demo_engine" if dataset == "demo" else "people_engine")
    domain = _domain(engine)
    data = ref.load(engine)
    with engine.connect() as conn:
        shared = [tuple(r) for r in conn.execute(text(
            "SELECT sellers FROM cust_multiseller ORDER BY order_id LIMIT 50")).scalars()]
    sellers = st.lists(st.sampled_from(domain.sellers), min_size=1, max_size=3, unique=True)
    if shared:
        sellers = st.one_of(sellers, st.tuples(st.sampled_from(shared), sellers).map(
            lambda t: list(t[0]) + list(t[1])))
    strategy = st.tuples(filters_with_sellers(domain), sellers).map(
        lambda t: dataclasses.replace(t[0], categories=(), sellers=tuple(sorted(set(t[1])))))

    @settings(max_examples=25 if dataset == "demo" else 40, **SETTINGS)
    @given(strategy)
    def check(f: Filters) -> None:
        _fast_equals_raw(engine, f, data)

    check()
    if dataset == "demo":
        assert shared, "the demo data has orders with several sellers"


def test_an_order_of_several_selected_sellers_counts_once(demo_engine):
    """Whole range, the sellers of orders with several sellers (and one more): every
    such order is in each of its sellers' cells and must count once."""
    domain = _domain(demo_engine)
    data = ref.load(demo_engine)
    with demo_engine.connect() as conn:
        shared = conn.execute(text(
            "SELECT sellers FROM cust_multiseller ORDER BY n_sales > 1, order_id LIMIT 6"
        )).scalars().all()
    assert shared, "the demo data has orders with several sellers"
    for group in (shared[:1], shared[1:3], shared[3:]):
        sellers = tuple(sorted({s for g in group for s in g} | {domain.sellers[0]}))
        _fast_equals_raw(demo_engine, Filters(start=domain.min_day, end=domain.max_day,
                                              sellers=sellers), data)


def test_fast_equals_raw_with_every_kind_of_filter_at_once(demo_engine):
    domain = _domain(demo_engine)
    with demo_engine.connect() as conn:
        busy = conn.execute(text(
            "SELECT seller_id FROM cust_item GROUP BY 1 ORDER BY count(*) DESC LIMIT 5"
        )).scalars().all()
    f = Filters(start=domain.min_day, end=domain.max_day, regions=("SE", "S"),
                categories=domain.categories[:8], payment_types=("credit_card", "boleto"),
                sellers=tuple(sorted(busy)))
    _fast_equals_raw(demo_engine, f, ref.load(demo_engine))
    with demo_engine.connect() as conn:
        assert sum(s["customers"] for s in customers.segments(conn, f)) > 0


def _cut_windows(engine) -> list[tuple[date, date]]:
    """The whole range and windows whose edges fall between returning customers' orders:
    their first edge, their last, both, and mid-month edges."""
    domain = _domain(engine)
    lo, hi = domain.min_day, domain.max_day
    third = (hi - lo) // 3
    return [(lo, hi), (lo + third, hi), (lo, hi - third), (lo + third, hi - third),
            (lo + third + timedelta(days=11), hi - third - timedelta(days=9)),
            (date(2020, 12, 1), date(2021, 6, 30))]


@pytest.fixture(scope="module")
def shared_engine(pg_admin_url, template_db, tmp_path_factory):
    """The people dataset with a second seller's health_beauty item in L's second order:
    L has two health_beauty orders, one of them on two item rows (one per seller)."""
    rows = cd.rows()
    rows[datasets.F_ITEMS].append({
        "order_id": cd.order_id(812), "order_item_id": "2", "product_id": cd.HEALTH,
        "seller_id": cd.S2, "shipping_limit_date": "2021-01-05 12:00:00", "price": "5.00",
        "freight_value": "1.00"})
    with rows_engine(rows, tmp_path_factory.mktemp("shared"), pg_admin_url,
                     template_db) as eng:
        yield eng


@pytest.mark.parametrize("dataset", ["demo", "people", "shared"])
def test_states_alone_and_one_category_alone(request, dataset):
    """The per-state and per-category rows (cust_retention_state, cust_repeat.state,
    cust_repeat_cat) answer only these views: each busy state, a region, each busy
    category, over windows that cut returning customers' histories, equal the raw path
    and the Python reference (on `shared`, December 2020 on cuts L's health_beauty
    orders, one of which has two item rows)."""
    engine = request.getfixturevalue(f"{dataset}_engine")
    data = ref.load(engine)
    with engine.connect() as conn:
        top = lambda sql: conn.execute(text(sql)).scalars().all()  # noqa: E731
        states = top("SELECT state FROM cust_order WHERE n_sales > 1 GROUP BY 1 "
                     "ORDER BY count(*) DESC, 1 LIMIT 3")
        cats = top("SELECT category FROM cust_item WHERE n_sales > 1 GROUP BY 1 "
                   "ORDER BY count(*) DESC, 1 LIMIT 3")
    views = [{"states": (s,)} for s in states] + [{"regions": ("SE",)}] + [
        {"categories": (c,)} for c in cats]
    for start, end in _cut_windows(engine):
        for view in views:
            _fast_equals_raw(engine, Filters(start=start, end=end, **view), data)


def test_segments_add_up_to_the_customers_kpi(demo_engine):
    """Seller filters included: the KPIs take them too (queries/sellerfilter.py)."""
    domain = _domain(demo_engine)

    @settings(max_examples=20, **SETTINGS)
    @given(filters_with_sellers(domain))
    def check(f: Filters) -> None:
        with demo_engine.connect() as conn:
            found = customers.segments(conn, f)
            kpis = report.kpi_report(conn, f, fast)["current"]
            cohorts = customers.cohorts(conn, f)
        assert sum(s["customers"] for s in found) == kpis["customers"]
        assert sum(s["orders"] for s in found) == kpis["orders"]
        assert sum((s["sales"] for s in found), Decimal(0)) == kpis["sales"]
        assert all(c["retention"][0]["retention"] == 1.0 for c in cohorts)

    check()


def test_whole_range_has_cohorts(demo_engine):
    domain = _domain(demo_engine)
    f = Filters(start=domain.min_day, end=domain.max_day)
    with demo_engine.connect() as conn:
        found = customers.cohorts(conn, f)
    assert found and sum(c["size"] for c in found) == len({
        # every customer's first order lies in the data's range: they are all in a cohort
        p for p in conn_people(demo_engine)})
    assert date.fromisoformat(found[0]["cohort"] + "-01") == domain.min_day.replace(day=1)


def conn_people(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT DISTINCT c.customer_unique_id FROM orders o JOIN customers c "
            "ON c.customer_id = o.customer_id WHERE o.order_status NOT IN "
            "('canceled', 'unavailable') AND EXISTS (SELECT 1 FROM order_items i "
            "WHERE i.order_id = o.order_id)")).scalars().all()
