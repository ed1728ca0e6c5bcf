"""Customers, retention and lateness (docs/METRICS.md) from the query layer, over a real
PostgreSQL: hand-worked values on tests/customer_data.py, on both paths (`fast` reads
`cust_order`/`cust_item`, `raw` the raw tables), and the customer list's pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import customer_data as cd
import datasets
import pytest
from conftest import fresh_database, loaded_engine

from dashapp.filters import Filters
from dashapp.queries import customerlist, customers, fast, report
from dashapp.queries.customerlist import CustomerQuery

RANGE = Filters(start=date(2020, 1, 1), end=cd.END)
COHORT_RANGE = Filters(start=date(2021, 1, 1), end=cd.END)


@pytest.fixture(scope="module")
def people_engine(pg_admin_url, template_db, tmp_path_factory):
    folder = datasets.write(cd.rows(), tmp_path_factory.mktemp("people"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def _both(engine, fn, f: Filters):
    """The answer of `fn` on both paths, after checking they are equal."""
    with engine.connect() as conn:
        quick = fn(conn, f, "fast")
    with engine.connect() as conn:
        plain = fn(conn, f, "raw")
    assert quick == plain
    return quick


def _retention(found: list[dict]) -> dict[str, list[int]]:
    return {c["cohort"]: [p["active"] for p in c["retention"]] for c in found}


def test_cohorts_by_hand(people_engine):
    found = _both(people_engine, customers.cohorts, COHORT_RANGE)
    assert _retention(found) == {
        "2021-01": [1, 0, 1, 0, 0, 0],  # A: January and March, not February
        "2021-02": [3, 1, 1, 0, 0],  # B (first SALES order), C (April, in MG), F (1 March)
        "2021-03": [1, 0, 0, 0],  # D91
        "2021-04": [1, 0, 0],  # D90
        "2021-05": [1, 0],  # E
    }  # June: nobody's first order, not listed
    assert {c["cohort"]: c["size"] for c in found} == {
        "2021-01": 1, "2021-02": 3, "2021-03": 1, "2021-04": 1, "2021-05": 1}
    feb = next(c for c in found if c["cohort"] == "2021-02")
    assert [p["retention"] for p in feb["retention"]] == [1.0, 1 / 3, 1 / 3, 0.0, 0.0]
    assert all(c["retention"][0] == {"k": 0, "active": c["size"], "retention": 1.0}
               for c in found)


def test_cohort_months_are_whole_months(people_engine):
    """A range starting on 15 January still holds the cohort of all January; its last
    month is the month of `end`."""
    f = Filters(start=date(2021, 1, 15), end=date(2021, 3, 1))
    assert _retention(_both(people_engine, customers.cohorts, f)) == {
        "2021-01": [1, 0, 1], "2021-02": [3, 1], "2021-03": [1]}


@pytest.mark.parametrize(("f", "expected"), [
    # the first order must match: C's first is in RJ, E's first is the RJ one (byte order)
    (Filters(states=("RJ",)), {"2021-02": [1, 0, 0, 0, 0], "2021-05": [1, 0]}),
    (Filters(states=("SP",)), {"2021-01": [1, 0, 1, 0, 0, 0], "2021-02": [1, 0, 0, 0, 0],
                               "2021-03": [1, 0, 0, 0], "2021-04": [1, 0, 0]}),
    (Filters(regions=("SE",)), {"2021-01": [1, 0, 1, 0, 0, 0], "2021-02": [2, 0, 1, 0, 0],
                                "2021-03": [1, 0, 0, 0], "2021-04": [1, 0, 0],
                                "2021-05": [1, 0]}),
    # A's March order has no health item: not active at k = 2
    (Filters(categories=("health_beauty",)), {"2021-01": [1, 0, 0, 0, 0, 0],
                                              "2021-02": [1, 0, 0, 0, 0]}),
    # one item must match both: A's January order has health by S1 and sports by S2
    (Filters(categories=("health_beauty",), sellers=(cd.S2,)), {"2021-02": [1, 0, 0, 0, 0]}),
    (Filters(categories=("sports_leisure",), sellers=(cd.S2,)),
     {"2021-01": [1, 0, 0, 0, 0, 0]}),
    (Filters(payment_types=("boleto",)), {"2021-02": [1, 0, 0, 0, 0]}),
])
def test_cohorts_under_filters(people_engine, f, expected):
    f = Filters(start=COHORT_RANGE.start, end=COHORT_RANGE.end, states=f.states,
                regions=f.regions, categories=f.categories, payment_types=f.payment_types,
                sellers=f.sellers)
    assert _retention(_both(people_engine, customers.cohorts, f)) == expected


SEGMENTS = {  # segment: (customers, orders, sales, avg_recency)
    "loyal": (5, 10, Decimal("279.50"), (117 + 90 + 180 + 56 + 121) / 5),  # A C L E F
    "at_risk": (1, 2, Decimal("100.00"), 181.0),  # R
    "new": (1, 1, Decimal("10.00"), 90.0),  # D90
    "one_time": (3, 3, Decimal("63.00"), (140 + 91 + 365) / 3),  # B, D91, D365
    "lost": (4, 4, Decimal("309.79"), (485 + 472 + 446 + 366) / 4),  # tiny's 3, D366
}


def test_segments_by_hand(people_engine):
    found = _both(people_engine, customers.segments, RANGE)
    assert [r["segment"] for r in found] == list(customers.SEGMENTS)
    assert {r["segment"]: (r["customers"], r["orders"], r["sales"], r["avg_recency"])
            for r in found} == SEGMENTS
    with people_engine.connect() as conn:
        kpis = report.kpi_report(conn, RANGE, fast)["current"]
    assert sum(r["customers"] for r in found) == kpis["customers"] == 14
    assert sum(r["orders"] for r in found) == kpis["orders"]
    assert sum(r["sales"] for r in found) == kpis["sales"]


def test_empty_segments_are_listed_with_zero_and_null(people_engine):
    f = Filters(start=date(2021, 6, 1), end=cd.END)  # nobody bought in June
    assert _both(people_engine, customers.segments, f) == [
        {"segment": s, "customers": 0, "orders": 0, "sales": Decimal(0),
         "avg_recency": None} for s in customers.SEGMENTS]


def test_segments_count_only_the_selected_items(people_engine):
    f = Filters(start=RANGE.start, end=RANGE.end, categories=("health_beauty",))
    found = {r["segment"]: r for r in _both(people_engine, customers.segments, f)}
    # A: only January's health item (30.00), one order, 171 days before END
    assert found["one_time"]["customers"] == 2  # A and B
    assert found["one_time"]["sales"] == Decimal("70.00")
    assert found["loyal"]["sales"] == Decimal("60.00")  # L


def test_lateness_by_hand(people_engine):
    found = _both(people_engine, customers.lateness, RANGE)
    assert [(r["bucket"], r["orders"], r["avg_review"], r["low_review_share"])
            for r in found] == [
        ("early_7+", 1, 4.0, 0.0),  # tiny's O1: 11 days early, reviews 5 and 3
        ("early_1_6", 1, 2.0, 1.0),  # B: 3 days early
        ("on_time", 1, 5.0, 0.0),  # A: delivered at 18:00 on its estimated day
        ("late_1_3", 1, 2.0, 1.0),  # tiny's O2
        ("late_4_7", 0, None, None),
        ("late_8_14", 0, None, None),
        ("late_15+", 1, 1.0, 1.0),  # C: 15 days late
    ]


def _pages(engine, query: CustomerQuery, limit: int) -> list[dict]:
    rows, seen, cursor = [], set(), None
    with engine.connect() as conn:
        while True:
            page = customerlist.customer_page(conn, query, limit, cursor)
            for row in page["rows"]:
                assert row["customer_unique_id"] not in seen
                seen.add(row["customer_unique_id"])
            rows += page["rows"]
            cursor = page["next_cursor"]
            if cursor is None:
                return rows
            assert len(page["rows"]) == limit


def test_customer_list_by_hand(people_engine):
    for path in customers.PATHS:
        query = CustomerQuery(RANGE, "loyal", path)
        rows = _pages(people_engine, query, 1)
        assert [(r["customer_unique_id"], r["state"], r["orders"], r["sales"],
                 r["first_order"], r["last_order"], r["recency"]) for r in rows] == [
            (cd.A, "SP", 2, Decimal("120.00"), date(2021, 1, 10), date(2021, 3, 5), 117),
            (cd.C, "MG", 2, Decimal("75.50"), date(2021, 2, 1), date(2021, 4, 1), 90),
            (cd.L, "RS", 2, Decimal("60.00"), date(2020, 11, 1), date(2021, 1, 1), 180),
            (cd.E, "SP", 2, Decimal("17.00"), date(2021, 5, 5), date(2021, 5, 5), 56),
            (cd.F, "PR", 2, Decimal("7.00"), date(2021, 2, 27), date(2021, 3, 1), 121),
        ]
        with people_engine.connect() as conn:
            assert customerlist.customer_total(conn, query) == {
                "customers": 5, "orders": 10, "sales": Decimal("279.50")}
