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
  them) needs no grouping at all, only the few with `n_sales > 1` are grouped. Those
  are stored after all the others, so that reading them (through a partial index) reads
  a few dense pages instead of one row in every page.
* `cust_item`: the sales orders' item prices summed per (order, category, seller), for
  the category and seller filters, which select items and count only theirs; each row
  carries its order's facts too, so such a filter reads its rows through an index on
  (category, day) or (seller_id, day) and nothing else. Stored by (repeat customer or
  not, category, day), for the same reason.

* `cust_day`: per (day, state, payment-type set), sums of those rows: first orders,
  customers with a single sales order and their sales, and per lateness bucket the
  orders and their review sums. Without a category or seller filter, a view's cohort
  sizes, one-order customers and lateness are sums over these cells, whose number grows
  with days and states, not with orders; only repeat customers are read row by row.

* `cust_day_cat`: the same sums per (day, state, payment-type set, category set), the
  category set being the order's (`dim_catset`, as in the rollups' cells): a category
  filter selects the cells whose set meets it, so an order with two selected
  categories is still counted once, and reads sums instead of one row per item. Only
  `single_sales` depends on which of an order's categories are selected: a cell whose
  whole set is selected keeps it, and for the cells of several categories
  `cust_day_catpart` holds it per category, for the selections that take a part of
  the set.

* `cust_day_seller`: the same sums per seller too, over the orders with an item of
  theirs, `single_sales` being their items' sales. Summed over the selected sellers,
  the sales are exact (an item has one seller) but an order with items of k selected
  sellers is counted k times: `cust_multiseller` holds the few orders with several
  sellers (their sellers and order facts), from which a query takes k - 1 times each
  such order's counts back. Sellers are thousands: seller-set cells would not stay
  small.
* `cust_day_sellcat`: the same sums per (seller, category) too, over each order's items
  of that seller in that category (one `cust_item` row each), for a seller filter with
  a category filter: an item counts when both match, so neither the seller cells nor
  the category cells can give it. An order with k selected (seller, category) rows is
  in k cells; `cust_multipair` holds the orders with several such rows (their pairs,
  as two arrays of one length, and order facts) for the same k - 1 take-back.

* `cust_month`, `cust_month_cat`, `cust_month_seller`, `cust_month_sellcat`: the same
  sums per month, for the
  answers that need no day (cohorts, lateness): a window's whole months read these,
  its partial months at the edges the day tables.

* `cust_retention`: per (cohort month, later month), the repeat customers of the cohort
  active in that month, over all orders: a view with no filter but its dates reads its
  retention here, whatever the number of repeat customers. `cust_retention_state`: the
  same per state, over the repeat customers whose sales orders all lie in one state
  (`cust_order.multi_state` false); a view filtered by states alone sums its states'
  rows and groups only the few customers of several states from their orders.

* `cust_repeat`: one row per repeat customer (first and last day, number of sales
  orders, their sales, and their state when all their orders lie in one), and
  `cust_order.last_day`. A segment needs each customer's orders in the window counted
  and their last one found; with no filter but dates, a customer whose orders all lie
  in the window is that row whole, so only those cut by an edge (`first_day` before it
  or `last_day` after it, through partial indexes) are grouped from their orders: at
  1M, none for the whole range instead of 65k rows. Under a state filter alone the same
  holds for the customers of one state (`cust_repeat.state`); those of several states
  are grouped from their orders in the selected states. Under one category alone,
  `cust_repeat_cat` is the same row per (customer, category), over the orders with an
  item of it.

All are filled with the rollups inside the load's transaction, aside and then swapped in
(`loaders.swap.built_aside`: readers keep the old tables until it commits); migration
0009 and its successors create them.
"""

from __future__ import annotations

ORDER_TABLE = "cust_order"
ITEM_TABLE = "cust_item"
DAY_TABLE = "cust_day"
CAT_DAY_TABLE = "cust_day_cat"
CAT_PART_TABLE = "cust_day_catpart"
SELLER_DAY_TABLE = "cust_day_seller"
MULTI_SELLER_TABLE = "cust_multiseller"
SELLCAT_DAY_TABLE = "cust_day_sellcat"
MULTI_PAIR_TABLE = "cust_multipair"
#: Each day-sums table's month twin (the same columns, `day` the month's first day):
#: whole months of a window read ~30 times fewer rows.
MONTH_TABLES = {DAY_TABLE: "cust_month", CAT_DAY_TABLE: "cust_month_cat",
                SELLER_DAY_TABLE: "cust_month_seller", SELLCAT_DAY_TABLE: "cust_month_sellcat"}
#: Their dimensions besides the day, the first one leading their index.
_CELL_DIMS = {DAY_TABLE: ("state", "pay_types"),
              CAT_DAY_TABLE: ("catset_id", "state", "pay_types"),
              SELLER_DAY_TABLE: ("seller_id", "state", "pay_types"),
              SELLCAT_DAY_TABLE: ("seller_id", "category", "state", "pay_types")}
#: How many of those dimensions lead each table's index (and its storage order).
_CELL_LEAD = {DAY_TABLE: 0, CAT_DAY_TABLE: 1, SELLER_DAY_TABLE: 1, SELLCAT_DAY_TABLE: 2}
RETENTION_TABLE = "cust_retention"
STATE_RETENTION_TABLE = "cust_retention_state"
REPEAT_TABLE = "cust_repeat"
REPEAT_CAT_TABLE = "cust_repeat_cat"

#: Reviews by lateness: the buckets of `days_late`, in order, and each one's condition.
BUCKETS = ("early_7+", "early_1_6", "on_time", "late_1_3", "late_4_7", "late_8_14",
           "late_15+")
BUCKET_WHEN = ("days_late <= -7", "days_late BETWEEN -6 AND -1", "days_late = 0",
               "days_late BETWEEN 1 AND 3", "days_late BETWEEN 4 AND 7",
               "days_late BETWEEN 8 AND 14", "days_late >= 15")
#: Per bucket i, the columns of `cust_day` (and of any per-day sums of the same shape):
#: its orders, their review scores' sum, their review rows, those scored 1 or 2.
LATE_MEASURES = ("late_n", "late_sum", "late_rn", "late_low")
LATE_COLUMNS = tuple(f"{m}_{i}" for i in range(len(BUCKETS)) for m in LATE_MEASURES)


def day_sums_sql(weight: str | None = None) -> str:
    """The measures of `cust_day` as aggregates over order rows (`cust_order`'s columns):
    how the table is built, and how a query computes the same sums from its own rows.
    `weight`: an expression each row counts for instead of 1 (a correction's rows)."""
    def count(when: str) -> str:
        return (f"count(*) FILTER (WHERE {when})" if weight is None
                else f"coalesce(sum({weight}) FILTER (WHERE {when}), 0)")

    def total(column: str, when: str) -> str:
        value = column if weight is None else f"{column} * {weight}"
        return f"coalesce(sum({value}) FILTER (WHERE {when}), 0)"

    out = [f"{count('seq = 1')} AS firsts", f"{count('n_sales = 1')} AS singles",
           f"{total('sales', 'n_sales = 1')} AS single_sales"]
    for i, when in enumerate(BUCKET_WHEN):
        out += [f"{count(when)} AS late_n_{i}",
                f"{total('review_sum', when)} AS late_sum_{i}",
                f"{total('review_n', when)} AS late_rn_{i}",
                f"{total('review_low', when)} AS late_low_{i}"]
    return ",\n       ".join(out)

#: Cells keep only groups with a sum that is not 0: a first order, a single-order customer
#: or a lateness bucket (every `days_late` falls in one). A cell of zeros changes no answer,
#: and an append, which adds and takes away sums (loaders/increment.py), cannot tell it
#: from no cell at all, so a rebuild does not make one either.
_KEPT = "HAVING count(*) FILTER (WHERE seq = 1 OR n_sales = 1 OR days_late IS NOT NULL) > 0"

#: The order's facts, copied onto each of its `cust_item` rows: a category or seller
#: filter then reads its few rows through the index alone, with no lookup per order.
ORDER_FACTS = ("person", "seq", "n_sales", "first_day", "day", "state", "pay_types",
               "days_late", "review_sum", "review_n", "review_low")
_ORDER_FACTS = ("person text NOT NULL, seq integer NOT NULL, n_sales integer NOT NULL, "
                "first_day date NOT NULL, day date NOT NULL, state text NOT NULL, "
                "pay_types text[] NOT NULL, days_late integer, review_sum bigint NOT NULL, "
                "review_n bigint NOT NULL, review_low bigint NOT NULL")

# counts as integer (a cell's are small): their sums are bigint, quicker than numeric
_DAY_COLUMNS = ", ".join(["day date NOT NULL", "state text NOT NULL",
                          "pay_types text[] NOT NULL", "firsts integer NOT NULL",
                          "singles integer NOT NULL", "single_sales numeric NOT NULL",
                          *(f"{c} integer NOT NULL" for c in LATE_COLUMNS)])

DDL = (
    f"CREATE TABLE {ORDER_TABLE} (order_id text NOT NULL, person text NOT NULL, "
    "seq integer NOT NULL, n_sales integer NOT NULL, first_day date NOT NULL, "
    "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
    "sales numeric NOT NULL, days_late integer, review_sum bigint NOT NULL, "
    "review_n bigint NOT NULL, review_low bigint NOT NULL, last_day date, "
    "multi_state boolean NOT NULL DEFAULT false)",
    f"CREATE INDEX ix_{ORDER_TABLE}_day ON {ORDER_TABLE} (day)",
    f"CREATE INDEX ix_{ORDER_TABLE}_order ON {ORDER_TABLE} (order_id)",
    # the customers with several sales orders: the only rows a query groups by customer
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat ON {ORDER_TABLE} (day) WHERE n_sales > 1",
    f"CREATE TABLE {ITEM_TABLE} (order_id text NOT NULL, category text NOT NULL, "
    "seller_id text NOT NULL, sales numeric NOT NULL, " + _ORDER_FACTS + ")",
    f"CREATE INDEX ix_{ITEM_TABLE}_category ON {ITEM_TABLE} (category, day)",
    f"CREATE INDEX ix_{ITEM_TABLE}_seller ON {ITEM_TABLE} (seller_id, day)",
    f"CREATE TABLE {DAY_TABLE} ({_DAY_COLUMNS})",
    f"CREATE INDEX ix_{DAY_TABLE}_day ON {DAY_TABLE} (day)",
    # under a category filter only repeat customers are read row by row, the rest summed
    f"CREATE INDEX ix_{ITEM_TABLE}_repeat ON {ITEM_TABLE} (category, day) WHERE n_sales > 1",
    f"CREATE TABLE {CAT_DAY_TABLE} (catset_id integer NOT NULL, {_DAY_COLUMNS})",
    f"CREATE INDEX ix_{CAT_DAY_TABLE}_catset ON {CAT_DAY_TABLE} (catset_id, day)",
    f"CREATE TABLE {CAT_PART_TABLE} (catset_id integer NOT NULL, category text NOT NULL, "
    "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, "
    "single_sales numeric NOT NULL)",
    f"CREATE INDEX ix_{CAT_PART_TABLE}_catset ON {CAT_PART_TABLE} (catset_id, day)",
    f"CREATE INDEX ix_{ITEM_TABLE}_repeat_seller ON {ITEM_TABLE} (seller_id, day) "
    "WHERE n_sales > 1",
    f"CREATE TABLE {SELLER_DAY_TABLE} (seller_id text NOT NULL, {_DAY_COLUMNS})",
    f"CREATE INDEX ix_{SELLER_DAY_TABLE}_seller ON {SELLER_DAY_TABLE} (seller_id, day)",
    f"CREATE TABLE {MULTI_SELLER_TABLE} (order_id text NOT NULL, sellers text[] NOT NULL, "
    "seq integer NOT NULL, n_sales integer NOT NULL, day date NOT NULL, "
    "state text NOT NULL, pay_types text[] NOT NULL, days_late integer, "
    "review_sum bigint NOT NULL, review_n bigint NOT NULL, review_low bigint NOT NULL)",
    f"CREATE INDEX ix_{MULTI_SELLER_TABLE}_sellers ON {MULTI_SELLER_TABLE} USING gin "
    "(sellers)",
    f"CREATE TABLE {RETENTION_TABLE} (cohort date NOT NULL, month date NOT NULL, "
    "active integer NOT NULL)",
    f"CREATE TABLE {MONTH_TABLES[DAY_TABLE]} ({_DAY_COLUMNS})",
    f"CREATE INDEX ix_{MONTH_TABLES[DAY_TABLE]}_day ON {MONTH_TABLES[DAY_TABLE]} (day)",
    f"CREATE TABLE {MONTH_TABLES[CAT_DAY_TABLE]} (catset_id integer NOT NULL, {_DAY_COLUMNS})",
    f"CREATE INDEX ix_{MONTH_TABLES[CAT_DAY_TABLE]}_catset ON {MONTH_TABLES[CAT_DAY_TABLE]} "
    "(catset_id, day)",
    f"CREATE TABLE {MONTH_TABLES[SELLER_DAY_TABLE]} (seller_id text NOT NULL, {_DAY_COLUMNS})",
    f"CREATE INDEX ix_{MONTH_TABLES[SELLER_DAY_TABLE]}_seller "
    f"ON {MONTH_TABLES[SELLER_DAY_TABLE]} (seller_id, day)",
    # repeat customers cut by a window's edge: the only ones a segment still groups
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat_first ON {ORDER_TABLE} (first_day) "
    "WHERE n_sales > 1",
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat_last ON {ORDER_TABLE} (last_day) "
    "WHERE n_sales > 1",
    f"CREATE TABLE {REPEAT_TABLE} (person text NOT NULL, first_day date NOT NULL, "
    "last_day date NOT NULL, n_sales integer NOT NULL, sales numeric NOT NULL, state text)",
    f"CREATE INDEX ix_{REPEAT_TABLE}_first ON {REPEAT_TABLE} (first_day)",
    f"CREATE TABLE {STATE_RETENTION_TABLE} (cohort date NOT NULL, month date NOT NULL, "
    "state text NOT NULL, active integer NOT NULL)",
    f"CREATE INDEX ix_{REPEAT_TABLE}_state ON {REPEAT_TABLE} (state, first_day)",
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat_multi ON {ORDER_TABLE} (day) "
    "WHERE n_sales > 1 AND multi_state",
    f"CREATE TABLE {REPEAT_CAT_TABLE} (person text NOT NULL, category text NOT NULL, "
    "first_day date NOT NULL, last_day date NOT NULL, n_orders integer NOT NULL, "
    "sales numeric NOT NULL)",
    f"CREATE INDEX ix_{REPEAT_CAT_TABLE}_category ON {REPEAT_CAT_TABLE} (category, first_day)",
    f"CREATE TABLE {SELLCAT_DAY_TABLE} (seller_id text NOT NULL, category text NOT NULL, "
    f"{_DAY_COLUMNS})",
    f"CREATE INDEX ix_{SELLCAT_DAY_TABLE}_pair ON {SELLCAT_DAY_TABLE} "
    "(seller_id, category, day)",
    f"CREATE TABLE {MONTH_TABLES[SELLCAT_DAY_TABLE]} (seller_id text NOT NULL, "
    f"category text NOT NULL, {_DAY_COLUMNS})",
    f"CREATE INDEX ix_{MONTH_TABLES[SELLCAT_DAY_TABLE]}_pair "
    f"ON {MONTH_TABLES[SELLCAT_DAY_TABLE]} (seller_id, category, day)",
    f"CREATE TABLE {MULTI_PAIR_TABLE} (order_id text NOT NULL, sellers text[] NOT NULL, "
    "categories text[] NOT NULL, seq integer NOT NULL, n_sales integer NOT NULL, "
    "day date NOT NULL, state text NOT NULL, pay_types text[] NOT NULL, days_late integer, "
    "review_sum bigint NOT NULL, review_n bigint NOT NULL, review_low bigint NOT NULL)",
    f"CREATE INDEX ix_{MULTI_PAIR_TABLE}_sellers ON {MULTI_PAIR_TABLE} USING gin (sellers)",
    # repeat customers under a payment type or a few states: their own rows, not every
    # repeat row filtered (at 10M orders ~655k rows, ~100 ms per pass, two passes a cohort)
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat_pay ON {ORDER_TABLE} USING gin (pay_types) "
    "WHERE n_sales > 1",
    f"CREATE INDEX ix_{ORDER_TABLE}_repeat_state ON {ORDER_TABLE} (state, day) "
    "WHERE n_sales > 1",
)


#: Up to this many selected sellers, the shared orders are found by pairs (below).
PAIRED_SELLERS = 6


def seller_cells(categories: bool, sellers: int = 1) -> tuple[str, str, str]:
    """What a seller filter's one-order customers are summed from: the day-sums table
    (per seller, or with a category filter per seller and category), the table of the
    orders in several of its cells, and a condition (on such a row `f`) that every row
    in several of the selected cells meets (`:sellers`, and `:cats`; callers keep the
    rows of k > 1).

    Without categories, a row counts only when it holds two of the `sellers` selected:
    asked as "holds this pair" for each pair, the GIN index intersects the two sellers'
    lists. Asked as "holds one of them", it returned every shared order of the biggest
    seller (11k rows at 10M orders, 9 kept: ~20 ms, four times per dashboard)."""
    if categories:
        return (SELLCAT_DAY_TABLE, MULTI_PAIR_TABLE, "f.sellers && CAST(:sellers AS text[]) "
                "AND f.categories && CAST(:cats AS text[])")
    if not 1 < sellers <= PAIRED_SELLERS:
        return SELLER_DAY_TABLE, MULTI_SELLER_TABLE, "f.sellers && CAST(:sellers AS text[])"
    picked = "(CAST(:sellers AS text[]))"
    pairs = " OR ".join(f"f.sellers @> ARRAY[{picked}[{a}], {picked}[{b}]]"
                        for a in range(1, sellers + 1) for b in range(a + 1, sellers + 1))
    return SELLER_DAY_TABLE, MULTI_SELLER_TABLE, f"({pairs})"


def shared_count_sql(categories: bool) -> str:
    """How many rows of a shared order (a `cust_multiseller` row `f`, or with
    `categories` a `cust_multipair` one) the selection `:sellers` (and `:cats`) takes:
    the order is in that many of the selected cells, so a query takes it back that
    many times less one."""
    if not categories:
        return ("cardinality(ARRAY(SELECT unnest(f.sellers) INTERSECT "
                "SELECT unnest(CAST(:sellers AS text[]))))")
    return ("(SELECT count(*) FROM unnest(f.sellers, f.categories) AS u(s, c) "
            "WHERE u.s = ANY(CAST(:sellers AS text[])) AND u.c = ANY(CAST(:cats AS text[])))")


#: How an append (loaders/increment.py) updates each table. Cells are sums over orders:
#: table -> (key columns, sums). The others hold rows of one order or one customer:
#: table -> the columns that find such a row (an index's first, then its identity).
CELL_SUMS = ("firsts", "singles", "single_sales", *LATE_COLUMNS)
SUM_TABLES = {
    **{t: (("day", *_CELL_DIMS[d]), CELL_SUMS) for d, t in MONTH_TABLES.items()},
    **{d: (("day", *_CELL_DIMS[d]), CELL_SUMS) for d in MONTH_TABLES},
    CAT_PART_TABLE: (("catset_id", "category", "day", "state", "pay_types"), ("single_sales",)),
    RETENTION_TABLE: (("cohort", "month"), ("active",)),
    STATE_RETENTION_TABLE: (("cohort", "month", "state"), ("active",)),
}
ROW_TABLES = {
    ORDER_TABLE: ("order_id",),
    ITEM_TABLE: ("category", "day", "order_id", "seller_id"),
    MULTI_SELLER_TABLE: ("order_id",),
    MULTI_PAIR_TABLE: ("order_id",),
    REPEAT_TABLE: ("first_day", "person"),
    REPEAT_CAT_TABLE: ("category", "first_day", "person"),
}


def tables() -> list[str]:
    return [ORDER_TABLE, ITEM_TABLE, DAY_TABLE, CAT_DAY_TABLE, CAT_PART_TABLE,
            SELLER_DAY_TABLE, MULTI_SELLER_TABLE, RETENTION_TABLE, *MONTH_TABLES.values(),
            REPEAT_TABLE, STATE_RETENTION_TABLE, REPEAT_CAT_TABLE, SELLCAT_DAY_TABLE,
            MULTI_PAIR_TABLE]


#: From the rollups' per-order facts (`t_cell`: an order's sums, its customer's key,
#: number of sales orders and first day), not from the raw tables again.
_ORDERS = f"""
INSERT INTO {ORDER_TABLE}
SELECT order_id, person,
       row_number() OVER (PARTITION BY customer_key
                          ORDER BY purchased_at, order_id COLLATE "C"),
       n_sales, first_day, day, state, types, sales, days_late,
       review_sum, review_n, review_low, max(day) OVER (PARTITION BY customer_key),
       min(state) OVER (PARTITION BY customer_key) <> max(state) OVER (PARTITION BY customer_key)
FROM t_cell WHERE kind = 's'
ORDER BY n_sales > 1, day
"""

#: The repeat customers whole, stored by first day: a window from `lo` reads its rows
#: from there on.
_REPEATERS = f"""
INSERT INTO {REPEAT_TABLE}
SELECT person, first_day, last_day, n_sales, sum(sales),
       CASE WHEN bool_or(multi_state) THEN NULL ELSE min(state) END
FROM {ORDER_TABLE} WHERE n_sales > 1
GROUP BY person, first_day, last_day, n_sales ORDER BY first_day
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
ORDER BY f.n_sales > 1, x.category, f.day
"""


#: Per repeat customer and category, their sales orders with an item of it: first and
#: last day, how many, and those items' sales (an order's rows of two sellers are one).
_REPEATERS_BY_CATEGORY = f"""
INSERT INTO {REPEAT_CAT_TABLE}
SELECT person, category, min(day), max(day), count(DISTINCT order_id), sum(sales)
FROM {ITEM_TABLE} WHERE n_sales > 1
GROUP BY person, category ORDER BY category, min(day)
"""


_RETENTION = f"""
INSERT INTO {RETENTION_TABLE}
SELECT b.cohort, date_trunc('month', o.day::timestamp)::date, count(DISTINCT o.person)
FROM {ORDER_TABLE} o
JOIN (SELECT person, date_trunc('month', day::timestamp)::date AS cohort
      FROM {ORDER_TABLE} WHERE seq = 1 AND n_sales > 1) b ON b.person = o.person
WHERE o.seq > 1 AND o.n_sales > 1 AND o.day >= (b.cohort + interval '1 month')::date
GROUP BY 1, 2 ORDER BY 1, 2
"""


#: The same per state, for the repeat customers whose sales orders are all in one state:
#: under a state filter such a customer is in their state's rows or in none, so the
#: selected states' rows add up; the few others are counted from their orders.
_STATE_RETENTION = f"""
INSERT INTO {STATE_RETENTION_TABLE}
SELECT b.cohort, date_trunc('month', o.day::timestamp)::date, o.state, count(DISTINCT o.person)
FROM {ORDER_TABLE} o
JOIN (SELECT person, date_trunc('month', day::timestamp)::date AS cohort
      FROM {ORDER_TABLE} WHERE seq = 1 AND n_sales > 1 AND NOT multi_state) b
  ON b.person = o.person
WHERE o.seq > 1 AND o.n_sales > 1 AND NOT o.multi_state
  AND o.day >= (b.cohort + interval '1 month')::date
GROUP BY 1, 2, 3 ORDER BY 3, 1, 2
"""


#: Each sales order's category set, as `dim_catset` writes it (the rollups fill it first,
#: from the same category expression; `cust_item` already holds each item's category),
#: and its sellers.
_ORDER_CATSETS = f"""
CREATE TEMP TABLE t_cust_catset ON COMMIT DROP AS
SELECT c.order_id, s.catset_id, cardinality(s.categories) > 1 AS several, c.sellers
FROM (SELECT order_id, array_agg(DISTINCT category ORDER BY category) AS cats,
             array_agg(DISTINCT seller_id ORDER BY seller_id) AS sellers
      FROM {ITEM_TABLE} GROUP BY order_id) c
JOIN dim_catset s ON s.categories = c.cats
"""

_MULTI_SELLERS = f"""
INSERT INTO {MULTI_SELLER_TABLE}
SELECT o.order_id, c.sellers, o.seq, o.n_sales, o.day, o.state, o.pay_types, o.days_late,
       o.review_sum, o.review_n, o.review_low
FROM {ORDER_TABLE} o JOIN t_cust_catset c ON c.order_id = o.order_id
WHERE cardinality(c.sellers) > 1
ORDER BY o.day
"""

_CAT_DAYS = f"""
INSERT INTO {CAT_DAY_TABLE}
SELECT c.catset_id, o.day, o.state, o.pay_types, {{sums}}
FROM {ORDER_TABLE} o JOIN t_cust_catset c ON c.order_id = o.order_id
GROUP BY c.catset_id, o.day, o.state, o.pay_types {_KEPT} ORDER BY 1, 2
"""

_CAT_PARTS = f"""
INSERT INTO {CAT_PART_TABLE}
SELECT c.catset_id, i.category, i.day, i.state, i.pay_types, sum(i.sales)
FROM {ITEM_TABLE} i JOIN t_cust_catset c ON c.order_id = i.order_id
WHERE c.several AND i.n_sales = 1
GROUP BY c.catset_id, i.category, i.day, i.state, i.pay_types HAVING sum(i.sales) <> 0
ORDER BY 1, 3
"""

#: Per seller, the sums over the orders with an item of theirs, `sales` being their
#: items' (one row per order and seller first: `cust_item` splits a seller's items by
#: category).
_SELLER_DAYS = f"""
INSERT INTO {SELLER_DAY_TABLE}
SELECT seller_id, day, state, pay_types, {{sums}}
FROM (SELECT seller_id, {", ".join(ORDER_FACTS)}, sum(sales) AS sales
      FROM {ITEM_TABLE} GROUP BY order_id, seller_id, {", ".join(ORDER_FACTS)}) p
GROUP BY seller_id, day, state, pay_types {_KEPT} ORDER BY 1, 2
"""


#: Per (seller, category), the sums over the orders with an item of both: one
#: `cust_item` row each, its `sales` those items'.
_SELLCAT_DAYS = f"""
INSERT INTO {SELLCAT_DAY_TABLE}
SELECT seller_id, category, day, state, pay_types, {{sums}}
FROM {ITEM_TABLE}
GROUP BY seller_id, category, day, state, pay_types {_KEPT} ORDER BY 1, 2, 3
"""

#: The orders of several `cust_item` rows: each row's (seller, category) at one index of
#: the two arrays.
_MULTI_PAIRS = f"""
INSERT INTO {MULTI_PAIR_TABLE}
SELECT order_id, array_agg(seller_id ORDER BY seller_id, category),
       array_agg(category ORDER BY seller_id, category), seq, n_sales, day, state,
       pay_types, days_late, review_sum, review_n, review_low
FROM {ITEM_TABLE}
GROUP BY order_id, seq, n_sales, day, state, pay_types, days_late, review_sum, review_n,
         review_low
HAVING count(*) > 1 ORDER BY day
"""


def rebuild(cur, category_sql: str) -> None:
    """Fill the (empty) tables in the caller's transaction, after the rollups' `dim_catset` and
    `t_cell` (their order facts, a temporary table of the same transaction).
    `category_sql` is the rollups' category expression (over `p` and `t`), passed in so
    that an item's category is written one way for every derived table."""
    cur.execute(_ORDERS)
    cur.execute(_items(category_sql))
    cur.execute(f"INSERT INTO {DAY_TABLE} SELECT day, state, pay_types, {day_sums_sql()} "
                f"FROM {ORDER_TABLE} GROUP BY day, state, pay_types {_KEPT} ORDER BY day")
    cur.execute(_ORDER_CATSETS)
    cur.execute(_CAT_DAYS.format(sums=day_sums_sql()))
    cur.execute(_CAT_PARTS)
    cur.execute(_SELLER_DAYS.format(sums=day_sums_sql()))
    cur.execute(_MULTI_SELLERS)
    cur.execute(_SELLCAT_DAYS.format(sums=day_sums_sql()))
    cur.execute(_MULTI_PAIRS)
    for day_table, month_table in MONTH_TABLES.items():
        dims = ", ".join(_CELL_DIMS[day_table])
        sums = ", ".join(f"sum({c})" for c in ("firsts", "singles", "single_sales",
                                               *LATE_COLUMNS))
        lead = ", ".join([*(str(i + 2) for i in range(_CELL_LEAD[day_table])), "1"])
        cur.execute(f"INSERT INTO {month_table} (day, {dims}, firsts, singles, single_sales, "
                    f"{', '.join(LATE_COLUMNS)}) SELECT date_trunc('month', day)::date, "
                    f"{dims}, {sums} FROM {day_table} GROUP BY 1, {dims} ORDER BY {lead}")
    cur.execute(_RETENTION)
    cur.execute(_STATE_RETENTION)
    cur.execute(_REPEATERS)
    cur.execute(_REPEATERS_BY_CATEGORY)
    for table in tables():
        cur.execute(f"ANALYZE {table}")
