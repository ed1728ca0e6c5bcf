"""Derived tables for customers, retention and lateness, rebuilt with the rollups.

Why per-order rows and not cells like `agg_order`: a cohort or a segment is about
distinct customers across several orders (their first order, their last one, how many),
which sums over cells cannot give. What makes them cheap instead is that every customer
fact that needs the whole dataset is computed once here, at load:

* `cust_order`: one row per sales order (not canceled/unavailable, with an item) of a
  customer, with its rank among that customer's sales orders (`seq`, by purchase time
  then order id in byte order, so `seq = 1` is the first order of METRICS.md whatever
  the filters), the customer's number of sales orders (`n_sales`) and first day, the
  order's state, payment types, sales of all its items, `days_late` and review sums.
  A query then never ranks or counts a customer's orders itself: a cohort's size is a
  plain count of `seq = 1` rows, and a customer with a single sales order (most of
  them) needs no grouping at all, only the few with `n_sales > 1` are grouped.
* `cust_item`: the sales orders' item prices summed per (order, category, seller), for
  the category and seller filters, which select items and count only theirs; each row
  carries its order's facts too, so such a filter reads its rows through an index on
  (category, day) or (seller_id, day) and nothing else.

Both are filled by DELETE + INSERT inside the load's transaction (readers keep the old
rows until it commits, like the other rollups); migration 0009 creates them.
"""

from __future__ import annotations

ORDER_TABLE = "cust_order"
ITEM_TABLE = "cust_item"

#: The order's facts, copied onto each of its `cust_item` rows: a category or seller
#: filter then reads its few rows through the index alone, with no lookup per order.
ORDER_FACTS = ("person", "seq", "n_sales", "first_day", "day", "state", "pay_types",
               "days_late", "review_sum", "review_n", "review_low")
_ORDER_FACTS = ("person text NOT NULL, seq integer NOT NULL, n_sales integer NOT NULL, "
                "first_day date NOT NULL, day date NOT NULL, state text NOT NULL, "
                "pay_types text[] NOT NULL, days_late integer, review_sum bigint NOT NULL, "
                "review_n bigint NOT NULL, review_low bigint NOT NULL")

DDL = (
    f"CREATE TABLE {ORDER_TABLE} (order_id text NOT NULL, person text NOT NULL, "
    "seq integer NOT NULL, n_sales integer NOT NULL, first_day date NOT NULL, "
    "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
    "sales numeric NOT NULL, days_late integer, review_sum bigint NOT NULL, "
    "review_n bigint NOT NULL, review_low bigint NOT NULL)",
    f"CREATE INDEX ix_{ORDER_TABLE}_day ON {ORDER_TABLE} (day)",
    f"CREATE INDEX ix_{ORDER_TABLE}_order ON {ORDER_TABLE} (order_id)",
    # the customers with several sales orders: the only rows a query groups by customer
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat ON {ORDER_TABLE} (day) WHERE n_sales > 1",
    f"CREATE TABLE {ITEM_TABLE} (order_id text NOT NULL, category text NOT NULL, "
    "seller_id text NOT NULL, sales numeric NOT NULL, " + _ORDER_FACTS + ")",
    f"CREATE INDEX ix_{ITEM_TABLE}_category ON {ITEM_TABLE} (category, day)",
    f"CREATE INDEX ix_{ITEM_TABLE}_seller ON {ITEM_TABLE} (seller_id, day)",
)


def tables() -> list[str]:
    return [ORDER_TABLE, ITEM_TABLE]


_ORDERS = f"""
INSERT INTO {ORDER_TABLE}
WITH sale AS (
    SELECT o.order_id, c.customer_unique_id AS person, o.order_purchase_timestamp AS ts,
           c.customer_state AS state,
           o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date
               AS days_late
    FROM orders o JOIN customers c ON c.customer_id = o.customer_id
    WHERE o.order_status NOT IN ('canceled', 'unavailable')
), it AS (
    SELECT order_id, sum(price) AS sales FROM order_items GROUP BY order_id
), pay AS (
    SELECT order_id, array_agg(DISTINCT payment_type ORDER BY payment_type) AS types
    FROM order_payments GROUP BY order_id
), rev AS (
    SELECT order_id, sum(review_score) AS review_sum, count(*) AS review_n,
           count(*) FILTER (WHERE review_score <= 2) AS review_low
    FROM order_reviews GROUP BY order_id
)
SELECT s.order_id, s.person,
       row_number() OVER (PARTITION BY s.person COLLATE "C"
                          ORDER BY s.ts, s.order_id COLLATE "C"),
       count(*) OVER (PARTITION BY s.person COLLATE "C"),
       min(s.ts::date) OVER (PARTITION BY s.person COLLATE "C"),
       s.ts::date, s.state, coalesce(pay.types, '{{}}'), it.sales, s.days_late,
       coalesce(rev.review_sum, 0), coalesce(rev.review_n, 0), coalesce(rev.review_low, 0)
FROM sale s
JOIN it ON it.order_id = s.order_id  -- a sales order has an item
LEFT JOIN pay ON pay.order_id = s.order_id
LEFT JOIN rev ON rev.order_id = s.order_id
ORDER BY 6
"""


def _items(category_sql: str) -> str:
    facts = ", ".join(f"f.{c}" for c in ORDER_FACTS)
    return f"""
INSERT INTO {ITEM_TABLE}
SELECT x.order_id, x.category, x.seller_id, x.sales, {facts}
FROM (SELECT i.order_id, {category_sql} AS category, i.seller_id, sum(i.price) AS sales
      FROM order_items i
      JOIN products p ON p.product_id = i.product_id
      LEFT JOIN product_category_name_translation t
             ON t.product_category_name = p.product_category_name
      GROUP BY 1, 2, 3) x
JOIN {ORDER_TABLE} f ON f.order_id = x.order_id
ORDER BY f.day
"""


def rebuild(cur, category_sql: str) -> None:
    """Refill both tables in the caller's transaction. `category_sql` is the rollups'
    category expression (over `p` and `t`), passed in so that an item's category is
    written one way for every derived table."""
    for table in reversed(tables()):
        cur.execute(f"DELETE FROM {table}")
    cur.execute(_ORDERS)
    cur.execute(_items(category_sql))
    for table in tables():
        cur.execute(f"ANALYZE {table}")
