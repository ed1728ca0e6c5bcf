"""The order list's other keys: seller sets, and an order's sales per category and seller.

`order_keys` (loaders/rollups.py) lets a page of the order list walk an index to its
first rows instead of computing every order of the list first. Two things kept some
lists off it, and each cost seconds at 1M orders:

* A seller filter could not be tested on an `order_keys` row: every row walked looked
  its items up. Each order now carries the SET of its sellers (`dim_sellerset`, like
  the category and payment sets of the rollups), so the test is a comparison of
  integers, and a few selected sellers read their orders through an index.
* Under a category or seller filter, an order's sales are those of the selected items
  only, a sum no single stored key holds. `order_part_keys` keeps one row per order
  and category (`dim = 'c'`) and per order and seller (`dim = 's'`) with the items'
  sum, beside the order's filter columns. One category (or one seller) is then a key
  of its own, walked in order through `(dim, value, sales, order_id)`; several of them
  are summed per order from their rows, which `(dim, value, purchased_at)` finds
  without reading the other values' rows.

Built by `rollups.rebuild` in the load's transaction, from its temporary tables: `t_cell`
(one row per order with its state, kind and sets) and `t_seller_item` (per order, seller
and category, the items' sums), so the items are not read again here.
"""

from __future__ import annotations

SELLERSET_TABLE = "dim_sellerset"
PART_TABLE = "order_part_keys"
PART_COLUMNS = (
    ("dim", "char(1) NOT NULL"), ("value", "text NOT NULL"), ("order_id", "text NOT NULL"),
    ("sales", "numeric NOT NULL"), ("purchased_at", "timestamp NOT NULL"),
    ("state", "text NOT NULL"), ("kind", "char(1) NOT NULL"),
    ("catset_id", "integer NOT NULL"), ("payset_id", "integer NOT NULL"),
    ("sellerset_id", "integer NOT NULL"),
)
PART_INDEXES = {
    "sales": "dim, value, sales, order_id",
    "day": "dim, value, purchased_at",
}
#: Indexes on `order_keys` for lists a filter makes short: their rows are found through
#: the filter's set ids, then sorted, rather than by walking the whole list's order. The
#: sets' indexes carry the purchase time, so a range reads only its own rows of each set:
#: at 10M, a week of two categories read all ~770k rows of their sets to keep ~8k.
ORDER_KEYS_INDEXES = {
    "purchased_at": "purchased_at, order_id",
    "catset": "catset_id, purchased_at",
    "sellerset": "sellerset_id, purchased_at",
    # a few small states: their rows of the range, then sorted (at 10M, AP and PB with two
    # categories and a payment type walked 600k rows of other states in purchase order)
    "state": "state, purchased_at",
}


def ddl() -> list[str]:
    """The tables and indexes (migration 0014 writes them out; tests hold them equal)."""
    body = ", ".join(f"{c} {t}" for c, t in PART_COLUMNS)
    return [
        f"CREATE TABLE {SELLERSET_TABLE} (sellerset_id integer PRIMARY KEY, "
        "sellers text[] NOT NULL, n_orders integer NOT NULL)",
        f"CREATE INDEX ix_{SELLERSET_TABLE}_sellers ON {SELLERSET_TABLE} USING gin (sellers)",
        f"CREATE TABLE {PART_TABLE} ({body})",
        *(f"CREATE INDEX ix_{PART_TABLE}_{name} ON {PART_TABLE} ({columns})"
          for name, columns in PART_INDEXES.items()),
    ]


def order_keys_index_ddl(table: str) -> list[str]:
    return [f"CREATE INDEX ix_{table}_{name} ON {table} ({columns})"
            for name, columns in ORDER_KEYS_INDEXES.items()]


TABLES = (SELLERSET_TABLE, PART_TABLE)

# Sellers in byte order ("C"): a set is the same array however the items came.
_SELLERSETS = """
CREATE TEMP TABLE t_sellers ON COMMIT DROP AS
SELECT order_id, array_agg(DISTINCT seller_id COLLATE "C" ORDER BY seller_id COLLATE "C")
           AS sellers
FROM t_seller_item GROUP BY order_id
"""
#: With each set, its number of orders: a page reads a short list whole (queries/orders.py).
#: New sets are numbered after the held ones (an append keeps the ids its rows carry,
#: loaders/increment.py), then every set's orders are added to its count.
_DIM = f"""
INSERT INTO {SELLERSET_TABLE} (sellerset_id, sellers, n_orders)
SELECT (SELECT coalesce(max(sellerset_id), 0) FROM {SELLERSET_TABLE})
       + row_number() OVER (ORDER BY s.v), s.v, 0
FROM (SELECT sellers FROM t_sellers UNION SELECT '{{}}'::text[]
      EXCEPT SELECT sellers FROM {SELLERSET_TABLE}) s(v);
UPDATE {SELLERSET_TABLE} d SET n_orders = d.n_orders + c.n
FROM (SELECT sellers, count(*) AS n FROM t_sellers GROUP BY sellers) c
WHERE d.sellers = c.sellers
"""
#: Per order, its seller set's id (an order without items has the empty set).
_ORDER_SELLERSETS = f"""
CREATE TEMP TABLE t_order_sellerset ON COMMIT DROP AS
SELECT c.order_id, d.sellerset_id
FROM t_cell c
LEFT JOIN t_sellers s ON s.order_id = c.order_id
JOIN {SELLERSET_TABLE} d ON d.sellers = coalesce(s.sellers, '{{}}')
"""


#: Per order and category, and per order and seller, the items' sales.
_PARTS = f"""
INSERT INTO {PART_TABLE} ({", ".join(c for c, _ in PART_COLUMNS)})
SELECT x.dim, x.value, x.order_id, x.sales, c.purchased_at, c.state, c.kind, c.catset_id,
       c.payset_id, s.sellerset_id
FROM (
    SELECT 'c'::char(1) AS dim, category AS value, order_id, sum(sales) AS sales
    FROM t_seller_item GROUP BY 2, 3
    UNION ALL
    SELECT 's', seller_id, order_id, sum(sales) FROM t_seller_item GROUP BY 2, 3
) x
JOIN t_cell c ON c.order_id = x.order_id
JOIN t_order_sellerset s ON s.order_id = x.order_id
ORDER BY x.dim, x.value COLLATE "C", c.purchased_at
"""


def rebuild_sellersets(cur) -> None:
    """`dim_sellerset` and `t_order_sellerset` (order -> set id), before `order_keys`."""
    cur.execute(_SELLERSETS)
    cur.execute(_DIM)
    cur.execute(_ORDER_SELLERSETS)
    cur.execute("CREATE INDEX ON t_order_sellerset (order_id)")
    cur.execute("ANALYZE t_order_sellerset")


def rebuild_parts(cur) -> None:
    """`order_part_keys` (analysed with every derived table at the end of the rebuild)."""
    cur.execute(_PARTS)
