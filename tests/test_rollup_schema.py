"""The migrations create exactly the rollup tables, columns and indexes the rebuild and the
query layer expect (0002 and 0004 are written out, so they cannot follow code changes)."""

from __future__ import annotations

import re

from sqlalchemy import text

from loaders import rollups


def _expected() -> tuple[dict[str, list[str]], set[str]]:
    tables: dict[str, list[str]] = {}
    indexes: set[str] = set()
    for statement in rollups.ddl():
        if m := re.match(r"CREATE TABLE (\w+) \((.*)\)$", statement):
            tables[m.group(1)] = [c.split()[0] for c in m.group(2).split(", ")]
        elif m := re.match(r"CREATE INDEX (\w+) ON", statement):
            indexes.add(m.group(1))
    return tables, indexes


def test_migrated_rollup_tables_match_the_rollup_code(engine):
    tables, indexes = _expected()
    with engine.connect() as conn:
        live = {
            name: conn.execute(text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = :t ORDER BY ordinal_position"), {"t": name}).scalars().all()
            for name in tables
        }
        live_indexes = set(conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(:t) "
            "AND indexname NOT LIKE '%pkey'"), {"t": list(tables)}).scalars())
    assert live == tables
    assert live_indexes == indexes
    assert set(tables) == set(rollups.all_tables())


def test_each_query_reads_the_smallest_level_holding_its_filters():
    order, item, payment = rollups.ORDER, rollups.ITEM, rollups.PAYMENT
    assert order.level_for({"state"}) == "lite"
    assert order.level_for({"payset_id"}) == "pay"
    assert order.level_for({"catset_id", "state"}) == "cat"
    assert order.level_for({"catset_id", "payset_id"}) == "full"
    assert item.level_for({"category"}) == "nat"
    assert item.level_for({"category", "state"}) == "lite"
    assert item.level_for({"category", "payset_id"}) == "pay"
    assert item.level_for({"category", "payset_id", "state"}) == "full"
    assert payment.level_for({"payment_type", "catset_id"}) == "cat"
    assert payment.level_for({"payment_type", "payset_id"}) == "full"


def test_the_seller_breakdown_reads_the_smallest_level_holding_its_filters():
    pair, item = rollups.SELLER_PAIR, rollups.SELLER_ITEM
    assert pair.level_for({"seller_id"}) == "lite"
    assert pair.level_for({"seller_id", "state"}) == "state"
    assert pair.level_for({"seller_id", "catset_id"}) == "cat"
    assert pair.level_for({"seller_id", "payset_id"}) == "pay"
    assert pair.level_for({"seller_id", "state", "payset_id"}) == "statepay"
    assert pair.level_for({"seller_id", "catset_id", "payset_id"}) == "full"
    # the few pairs whose items count in part under a category filter: one level
    assert [level for level, _ in item.levels] == ["full"]
