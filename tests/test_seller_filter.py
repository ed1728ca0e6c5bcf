"""The seller filter (docs/METRICS.md, "Seller filter"), by hand on the tiny dataset and
against the raw path on the demo data's biggest sellers.

The tiny dataset's items by seller (tests/test_metrics.py has the whole of it):

  S1 (401): o1 health_beauty 58.90+13.29, o2 unknown 19.99+8.72,
            o5 2x health_beauty 58.90+15.10
  S2 (402): o1 sports_leisure 100.10+20.00, o3 (canceled) pc_gamer 1200.00+45.50

o1 holds items of both sellers; its payments (192.29) and reviews (5, 3) are the whole
order's whichever seller is selected.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from test_fast_equals_raw import _compare_everything, _domain

from dashapp.filters import Filters
from dashapp.queries import fast, orders, raw, report

D = Decimal
H = "{:032x}".format
S1, S2 = H(401), H(402)
O1, O2, O3, O5 = H(101), H(102), H(103), H(105)
PATHS = [pytest.param(fast, id="fast"), pytest.param(raw, id="raw")]
ALL = Filters(start=date(2020, 3, 2), end=date(2020, 4, 10))


def _current(engine, path, **kinds) -> dict:
    with engine.connect() as conn:
        return report.kpi_report(conn, dataclasses.replace(ALL, **kinds), path)["current"]


@pytest.mark.parametrize("path", PATHS)
def test_a_seller_takes_its_items_and_whole_orders(tiny_engine, path):
    c = _current(tiny_engine, path, sellers=(S2,))
    assert c["orders"] == 1  # o1; o3 is canceled
    assert (c["sales"], c["freight"], c["items"]) == (D("100.10"), D("20.00"), 1)
    assert c["payments"] == D("192.29")  # all of o1's payment rows, not a share
    assert c["avg_review"] == pytest.approx(4.0)  # o1's reviews 5 and 3
    assert c["on_time_rate"] == pytest.approx(1.0)
    assert (c["customers"], c["new_customers"]) == (1, 1)
    assert c["canceled_rate"] == pytest.approx(0.5)  # o1 and the canceled o3
    assert c["unavailable_rate"] == pytest.approx(0.0)
    s1 = _current(tiny_engine, path, sellers=(S1,))
    assert (s1["orders"], s1["sales"], s1["freight"], s1["items"]) == (
        3, D("196.69"), D("52.21"), 4)
    assert s1["payments"] == D("369.00") and s1["customers"] == 3
    assert s1["canceled_rate"] == pytest.approx(0.0)
    both = _current(tiny_engine, path, sellers=(S1, S2))
    assert (both["orders"], both["sales"], both["items"]) == (3, D("296.79"), 5)
    assert both["payments"] == D("369.00")  # o1 once, though both sellers sold in it
    # o4 has no items, so no seller: the rates count o1, o2, o3, o5
    assert both["canceled_rate"] == pytest.approx(0.25)
    assert both["unavailable_rate"] == pytest.approx(0.0)


@pytest.mark.parametrize("path", PATHS)
def test_seller_and_category_must_be_the_same_item(tiny_engine, path):
    # o1 has S2's item (sports_leisure) and a health_beauty item (S1's): no match
    none = _current(tiny_engine, path, sellers=(S2,), categories=("health_beauty",))
    assert (none["orders"], none["sales"], none["payments"]) == (0, D(0), D(0))
    assert none["canceled_rate"] is None  # not even o1 or o3 match
    gamer = _current(tiny_engine, path, sellers=(S2,), categories=("pc_gamer",))
    assert gamer["orders"] == 0 and gamer["canceled_rate"] == pytest.approx(1.0)
    hb = _current(tiny_engine, path, sellers=(S1,), categories=("health_beauty", "pc_gamer"))
    assert (hb["orders"], hb["sales"], hb["items"]) == (2, D("176.70"), 3)  # o1, o5
    assert hb["payments"] == D("340.29")
    assert hb["canceled_rate"] == pytest.approx(0.0)  # o3 is S2's pc_gamer, not S1's


@pytest.mark.parametrize("path", PATHS)
def test_seller_with_state_payment_and_dates(tiny_engine, path):
    sp = _current(tiny_engine, path, sellers=(S1,), states=("SP",))
    assert (sp["orders"], sp["sales"]) == (1, D("58.90"))
    voucher = _current(tiny_engine, path, sellers=(S1,), payment_types=("voucher",))
    assert (voucher["orders"], voucher["sales"], voucher["payments"]) == (
        1, D("58.90"), D("192.29"))
    with tiny_engine.connect() as conn:
        april = report.kpi_report(conn, Filters(date(2020, 4, 1), date(2020, 4, 30),
                                                sellers=(S1,)), path)
    assert april["current"]["sales"] == D("117.80")  # o5
    assert april["previous"]["sales"] == D("78.89")  # March: o1's 58.90 + o2's 19.99


@pytest.mark.parametrize("path", PATHS)
def test_breakdowns_and_series_under_a_seller(tiny_engine, path):
    f = dataclasses.replace(ALL, sellers=(S2,))
    with tiny_engine.connect() as conn:
        cats = report.breakdown(conn, f, "category", path)["rows"]
        pays = report.breakdown(conn, f, "payment_type", path)["rows"]
        states = report.breakdown(conn, f, "state", path)["rows"]
        months = report.timeseries(conn, dataclasses.replace(ALL, sellers=(S1,)), "month",
                                   path)["points"]
    # only S2's items: o1's health_beauty item is S1's
    assert [(r["key"], r["sales"], r["orders"], r["items"]) for r in cats] == [
        ("sports_leisure", D("100.10"), 1, 1)]
    assert {r["key"]: (r["orders"], r["value"]) for r in pays} == {
        "credit_card": (1, D("150.00")), "voucher": (1, D("42.29"))}
    assert [(r["key"], r["orders"], r["canceled_rate"]) for r in states] == [("SP", 1, 0.5)]
    assert [(p["period"], p["sales"], p["orders"]) for p in months] == [
        ("2020-03", D("78.89"), 2), ("2020-04", D("117.80"), 1)]


@pytest.fixture(scope="module")
def shared_engine(pg_admin_url, template_db, tmp_path_factory):
    """The tiny dataset with a third item in o1: S2's, in health_beauty like S1's. o1 then
    has both sellers in one category, the case a view of both must count once."""
    import datasets
    from conftest import rows_engine

    rows = datasets.tiny()
    rows[datasets.F_ITEMS].insert(2, {
        "order_id": O1, "order_item_id": "3", "product_id": H(501), "seller_id": S2,
        "shipping_limit_date": "2020-03-06 10:00:00", "price": "10.00",
        "freight_value": "1.00"})
    with rows_engine(rows, tmp_path_factory.mktemp("shared"), pg_admin_url,
                     template_db) as eng:
        yield eng


@pytest.mark.parametrize("path", PATHS)
def test_an_order_of_two_selected_sellers_counts_once(shared_engine, path):
    """Both sellers: o1 once in the orders, its payments and reviews, the category both
    sold in it and each payment type; its items all (S1 58.90, S2 100.10 + 10.00)."""
    f = dataclasses.replace(ALL, sellers=(S1, S2))
    with shared_engine.connect() as conn:
        k = report.kpi_report(conn, f, path)["current"]
        cats = report.breakdown(conn, f, "category", path)["rows"]
        pays = report.breakdown(conn, f, "payment_type", path)["rows"]
        beauty = report.kpi_report(
            conn, dataclasses.replace(f, categories=("health_beauty",)), path)["current"]
    # sales orders o1, o2, o5 (o3 canceled); o1's payments 192.29 once, o5's 148.00
    assert (k["orders"], k["sales"], k["payments"]) == (3, D("306.79"), D("369.00"))
    # o3 canceled of 4 orders; reviews 5, 3 (o1, once), 2, 4; customers 301, 302, 304
    assert (k["canceled_rate"], k["avg_review"], k["customers"]) == (0.25, 3.5, 3)
    assert {r["key"]: (r["orders"], r["sales"], r["items"]) for r in cats} == {
        "health_beauty": (2, D("186.70"), 4), "sports_leisure": (1, D("100.10"), 1),
        "unknown": (1, D("19.99"), 1)}
    assert {r["key"]: (r["orders"], r["value"]) for r in pays} == {
        "credit_card": (2, D("298.00")), "voucher": (1, D("42.29")),
        "boleto": (1, D("28.71"))}
    # health_beauty: o1 (both sellers' items of it, 68.90) and o5 (117.80)
    assert (beauty["orders"], beauty["sales"], beauty["customers"]) == (2, D("186.70"), 2)


@pytest.mark.parametrize("path", ["fast", "raw"])
def test_a_shared_order_counts_once_whichever_selected_sellers_share_it(shared_engine, path):
    """o1's sellers are the second and third of the selection when a seller that sorts
    before them is selected too (H(400) sold nothing): the take-back of shared orders
    looks at every pair of selected sellers, not only the first two. Customers 301, 302,
    304 each have one sales order, counted from the sellers' cells."""
    from dashapp.queries import customers

    query = fast if path == "fast" else raw
    f = dataclasses.replace(ALL, sellers=(H(400), S1, S2))
    with shared_engine.connect() as conn:
        k = report.kpi_report(conn, f, query)["current"]
        by_state = report.breakdown(conn, f, "state", query)["rows"]
        segs = customers.segments(conn, f, path)
        cohorts = customers.cohorts(conn, f, path)
    assert (k["orders"], k["sales"], k["customers"], k["new_customers"]) == (
        3, D("306.79"), 3, 3)
    assert sum(r["customers"] for r in by_state) == 3
    assert sum(s["customers"] for s in segs) == 3
    assert sum(c["size"] for c in cohorts) == 3


@pytest.mark.parametrize("path", ["fast", "raw"])
def test_an_order_in_several_selected_seller_category_cells_counts_once(shared_engine, path):
    """A seller with a category filter takes (seller, category) cells, each order once:
    S2 sold o1 two categories; S1 and S2 sold o1 health_beauty. o1's customer (301: o3
    is canceled) and o5's (304) have one sales order each, so the cells count them."""
    from dashapp.queries import customers

    beauty_sport = ("health_beauty", "sports_leisure")
    views = {
        "S2 in two categories": (dataclasses.replace(ALL, sellers=(S2,),
                                                     categories=beauty_sport),
                                 1, D("110.10"), 1),
        "both in two": (dataclasses.replace(ALL, sellers=(S1, S2), categories=beauty_sport),
                        2, D("286.80"), 2),
        "both in one": (dataclasses.replace(ALL, sellers=(S1, S2),
                                            categories=("health_beauty",)),
                        2, D("186.70"), 2),
    }
    for name, (f, orders_n, sales, people) in views.items():
        with shared_engine.connect() as conn:
            k = report.kpi_report(conn, f, fast if path == "fast" else raw)["current"]
            segs = customers.segments(conn, f, path)
            late = customers.lateness(conn, f, path)
            cohorts = customers.cohorts(conn, f, path)
        assert (k["orders"], k["sales"], k["customers"]) == (orders_n, sales, people), name
        assert sum(s["customers"] for s in segs) == people, name
        assert sum(s["sales"] for s in segs) == sales, name
        # o1 was delivered 11 days early; o5 is not delivered yet
        assert {b["bucket"]: b["orders"] for b in late if b["orders"]} == {"early_7+": 1}
        assert [(c["cohort"], c["size"]) for c in cohorts] == (
            [("2020-03", 1)] if people == 1 else [("2020-03", 1), ("2020-04", 1)]), name


@pytest.mark.parametrize("sort", ["purchased_at", "sales", "payments", "review", "days_late"])
def test_the_order_list_lists_an_order_of_several_selected_cells_once(shared_engine, sort):
    """o1 has three (seller, category) rows, all selected under both sellers and
    health_beauty with sports_leisure: it is one row of the list, with the items of those
    cells (all three: 58.90 + 10.00 + 100.10), beside o5 (S1's health_beauty); keyed
    pages, page by page, equal the raw path's, in both directions."""
    f = dataclasses.replace(ALL, sellers=(S1, S2),
                            categories=("health_beauty", "sports_leisure"))
    for way in ("asc", "desc"):
        q = orders.OrderQuery(f, sort=sort, order=way)
        pages, cursor = [], None
        with shared_engine.connect() as conn:
            while True:
                page = orders.order_page(conn, q, 1, cursor)
                assert page == orders.order_page(conn, q, 1, cursor, keyed=False), way
                pages += page["rows"]
                if not (cursor := page["next_cursor"]):
                    break
        assert sorted((r["order_id"], r["sales"]) for r in pages) == [
            (O1, D("169.00")), (O5, D("117.80"))], (sort, way)


def test_the_order_list_of_a_seller(tiny_engine):
    q = orders.OrderQuery(dataclasses.replace(ALL, sellers=(S2,)))
    with tiny_engine.connect() as conn:
        page = orders.order_page(conn, q)
        total = orders.order_totals(conn, q)
        every = orders.order_page(conn, dataclasses.replace(q, status="all"))
        none = orders.order_totals(conn, orders.OrderQuery(dataclasses.replace(
            ALL, sellers=(S2,), categories=("health_beauty",))))
    [row] = page["rows"]
    assert row["order_id"] == O1
    assert (row["items"], row["sales"], row["freight"], row["payments"]) == (
        1, D("100.10"), D("20.00"), D("192.29"))
    assert row["categories"] == ["sports_leisure"]  # the counted item's
    assert row["payment_types"] == ["credit_card", "voucher"]
    assert total == {"orders": 1, "sales": D("100.10"), "freight": D("20.00"),
                     "payments": D("192.29")}
    assert [r["order_id"] for r in every["rows"]] == [O3, O1]  # newest first
    assert none["orders"] == 0


def test_the_derived_table_holds_a_row_per_order_seller_and_category(tiny_engine):
    with tiny_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT seller_id, order_id, category, kind, sales, items, payments, pay_types "
            "FROM agg_seller_order ORDER BY 1, 2")).all()
    assert [(r.seller_id, r.order_id, r.category, r.kind, r.sales, r.items) for r in rows] == [
        (S1, O1, "health_beauty", "s", D("58.90"), 1),
        (S1, O2, "unknown", "s", D("19.99"), 1),
        (S1, O5, "health_beauty", "s", D("117.80"), 2),
        (S2, O1, "sports_leisure", "s", D("100.10"), 1),
        (S2, O3, "pc_gamer", "c", D("1200.00"), 1),
    ]
    assert rows[0].payments == D("192.29")
    assert rows[0].pay_types == ["credit_card", "voucher"]


def _big_sellers(engine, n: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT seller_id FROM order_items GROUP BY 1 "
            "ORDER BY count(DISTINCT order_id) DESC, 1 LIMIT :n"), {"n": n}).scalars())


def _top_category(engine, seller: str) -> str:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT category FROM agg_seller_order WHERE seller_id = :s "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"), {"s": seller}).scalar_one()


def test_fast_equals_raw_for_the_biggest_sellers_of_the_demo(demo_engine):
    """Random sellers of the demo sell little; its biggest ones, alone, together and with
    every other kind of filter, give both paths orders to disagree on."""
    domain = _domain(demo_engine)
    big = _big_sellers(demo_engine, 3)
    whole = Filters(domain.min_day, domain.max_day)
    views = [
        Filters(sellers=(big[0],)),
        Filters(sellers=tuple(sorted(big))),
        Filters(sellers=(big[0],), categories=(_top_category(demo_engine, big[0]),)),
        Filters(sellers=tuple(sorted(big[:2])), categories=tuple(sorted(
            {_top_category(demo_engine, s) for s in big[:2]}))),
        Filters(sellers=(big[1],), payment_types=("credit_card",)),
        Filters(sellers=(big[2],), states=("SP", "RJ"), regions=("SE",)),
    ]
    with demo_engine.connect() as conn:
        for v in views:
            f = dataclasses.replace(v, start=whole.start, end=whole.end)
            assert report.kpi_report(conn, f, fast)["current"]["orders"] > 0, f
    for v in views:
        for start, end in ((whole.start, whole.end), (date(2019, 1, 1), date(2019, 12, 31)),
                           (date(2019, 3, 10), date(2019, 5, 20))):
            _compare_everything(demo_engine, dataclasses.replace(v, start=start, end=end))


def test_insight_answers_take_the_seller_filter(demo_engine, tmp_path):
    """/forecast and /shortages under a seller: their series are that seller's (the
    query layer's numbers under the same filters), and cached apart from the shop's."""
    from dashapp.config import load_settings
    from dashapp.insight.answers import forecast_key, shortages_key
    from dashapp.web.app import create_app

    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=demo_engine)
    app.server.config["PULSE_INSIGHT_WAIT"] = 120.0
    client = app.server.test_client()
    seller = _big_sellers(demo_engine, 1)[0]
    domain = _domain(demo_engine)
    f = Filters(domain.min_day, domain.max_day, sellers=(seller,))
    with demo_engine.connect() as conn:
        all_orders = fast.order_sums(conn, f)[None].all_orders
        months = report.timeseries(conn, f, "month")["points"]
    short = client.get(f"/api/v1/shortages?seller={seller}").get_json()
    assert short["filters"]["seller"] == [seller]
    assert sum(p["all_orders"] for p in short["series"]) == all_orders
    shop = client.get("/api/v1/shortages").get_json()
    assert sum(p["all_orders"] for p in shop["series"]) > sum(
        p["all_orders"] for p in short["series"])
    history = client.get(f"/api/v1/forecast?seller={seller}").get_json()["history"]
    by_month = {p["period"]: p["sales"] for p in months}
    assert {h["period"]: h["sales"] for h in history if h["sales"]} == {
        k: float(round(v, 2)) for k, v in by_month.items()}
    assert forecast_key(f) != forecast_key(f.without("seller"))
    assert shortages_key("month", 5, f) != shortages_key("month", 5, f.without("seller"))
