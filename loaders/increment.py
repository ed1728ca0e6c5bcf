"""`pulse load --append`: the derived tables updated where the new rows touch them.

A month's new orders used to rebuild every derived table from every order. Here only the
orders the new rows touch are computed again, in the load's transaction:

1. `Increment.start`, with the new rows still staged (`stg_*`): the touched customers are
   those (`customer_unique_id`) of the new orders and of the loaded orders that new
   items, payments or reviews belong to; the touched orders are ALL their orders. The
   derived tables are filled for those orders alone, as the warehouse holds them, in
   the schema `pulse_was` (`rollups.fill`: the same code as a rebuild, reading
   restricted copies of the raw tables that `search_path` finds first).
2. The load inserts the new rows (`loaders.ingest`).
3. `Increment.finish`: the same fill with the new rows, in `pulse_now`, then the live
   tables are updated from the two:
   - cells (sums over orders: every rollup, the customers' day and month cells,
     retention): live + now - was, per key; a cell whose sums all become 0 goes (a
     rebuild makes none: `customerfacts._KEPT`). Cells of days after the last one
     loaded (a new month's: most of them) cannot be live yet and are inserted without
     a lookup;
   - rows of one order or one customer (order keys, seller rows, repeat customers'
     rows, ...): the `was` rows are deleted and the `now` rows inserted;
   - sets of categories, payment types and sellers: new ones are numbered after the
     held ones, whose ids the live rows carry; so are new customers' keys
     (`derived_keys`), while known customers keep theirs (found through their orders'
     seller rows).

Why this equals a rebuild: every derived row is a sum over orders, where the untouched
orders add the same before and after, or a fact of one order or one customer, and a
customer's facts (first order, number of orders, states, previous order) need only
their own orders, which are all touched together. Only the ids differ from a rebuild's
numbering; tests/test_increment.py compares both through what the ids stand for.

A rebuild is still made (`Increment.start` returns None) when the derived tables come
from other code (their fingerprint), when nothing is loaded yet, or when the append
brings category translations, which rename loaded items' categories.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from . import customerfacts, listkeys, rollups

log = logging.getLogger(__name__)

WAS, NOW = "pulse_was", "pulse_now"
#: The raw tables a fill reads that an append restricts to the touched orders (products,
#: sellers and translations are read whole from the live schema).
_BY_ORDER = ("orders", "order_items", "order_payments", "order_reviews")
#: Sets: table -> (id column, the set's column).
SET_TABLES = {"dim_catset": ("catset_id", "categories"), "dim_payset": ("payset_id", "types"),
              rollups.SELLER_CATSETS: ("catset_id", "categories")}


def sum_tables() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every cell table: its key columns and its sums."""
    out = {table: (("day", *fact.dims(level)), fact.measures)
           for fact in rollups.FACTS + rollups.SELLER_FACTS
           for table, level, _grain in fact.tables()}
    return out | rollups.REPEAT_BY_DAY_SUMS | customerfacts.SUM_TABLES


def row_tables() -> dict[str, tuple[str, ...]]:
    return rollups.ROW_TABLES | customerfacts.ROW_TABLES


def special_tables() -> set[str]:
    """Updated their own way: the sets, `dim_sellerset` (a set with a count of orders),
    `dim_seller` (the sellers file, copied whole) and the next key. With `sum_tables` and
    `row_tables`, every derived table exactly once (tests/test_increment.py): a new table
    the merge did not know would be left as it was."""
    return set(SET_TABLES) | {listkeys.SELLERSET_TABLE, "dim_seller", rollups.KEYS_TABLE}


@dataclass
class Touched:
    customers: int
    orders: int


class Increment:
    """One append's update of the derived tables (see the module docstring)."""

    def __init__(self, cur, live: str, staged: set[str]) -> None:
        self.cur = cur
        self.live = live
        self.staged = staged
        self.touched = Touched(0, 0)
        self.last_day = None
        self.seconds: dict[str, float] = {}

    @classmethod
    def start(cls, cur, staged: set[str]) -> Increment | None:
        """The `was` side, before the new rows go in; None when a rebuild is due."""
        cur.execute("SELECT current_schema(), obj_description('pulse_meta'::regclass)")
        live, stamp = cur.fetchone()
        if stamp != rollups.STAMP_PREFIX + rollups.fingerprint():
            log.info("append: derived tables from other code, rebuilding them")
            return None
        cur.execute("SELECT EXISTS (SELECT 1 FROM orders)")
        if not cur.fetchone()[0]:
            return None
        if "product_category_name_translation" in staged:
            cur.execute("SELECT EXISTS (SELECT 1 FROM stg_product_category_name_translation s "
                        "WHERE NOT EXISTS (SELECT 1 FROM product_category_name_translation l "
                        "WHERE l.product_category_name = s.product_category_name))")
            if cur.fetchone()[0]:
                log.info("append: new category translations, rebuilding the derived tables")
                return None
        inc = cls(cur, live, staged)
        inc.prepare()
        return inc

    def prepare(self) -> None:
        """Find the touched orders and fill `pulse_was` with their derived rows."""
        # the last purchase day loaded: no live cell is keyed by a later day (a day or a
        # month cell exists only for an order on or after its day), so cells after it
        # are inserted without looking for them (`_merge_sums`)
        self.cur.execute("SELECT max(order_purchase_timestamp)::date FROM orders")
        self.last_day = self.cur.fetchone()[0]
        self._timed("touched", self._find_touched)
        self._timed("was", lambda: self._fill(WAS))

    def finish(self) -> None:
        """The `now` side, after the new rows went in, and the merge into the live tables."""
        self._timed("now", lambda: self._fill(NOW))
        self._timed("merge", self._merge)
        self.cur.execute(f"DROP SCHEMA {NOW} CASCADE")
        self.discard()
        log.info("append: derived tables updated for %d orders of %d customers (%s)",
                 self.touched.orders, self.touched.customers,
                 ", ".join(f"{k} {v:.2f}s" for k, v in self.seconds.items()))

    def discard(self) -> None:
        """Nothing new went in after all (every staged row was loaded already)."""
        self.cur.execute(f"DROP SCHEMA {WAS} CASCADE")
        self.cur.execute("DROP TABLE pulse_touched_people, pulse_touched, "
                         + rollups.KNOWN_KEYS)

    def _timed(self, step: str, work) -> None:
        t0 = time.perf_counter()
        work()
        self.seconds[step] = time.perf_counter() - t0

    # --- what is touched ----------------------------------------------------------------

    def _find_touched(self) -> None:
        """The customers of the staged orders and of the loaded orders that staged child
        rows belong to; their loaded orders' keys are kept (`rollups.KNOWN_KEYS`)."""
        cur = self.cur
        parts = []
        if "orders" in self.staged:
            parts.append("SELECT customer_id FROM stg_orders")
        children = [f"SELECT order_id FROM stg_{t}" for t in _BY_ORDER[1:] if t in self.staged]
        if children:
            parts.append("SELECT o.customer_id FROM orders o WHERE o.order_id IN ("
                         + " UNION ".join(children) + ")")
        customers = " UNION ".join(parts) or "SELECT NULL::text AS customer_id WHERE false"
        staged_customers = ("UNION ALL SELECT customer_id, customer_unique_id FROM stg_customers"
                            if "customers" in self.staged else "")
        cur.execute(f"""
            CREATE TEMP TABLE pulse_touched_people ON COMMIT DROP AS
            SELECT DISTINCT c.customer_unique_id AS person
            FROM ({customers}) x
            JOIN (SELECT customer_id, customer_unique_id FROM customers {staged_customers}) c
              ON c.customer_id = x.customer_id""")
        cur.execute("CREATE TEMP TABLE pulse_touched (order_id text PRIMARY KEY) "
                    "ON COMMIT DROP")
        self._touched_orders()
        cur.execute(f"""
            CREATE TEMP TABLE {rollups.KNOWN_KEYS} ON COMMIT DROP AS
            SELECT DISTINCT c.customer_unique_id AS person, s.customer_key
            FROM pulse_touched t
            JOIN orders o ON o.order_id = t.order_id
            JOIN customers c ON c.customer_id = o.customer_id
            JOIN order_items i ON i.order_id = o.order_id
            JOIN {rollups.SELLER_TABLE} s ON s.seller_id = i.seller_id
             AND s.day = o.order_purchase_timestamp::date AND s.order_id = o.order_id
            WHERE s.customer_key IS NOT NULL""")
        cur.execute(f"ALTER TABLE {rollups.KNOWN_KEYS} ADD PRIMARY KEY (person)")
        cur.execute("SELECT count(*) FROM pulse_touched_people")
        self.touched.customers = cur.fetchone()[0]

    def _touched_orders(self) -> None:
        """Every loaded order of the touched customers (again after the insert: theirs)."""
        self.cur.execute("""
            INSERT INTO pulse_touched
            SELECT o.order_id FROM pulse_touched_people p
            JOIN customers c ON c.customer_unique_id = p.person
            JOIN orders o ON o.customer_id = c.customer_id
            ON CONFLICT DO NOTHING""")
        self.cur.execute("SELECT count(*) FROM pulse_touched")
        self.touched.orders = self.cur.fetchone()[0]

    # --- the two fills ------------------------------------------------------------------

    def _fill(self, schema: str) -> None:
        """The derived tables of the touched orders alone, in `schema`: restricted copies
        of the raw tables and the live sets and next key shadow the live ones there."""
        cur, live = self.cur, self.live
        if schema == NOW:
            self._touched_orders()
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(f"CREATE TABLE {schema}.orders AS SELECT o.* FROM {live}.orders o "
                    "JOIN pulse_touched t ON t.order_id = o.order_id")
        for table in _BY_ORDER[1:]:
            cur.execute(f"CREATE TABLE {schema}.{table} AS SELECT x.* FROM {live}.{table} x "
                        "JOIN pulse_touched t ON t.order_id = x.order_id")
        cur.execute(f"CREATE TABLE {schema}.customers AS SELECT c.* FROM {live}.customers c "
                    f"WHERE c.customer_id IN (SELECT customer_id FROM {schema}.orders)")
        for table in rollups.all_tables() + customerfacts.tables():
            cur.execute(f"CREATE TABLE {schema}.{table} (LIKE {live}.{table} "
                        "INCLUDING DEFAULTS)")
        for table in (*SET_TABLES, rollups.KEYS_TABLE):
            cur.execute(f"INSERT INTO {schema}.{table} SELECT * FROM {live}.{table}")
        cur.execute(f"INSERT INTO {schema}.{listkeys.SELLERSET_TABLE} "
                    f"SELECT sellerset_id, sellers, 0 FROM {live}.{listkeys.SELLERSET_TABLE}")
        for table in ("orders", "customers", *_BY_ORDER[1:]):
            cur.execute(f"ANALYZE {schema}.{table}")
        cur.execute("SELECT current_setting('search_path')")
        path = cur.fetchone()[0]
        cur.execute(f"SET LOCAL search_path = {schema}, {path}")
        try:
            rollups.fill(cur)
        finally:
            cur.execute(f"SET LOCAL search_path = {path}")
        rollups.drop_temporary(cur)

    # --- the merge ----------------------------------------------------------------------

    def _merge(self) -> None:
        for table, (keys, sums) in sum_tables().items():
            t0 = time.perf_counter()
            self._merge_sums(table, keys, sums)
            log.debug("increment: %.3fs merging %s", time.perf_counter() - t0, table)
        for table, keys in row_tables().items():
            t0 = time.perf_counter()
            self._replace_rows(table, keys)
            log.debug("increment: %.3fs replacing %s", time.perf_counter() - t0, table)
        self._merge_sets()

    def _merge_sums(self, table: str, keys: tuple[str, ...], sums: tuple[str, ...]) -> None:
        cur, live = self.cur, self.live
        key_list = ", ".join(keys)
        both = (f"SELECT {key_list}, {', '.join(sums)} FROM {NOW}.{table} UNION ALL "
                f"SELECT {key_list}, {', '.join(f'-{m}' for m in sums)} FROM {WAS}.{table}")
        cur.execute(f"""
            CREATE TEMP TABLE pulse_delta ON COMMIT DROP AS
            SELECT {key_list}, {', '.join(f'sum({m}) AS {m}' for m in sums)}
            FROM ({both}) x GROUP BY {key_list}
            HAVING {' OR '.join(f'sum({m}) <> 0' for m in sums)}""")
        if "day" in keys and self.last_day is not None:
            # a new month's cells: all of them new, inserted without a lookup each
            later = f"day > DATE '{self.last_day.isoformat()}'"
            cur.execute(f"INSERT INTO {live}.{table} ({key_list}, {', '.join(sums)}) "
                        f"SELECT * FROM pulse_delta WHERE {later}")
            cur.execute(f"DELETE FROM pulse_delta WHERE {later}")
        cur.execute("ANALYZE pulse_delta")  # few rows: found through the live indexes
        match = " AND ".join(f"t.{k} = d.{k}" for k in keys)
        cur.execute(f"UPDATE {live}.{table} t SET "
                    + ", ".join(f"{m} = t.{m} + d.{m}" for m in sums)
                    + f" FROM pulse_delta d WHERE {match}")
        cur.execute(f"INSERT INTO {live}.{table} ({key_list}, {', '.join(sums)}) "
                    f"SELECT d.* FROM pulse_delta d WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {live}.{table} t WHERE {match})")
        # a cell can end at 0 only if one of its counts fell (every cell table has counts
        # but the category parts, whose sales are never negative): a month of new orders
        # looks up none
        lost = " OR ".join(f"{m} < 0" for m in sums)
        cur.execute(f"DELETE FROM {live}.{table} t USING (SELECT * FROM pulse_delta "
                    f"WHERE {lost}) d WHERE {match} AND "
                    + " AND ".join(f"t.{m} = 0" for m in sums))
        cur.execute("DROP TABLE pulse_delta")

    def _replace_rows(self, table: str, keys: tuple[str, ...]) -> None:
        live = self.live
        match = " AND ".join(f"t.{k} = w.{k}" for k in keys)
        self.cur.execute(f"DELETE FROM {live}.{table} t USING {WAS}.{table} w WHERE {match}")
        self.cur.execute(f"INSERT INTO {live}.{table} SELECT * FROM {NOW}.{table}")

    def _merge_sets(self) -> None:
        cur, live = self.cur, self.live
        for table, (id_column, _) in SET_TABLES.items():
            cur.execute(f"INSERT INTO {live}.{table} SELECT * FROM {NOW}.{table} n "
                        f"WHERE n.{id_column} > (SELECT coalesce(max({id_column}), 0) "
                        f"FROM {live}.{table})")
        sets = listkeys.SELLERSET_TABLE
        cur.execute(f"""
            INSERT INTO {live}.{sets} SELECT * FROM {NOW}.{sets} n
            WHERE n.sellerset_id > (SELECT coalesce(max(sellerset_id), 0) FROM {live}.{sets})
        """)
        cur.execute(f"""
            UPDATE {live}.{sets} d SET n_orders = d.n_orders + x.n
            FROM (SELECT sellerset_id, sum(n) AS n FROM (
                      SELECT sellerset_id, n_orders AS n FROM {NOW}.{sets}
                      UNION ALL SELECT sellerset_id, -n_orders FROM {WAS}.{sets}) y
                  GROUP BY 1 HAVING sum(n) <> 0) x
            WHERE d.sellerset_id = x.sellerset_id
              AND d.sellerset_id <= (SELECT max(sellerset_id) FROM {WAS}.{sets})""")
        if "sellers" in self.staged:
            cur.execute(f"DELETE FROM {live}.dim_seller")
            cur.execute(f"INSERT INTO {live}.dim_seller SELECT * FROM {NOW}.dim_seller")
        cur.execute(f"DELETE FROM {live}.{rollups.KEYS_TABLE}")
        cur.execute(f"INSERT INTO {live}.{rollups.KEYS_TABLE} "
                    f"SELECT * FROM {NOW}.{rollups.KEYS_TABLE}")
