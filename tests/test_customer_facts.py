"""The customer derived tables: migration 0009 creates exactly what
`loaders.customerfacts.DDL` says (the rebuild and the queries rely on it), and a load
fills them with one row per sales order and per (order, category, seller)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import text

from dashapp.filters import Filters
from dashapp.queries import customers
from loaders import customerfacts


def _expected() -> tuple[dict[str, list[str]], set[str]]:
    tables: dict[str, list[str]] = {}
    indexes: set[str] = set()
    for statement in customerfacts.DDL:
        if m := re.match(r"CREATE TABLE (\w+) \((.*)\)$", statement):
            tables[m.group(1)] = [c.split()[0] for c in m.group(2).split(", ")]
        elif m := re.match(r"CREATE INDEX (\w+) ON", statement):
            indexes.add(m.group(1))
    return tables, indexes


def test_migrated_tables_match_the_code(engine):
    tables, indexes = _expected()
    assert set(tables) == set(customerfacts.tables())
    with engine.connect() as conn:
        live = {name: conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
            "ORDER BY ordinal_position"), {"t": name}).scalars().all() for name in tables}
        live_indexes = set(conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(:t)"),
            {"t": list(tables)}).scalars())
    assert live == tables
    assert live_indexes == indexes


def test_a_load_fills_them(tiny_engine):
    with tiny_engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT order_id, seq, n_sales, first_day::text, state, sales::text, days_late, "
            "review_sum, review_n, review_low FROM cust_order ORDER BY order_id")).all()
        items = conn.execute(text(
            "SELECT order_id, category, sales::text, seq FROM cust_item "
            "ORDER BY order_id, category")).all()
    h = "{:032x}".format
    # tiny: O1 and O2 and O5 are sales orders (O3 canceled, O4 unavailable without items)
    assert rows == [
        (h(101), 1, 1, "2020-03-02", "SP", "159.00", -11, 8, 2, 0),
        (h(102), 1, 1, "2020-03-15", "RJ", "19.99", 2, 2, 1, 1),
        (h(105), 1, 1, "2020-04-10", "AM", "117.80", None, 4, 1, 0),
    ]
    assert items == [(h(101), "health_beauty", "58.90", 1), (h(101), "sports_leisure", "100.10", 1),
                     (h(102), "unknown", "19.99", 1), (h(105), "health_beauty", "117.80", 1)]


def test_category_cells_add_up_to_the_day_sums(demo_engine):
    """`cust_day_cat` is `cust_day` split by the orders' category sets: summed over the
    sets it gives `cust_day` back, each order once; and for the sets of several
    categories, `cust_day_catpart` splits one-order customers' sales by category
    without losing a cent."""
    sums = ", ".join(f"sum({c})" for c in ("firsts", "singles", "single_sales",
                                           *customerfacts.LATE_COLUMNS))
    keys = "day, state, pay_types"
    with demo_engine.connect() as conn:
        by_day = conn.execute(text(
            f"SELECT {keys}, {sums} FROM cust_day GROUP BY {keys} ORDER BY {keys}")).all()
        by_set = conn.execute(text(
            f"SELECT {keys}, {sums} FROM cust_day_cat GROUP BY {keys} ORDER BY {keys}")).all()
        parts = conn.execute(text(
            "SELECT c.catset_id, c.day, c.state, c.pay_types, c.single_sales, p.sales "
            "FROM cust_day_cat c JOIN dim_catset s USING (catset_id) "
            "LEFT JOIN (SELECT catset_id, day, state, pay_types, sum(single_sales) AS sales "
            "           FROM cust_day_catpart GROUP BY 1, 2, 3, 4) p "
            "       USING (catset_id, day, state, pay_types) "
            "WHERE cardinality(s.categories) > 1 AND c.singles > 0")).all()
        orphans = conn.execute(text(
            "SELECT count(*) FROM cust_day_catpart p JOIN dim_catset s USING (catset_id) "
            "WHERE NOT p.category = ANY(s.categories) OR cardinality(s.categories) = 1"
        )).scalar()
    assert by_day and by_set == by_day
    assert parts and all(whole == split for *_key, whole, split in parts)
    assert orphans == 0


def test_seller_cells_count_each_order_once_per_seller(demo_engine):
    """`cust_day_seller` per seller: that seller's orders (an order with two of their
    items once) and their items' sales, the same as grouping `cust_item` by hand."""
    with demo_engine.connect() as conn:
        cells = conn.execute(text(
            "SELECT seller_id, sum(firsts), sum(singles), sum(single_sales), "
            f"sum({' + '.join(f'late_n_{i}' for i in range(7))}) "
            "FROM cust_day_seller GROUP BY 1 ORDER BY 1")).all()
        by_hand = conn.execute(text(
            "SELECT seller_id, count(*) FILTER (WHERE seq = 1), "
            "count(*) FILTER (WHERE n_sales = 1), "
            "coalesce(sum(sales) FILTER (WHERE n_sales = 1), 0), "
            "count(*) FILTER (WHERE days_late IS NOT NULL) "
            "FROM (SELECT order_id, seller_id, min(seq) AS seq, min(n_sales) AS n_sales, "
            "             min(days_late) AS days_late, sum(sales) AS sales "
            "      FROM cust_item GROUP BY 1, 2) p GROUP BY 1 ORDER BY 1")).all()
    assert len(cells) > 10 and cells == by_hand


def test_multiseller_holds_the_orders_with_several_sellers(demo_engine):
    with demo_engine.connect() as conn:
        held = conn.execute(text(
            "SELECT order_id, sellers FROM cust_multiseller ORDER BY 1")).all()
        by_hand = conn.execute(text(
            "SELECT order_id, array_agg(DISTINCT seller_id ORDER BY seller_id) FROM cust_item "
            "GROUP BY 1 HAVING count(DISTINCT seller_id) > 1 ORDER BY 1")).all()
    assert len(held) > 5 and held == by_hand


def test_pair_cells_count_each_order_once_per_seller_and_category(demo_engine):
    """`cust_day_sellcat` per (seller, category): the orders with an item of both and
    those items' sales, the same as counting `cust_item`'s rows by hand."""
    with demo_engine.connect() as conn:
        cells = conn.execute(text(
            "SELECT seller_id, category, sum(firsts), sum(singles), sum(single_sales), "
            f"sum({' + '.join(f'late_n_{i}' for i in range(7))}) "
            "FROM cust_day_sellcat GROUP BY 1, 2 ORDER BY 1, 2")).all()
        by_hand = conn.execute(text(
            "SELECT seller_id, category, count(*) FILTER (WHERE seq = 1), "
            "count(*) FILTER (WHERE n_sales = 1), "
            "coalesce(sum(sales) FILTER (WHERE n_sales = 1), 0), "
            "count(*) FILTER (WHERE days_late IS NOT NULL) "
            "FROM cust_item GROUP BY 1, 2 ORDER BY 1, 2")).all()
    assert len(cells) > 10 and cells == by_hand


def test_multipair_holds_the_orders_of_several_seller_category_rows(demo_engine):
    """Each shared order once, with its (seller, category) rows paired index by index."""
    with demo_engine.connect() as conn:
        held = conn.execute(text(
            "SELECT order_id, s, c FROM cust_multipair, unnest(sellers, categories) u(s, c) "
            "ORDER BY 1, 2, 3")).all()
        by_hand = conn.execute(text(
            "SELECT order_id, seller_id, category FROM cust_item WHERE order_id IN ("
            "  SELECT order_id FROM cust_item GROUP BY 1 HAVING count(*) > 1) "
            "ORDER BY 1, 2, 3")).all()
    assert len(held) > 10 and held == by_hand


def test_month_tables_are_their_day_tables_by_month(demo_engine):
    sums = ", ".join(f"sum({c})" for c in ("firsts", "singles", "single_sales",
                                           *customerfacts.LATE_COLUMNS))
    dims = {"cust_day": "state, pay_types", "cust_day_cat": "catset_id, state, pay_types",
            "cust_day_seller": "seller_id, state, pay_types",
            "cust_day_sellcat": "seller_id, category, state, pay_types"}
    with demo_engine.connect() as conn:
        for day_table, month_table in customerfacts.MONTH_TABLES.items():
            by_month = conn.execute(text(
                f"SELECT date_trunc('month', day)::date AS m, {dims[day_table]}, {sums} "
                f"FROM {day_table} GROUP BY 1, {dims[day_table]} "
                f"ORDER BY 1, {dims[day_table]}")).all()
            held = conn.execute(text(
                f"SELECT day, {dims[day_table]}, {sums} FROM {month_table} "
                f"GROUP BY 1, {dims[day_table]} ORDER BY 1, {dims[day_table]}")).all()
            assert len(held) > 20 and held == by_month, month_table
            assert all(row[0].day == 1 for row in held)


def test_repeat_customers_are_their_orders_whole(demo_engine):
    """`cust_repeat` is `cust_order`'s repeat customers grouped, and each order row knows
    its customer's last sales day: what a segment under dates alone reads instead."""
    with demo_engine.connect() as conn:
        grouped = conn.execute(text(
            "SELECT person, min(day), max(day), count(*), sum(sales) FROM cust_order "
            "GROUP BY person HAVING count(*) > 1 ORDER BY person")).all()
        held = conn.execute(text(
            "SELECT person, first_day, last_day, n_sales, sales FROM cust_repeat "
            "ORDER BY person")).all()
        wrong_last = conn.execute(text(
            "SELECT count(*) FROM cust_order o WHERE last_day IS DISTINCT FROM "
            "(SELECT max(day) FROM cust_order x WHERE x.person = o.person)")).scalar_one()
    assert len(held) > 20 and held == grouped
    assert wrong_last == 0


def test_segments_count_repeat_customers_sharing_a_last_day(demo_engine):
    """Segments read a window's whole repeat customers counted per (orders, last day)
    (dates alone, states alone, one category alone): on the demo, many such customers
    share both, and each one counts. Equal to the raw path's answer."""
    with demo_engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(first_day), max(last_day) FROM cust_repeat")).one()
        shared = conn.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM cust_repeat GROUP BY n_sales, last_day "
            "HAVING count(*) > 1) g")).scalar_one()
    assert shared > 0, "no two repeat customers share their orders and last day"
    whole = Filters(start=lo, end=hi)
    views = [whole, Filters(start=lo, end=hi, states=("SP", "RJ")),
             Filters(start=lo, end=hi, categories=("bed_bath_table",)),
             Filters(start=date(lo.year + 1, 1, 1), end=hi)]
    for f in views:
        with demo_engine.connect() as conn:
            quick = customers.segments(conn, f, "fast")
            plain = customers.segments(conn, f, "raw")
        assert quick == plain, f
        assert sum(r["customers"] for r in quick if r["segment"] in ("loyal", "at_risk")) > 1
