"""The customer derived tables: migration 0009 creates exactly what
`loaders.customerfacts.DDL` says (the rebuild and the queries rely on it), and a load
fills them with one row per sales order and per (order, category, seller)."""

from __future__ import annotations

import re

from sqlalchemy import text

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
