"""Pre-aggregated tables: what keeps the dashboard fast at any number of orders.

Why these shapes (docs/ARCHITECTURE.md places them among the tiers):

* Every order is reduced to one *cell*: (purchase day, customer state, the SET
  of its item categories, the SET of its payment types, its status kind). A
  category filter then matches an order when its category set overlaps the
  selection (`dim_catset.categories && :selected`), so an order with two
  selected categories is still counted once: distinct order counts stay
  exact without keeping orders.
* Item sums per category (`agg_item`) carry the number of orders having that
  category, computed per order before summing, so category rows are exact too.
* Distinct customers are not additive. Customers with a single sales order in
  the whole dataset are counted inside the cells (`single_customers`); only
  the few who ordered more than once keep rows in `agg_repeat`. Of those, a
  customer who always buys from one state is counted in the cell of their
  first order (`repeat_firsts`) plus, when a range starts after that first
  order, once at their first order inside the range: the row whose previous
  order lies before the range (`prev_state_day`, found through a GiST index
  on the gap between the two). Only customers seen in several states, and
  views filtered by category or payment type, count `agg_repeat` rows
  distinctly. Under one category (or one payment type) the same count runs on
  `agg_repeat_by`: that category's rows alone, each with its own previous
  order, or, for a range from before every returning customer's first order (the
  whole history), on their sums by day and by month (`agg_repeat_by_day`,
  `agg_repeat_by_month`: whole months from the second, the range's edges from
  the first); several categories count `agg_repeat` rows distinctly.
* Repeat customers (two or more matching orders in the range, `repeat_rate`) come
  from the same reads: rows hold their number of orders (`n_orders`), so a
  distinct count adds them up per customer; and a single-state customer counted
  at their first row in the range repeats when the second order from that row
  (`second_day`) is in the range too. For those whose first order is in the
  range, that is "their second order is in the range": the cells count it
  (`repeat_seconds`, the customers whose second order the cell holds), and the
  crossing rows correct it for the others (`second_order`).
* Each fact exists at several levels, from all dimensions (`full`) down to a
  few (`lite`: without the category/payment sets; `cat`/`pay`: with only one
  of them; `nat`: items without the state; the items' `pay`: category and
  payment set without the state), and two grains (`d`: day, `m`:
  month). A query reads the smallest level holding what its filters need: a
  payment filter does not scan category sets, which multiply the rows most.
  Whole months come from `m`, the partial months at the edges of a range from
  `d`, so a 3-year range costs ~36 month rows per cell instead of ~1,100 days.
  Category sets are indexed, so one category reads its own rows only.
* A seller filter selects items, not orders, and sellers are many (thousands, against
  ~70 categories), so cells keyed by seller sets would not stay small. Instead
  `agg_seller_order` keeps one row per order x seller x category with the order's
  day, state, status kind, customer and order-level measures beside that seller's
  item sums in that category, stored and indexed by (seller_id, day): a seller-filtered
  view reads the selected sellers' rows only, and groups them by order, so distinct
  orders and customers, payments (once per order) and reviews stay exact. Its payment
  figures per type are arrays on the row (an order has one or two types), so the
  payment breakdown needs no other table.
* The seller breakdown (one row per seller, docs/METRICS.md "Sellers") would read every
  row of `agg_seller_order` without a seller filter. Its unit is the (seller, order)
  pair: a seller's orders, reviews, late parcels and statuses are counts of pairs, which
  add up. `agg_seller_pair` sums pairs by cell like the order facts: (day, seller_id,
  customer state, the SET of that seller's categories in the order (`dim_seller_catset`,
  not the order's set), the order's payment set), with the seller's item sums, the
  order's reviews, shipped/late (late: handed to the carrier after the latest shipping
  limit of ALL the seller's items in the order) for sales orders, and all/canceled pairs
  (status folded into measures, not a dimension: a seller's row needs them side by side).
  Levels `lite` (seller only), `state`, `cat`, `pay`, `statepay`, `full`; day and month
  grains; each table indexed on its filtered dimensions then day (a filter reads its
  rows only) and on (seller_id, day). A category filter keeps pairs whose category set
  meets the selection; their item sums count whole when the whole set is selected, and
  the rest (a seller with items of a selected and an unselected category in one order:
  8 of 100k demo pairs) come per category from `agg_seller_item`, one level.

Every table is derived from the live tables by `rebuild`, inside the load's
transaction: readers see the old rollups until the new data is committed. An append
updates them in place instead, for the orders it touches, with the same `fill`
(loaders/increment.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from . import customerfacts, listkeys, swap

log = logging.getLogger(__name__)

STAMP_PREFIX = "pulse-rollups:"
CATEGORY_SQL = (
    "coalesce(t.product_category_name_english, p.product_category_name, 'unknown')"
)


@dataclass(frozen=True)
class Fact:
    """An additive rollup: every measure is a plain sum over the full-level day table.

    `levels` run from the fewest dimensions to all of them (`full`, built from the
    raw tables; every other level is a GROUP BY of it). A query reads the first
    level holding every dimension its filters and grouping need, so a payment
    filter never scans the category sets and a category filter never scans the
    payment sets: each extra dimension multiplies the rows to read.
    """

    name: str
    levels: tuple[tuple[str, tuple[str, ...]], ...]
    measures: tuple[str, ...]

    def table(self, level: str, grain: str) -> str:
        return f"{self.name}_{level}_{grain}"

    def dims(self, level: str) -> tuple[str, ...]:
        return dict(self.levels)[level]

    @property
    def full_dims(self) -> tuple[str, ...]:
        return self.dims("full")

    def level_for(self, needs: set[str]) -> str:
        """The smallest level with every needed dimension."""
        return next(name for name, dims in self.levels if needs <= set(dims))

    def tables(self) -> list[tuple[str, str, str]]:
        return [(self.table(lv, g), lv, g) for lv, _ in self.levels for g in ("d", "m")]


ORDER = Fact(
    "agg_order",
    levels=(
        ("lite", ("state", "kind")),
        ("pay", ("state", "payset_id", "kind")),
        ("cat", ("state", "catset_id", "kind")),
        ("full", ("state", "catset_id", "payset_id", "kind")),
    ),
    measures=(
        "n_orders", "sales", "freight", "items", "payments", "review_sum", "review_n",
        "deliv_n", "ontime_n", "deliv_seconds", "single_customers", "repeat_firsts",
        "repeat_seconds",
    ),
)
ITEM = Fact(
    "agg_item",
    levels=(
        ("nat", ("category",)),
        ("lite", ("state", "category")),
        # the category breakdown under a payment filter alone: without the state, ~27
        # times fewer rows than `full` (at 10M orders it read ~100k month rows there)
        ("pay", ("category", "payset_id")),
        ("full", ("state", "category", "payset_id")),
    ),
    measures=("sales", "freight", "items", "n_orders"),
)
PAYMENT = Fact(
    "agg_payment",
    levels=(
        ("lite", ("state", "payment_type")),
        ("cat", ("state", "catset_id", "payment_type")),
        ("full", ("state", "catset_id", "payset_id", "payment_type")),
    ),
    measures=("n_rows", "n_orders", "value", "installments"),
)
FACTS = (ORDER, ITEM, PAYMENT)
#: The days after a repeat customer's previous order in that state, up to this one: a
#: range starting inside it counts the customer at this row (see the module docstring).
CROSSING = "daterange(prev_state_day, day, '(]')"
#: Dimensions a filter selects a few values of: indexed (with the day) where present.
SELECTIVE = ("catset_id", "category")

# Column types of the rollup tables (migration 0002 creates them with these).
COLUMN_TYPES = {
    "day": "date NOT NULL",
    "state": "text NOT NULL",
    "catset_id": "integer NOT NULL",
    "payset_id": "integer NOT NULL",
    "kind": "char(1) NOT NULL",
    "category": "text NOT NULL",
    "payment_type": "text NOT NULL",
    "sales": "numeric NOT NULL",
    "freight": "numeric NOT NULL",
    "payments": "numeric NOT NULL",
    "value": "numeric NOT NULL",
    "deliv_seconds": "numeric NOT NULL",
}
BIGINT = "bigint NOT NULL"


def ddl() -> list[str]:
    """CREATE statements for every rollup table (used once to write migration 0002)."""
    out = [
        "CREATE TABLE dim_catset (catset_id integer PRIMARY KEY, categories text[] NOT NULL)",
        "CREATE INDEX ix_dim_catset_categories ON dim_catset USING gin (categories)",
        "CREATE TABLE dim_payset (payset_id integer PRIMARY KEY, types text[] NOT NULL)",
        "CREATE INDEX ix_dim_payset_types ON dim_payset USING gin (types)",
        "CREATE TABLE agg_repeat (customer_key integer NOT NULL, first_day date NOT NULL, "
        "day date NOT NULL, state text NOT NULL, catset_id integer NOT NULL, "
        "payset_id integer NOT NULL, prev_state_day date, "
        "multi_state boolean NOT NULL DEFAULT false, n_orders integer NOT NULL DEFAULT 1, "
        "second_day date, second_order boolean NOT NULL DEFAULT false)",
        "CREATE INDEX ix_agg_repeat_day ON agg_repeat (day)",
        "CREATE INDEX ix_agg_repeat_multi ON agg_repeat (day) WHERE multi_state",
        "CREATE INDEX ix_agg_repeat_catset ON agg_repeat (catset_id, day)",
        "CREATE INDEX ix_agg_repeat_payset ON agg_repeat (payset_id, day)",
        f"CREATE INDEX ix_agg_repeat_cross ON agg_repeat USING gist ({CROSSING}) "
        "WHERE NOT multi_state AND prev_state_day IS NOT NULL",
        "CREATE TABLE agg_repeat_by (dim text NOT NULL, value text NOT NULL, "
        "customer_key integer NOT NULL, first_day date NOT NULL, day date NOT NULL, "
        "state text NOT NULL, prev_day date, multi_state boolean NOT NULL, "
        "n_orders integer NOT NULL DEFAULT 1, second_day date)",
        "CREATE INDEX ix_agg_repeat_by_value ON agg_repeat_by (dim, value, day)",
        # customers seen in several states are counted from their rows: a few of a
        # value's rows, which this finds without reading the others
        "CREATE INDEX ix_agg_repeat_by_multi ON agg_repeat_by (dim, value, day) "
        "WHERE multi_state",
        *repeat_by_day_ddl(),
        *seller_ddl(),
        *order_keys_ddl(),
        *listkeys.ddl(),
        *seller_facts_ddl(),
        *seller_multi_ddl(),
        f"CREATE TABLE {KEYS_TABLE} (next_customer_key integer NOT NULL)",
    ]
    for fact in FACTS:
        for table, level, _grain in fact.tables():
            cols = ["day", *fact.dims(level), *fact.measures]
            body = ", ".join(f"{c} {COLUMN_TYPES.get(c, BIGINT)}" for c in cols)
            out.append(f"CREATE TABLE {table} ({body})")
            out += index_ddl(fact, table, level)
    return out


def index_ddl(fact: Fact, table: str, level: str) -> list[str]:
    out = [f"CREATE INDEX ix_{table}_day ON {table} (day)"]
    for dim in SELECTIVE:
        if dim in fact.dims(level) and len(fact.dims(level)) > 1:
            out.append(f"CREATE INDEX ix_{table}_{dim} ON {table} ({dim}, day)")
    return out


def all_tables() -> list[str]:
    return ["dim_catset", "dim_payset", "dim_seller", "agg_repeat", "agg_repeat_by",
            REPEAT_BY_DAY, REPEAT_BY_MONTH, SELLER_TABLE, ORDER_KEYS_TABLE, *listkeys.TABLES,
            SELLER_CATSETS, KEYS_TABLE, SELLER_MULTI] + [
        t for fact in FACTS + SELLER_FACTS for t, _, _ in fact.tables()
    ]


#: The next customer key to give (one row): an append numbers its new customers from it,
#: after every key the derived tables hold (loaders/increment.py).
KEYS_TABLE = "derived_keys"


def new_sets_sql(table: str, id_column: str, column: str, source: str) -> str:
    """Number the sets of `source` (one array column) that `table` does not hold yet,
    after its highest id. On an empty table (a rebuild) that is every set in array
    order; an append (loaders/increment.py) adds only its new ones, keeping the ids the
    derived rows already carry."""
    return (f"INSERT INTO {table} ({id_column}, {column}) "
            f"SELECT (SELECT coalesce(max({id_column}), 0) FROM {table}) "
            f"+ row_number() OVER (ORDER BY s.v), s.v "
            f"FROM ({source} EXCEPT SELECT {column} FROM {table}) s(v)")


SELLER_TABLE = "agg_seller_order"
SELLER_MULTI = "agg_seller_multi"  # see SELLER_MULTI_COLUMNS
#: Columns of `agg_seller_order`: the order's (repeated on each of its seller x category
#: rows: a query groups by order and takes them once), then that seller's item sums in
#: that category. customer_key/first_day are NULL on orders that are not sales orders.
SELLER_COLUMNS = (
    ("seller_id", "text NOT NULL"), ("day", "date NOT NULL"), ("order_id", "text NOT NULL"),
    ("category", "text NOT NULL"), ("state", "text NOT NULL"), ("kind", "char(1) NOT NULL"),
    ("customer_key", "integer"), ("first_day", "date"),
    ("payments", "numeric NOT NULL"), ("review_sum", BIGINT), ("review_n", BIGINT),
    ("delivered", "boolean NOT NULL"), ("on_time", "boolean NOT NULL"),
    ("deliv_seconds", "numeric NOT NULL"),
    ("pay_types", "text[] NOT NULL"), ("pay_rows", "bigint[] NOT NULL"),
    ("pay_values", "numeric[] NOT NULL"), ("pay_installments", "bigint[] NOT NULL"),
    ("sales", "numeric NOT NULL"), ("freight", "numeric NOT NULL"), ("items", BIGINT),
    # the order list's other sort keys (as `order_keys` holds them), so a page under a
    # seller and a category sorts these rows instead of looking each order up (0027)
    ("purchased_at", "timestamp"), ("days_late", "integer"),
)


def seller_ddl() -> list[str]:
    """`dim_seller` is the sellers file's ids and states, copied at each load: what the
    `seller` filter is checked against, read by the fast path, which never reads a table
    a load swaps (docs/DEPLOY.md); `agg_seller_order` is the filter's facts."""
    body = ", ".join(f"{c} {t}" for c, t in SELLER_COLUMNS)
    return ["CREATE TABLE dim_seller (seller_id text PRIMARY KEY, state text)",
            f"CREATE TABLE {SELLER_TABLE} ({body})",
            f"CREATE INDEX ix_{SELLER_TABLE}_seller ON {SELLER_TABLE} (seller_id, day)"]


ORDER_KEYS_TABLE = "order_keys"
#: One row per order: what the order list filters and sorts by, so a page sorted by sales,
#: payments, review or lateness walks an index to its first rows instead of summing every
#: order of the list first (at 1M orders: ~27 s). `sales` is of all the order's items, so
#: it is the list's key only without a category or seller filter (queries/orders.py).
#: It also holds every other field of a row: an export of the whole list then reads one
#: table in the list's order, where joining orders, customers and the items' and reviews'
#: sums for it took ~36 s of a 1M-order export's ~70 s.
ORDER_KEYS_COLUMNS = (
    ("order_id", "text NOT NULL"), ("purchased_at", "timestamp NOT NULL"),
    ("state", "text NOT NULL"), ("kind", "char(1) NOT NULL"),
    ("catset_id", "integer NOT NULL"), ("payset_id", "integer NOT NULL"),
    ("sales", "numeric NOT NULL"), ("payments", "numeric NOT NULL"), ("review", "numeric"),
    ("days_late", "integer"), ("sellerset_id", "integer NOT NULL"),
    # the rest of a list row, for the whole-list CSV (queries/orders.py `export_sql`)
    ("customer_unique_id", "text NOT NULL"), ("status", "text NOT NULL"),
    ("items", "integer NOT NULL"), ("freight", "numeric NOT NULL"),
    ("review_sum", "bigint NOT NULL"), ("review_n", "integer NOT NULL"),
    ("delivered_at", "timestamp"), ("estimated_at", "timestamp"),
)
#: Index name -> columns: each sort key with the order id (the list's tie-break), in the
#: order the list reads it. Keys that can be NULL (no review, not delivered) list those
#: rows last in both directions, so they need an index per direction; the others are
#: read backwards for `desc`.
ORDER_KEYS_INDEXES = {
    "sales": "sales, order_id",
    "payments": "payments, order_id",
    "review": "review, order_id",
    "review_desc": "review DESC NULLS LAST, order_id DESC",
    "days_late": "days_late, order_id",
    "days_late_desc": "days_late DESC NULLS LAST, order_id DESC",
}


def order_keys_ddl() -> list[str]:
    body = ", ".join(f"{c} {t}" for c, t in ORDER_KEYS_COLUMNS)
    return [f"CREATE TABLE {ORDER_KEYS_TABLE} ({body})"] + [
        f"CREATE INDEX ix_{ORDER_KEYS_TABLE}_{name} ON {ORDER_KEYS_TABLE} ({columns})"
        for name, columns in ORDER_KEYS_INDEXES.items()
    ] + listkeys.order_keys_index_ddl(ORDER_KEYS_TABLE)


#: Stored by state, then purchase time: a list under a few states reads their rows of its
#: range from a few runs of pages, not one page per row across the range (at 10M, two
#: small states' half year: ~11k pages read from disk on a first page, 137-426 ms at p95).
#: An unfiltered walk in purchase order then visits a page per state, ~27 for a page.
_ORDER_KEYS = f"""
INSERT INTO {ORDER_KEYS_TABLE} ({", ".join(c for c, _ in ORDER_KEYS_COLUMNS)})
SELECT c.order_id, purchased_at, state, kind, catset_id, payset_id, sales, payments,
       review_sum::numeric / NULLIF(review_n, 0), days_late, s.sellerset_id,
       person, status, items, freight, review_sum, review_n, delivered_at, estimated_at
FROM t_cell c JOIN t_order_sellerset s ON s.order_id = c.order_id ORDER BY state, purchased_at
"""


#: How an append (loaders/increment.py) updates the tables that are not sums by cell:
#: rows of one order or one customer, found by these columns (an index's, then their
#: identity), and the sets, numbered by their id column.
ROW_TABLES = {
    "agg_repeat": ("day", "customer_key", "state", "catset_id", "payset_id"),
    "agg_repeat_by": ("dim", "value", "day", "customer_key", "state"),
    SELLER_TABLE: ("seller_id", "day", "order_id", "category"),
    ORDER_KEYS_TABLE: ("purchased_at", "order_id"),
    SELLER_MULTI: ("seller_id", "day", "order_id"),
    listkeys.PART_TABLE: ("dim", "value", "purchased_at", "order_id"),
}


# --- the seller breakdown's facts ----------------------------------------------------------

#: One row per (seller, order) pair, summed by cell: the pair's own measures (its item
#: sums, counted once per pair: `orders`), the order's reviews, whether the seller's parcel
#: left late, and the status counts. `catset_id` is the SET of that seller's categories in
#: the order (`dim_seller_catset`), not the order's: a category filter keeps a pair when
#: the seller has an item of the selection in the order.
SELLER_PAIR = Fact(
    "agg_seller_pair",
    levels=(
        ("lite", ("seller_id",)),
        ("state", ("seller_id", "state")),
        ("cat", ("seller_id", "catset_id")),
        ("pay", ("seller_id", "payset_id")),
        ("statepay", ("seller_id", "state", "payset_id")),
        ("full", ("seller_id", "state", "catset_id", "payset_id")),
    ),
    measures=("orders", "sales", "freight", "items", "review_sum", "review_n", "shipped",
              "late", "all_orders", "canceled", "payments", "deliv_n", "ontime_n",
              "deliv_seconds", "unavailable"),
)
#: The items of the (seller, order) pairs whose seller sold in SEVERAL categories in the
#: order, summed per category: a category filter counts a pair's item sums whole when all
#: of its categories are selected and nothing when none is; only pairs with some selected
#: and some not need their items per category, and those are few (in the demo data, 8 of
#: 100k pairs), so one level holds them.
SELLER_ITEM = Fact(
    "agg_seller_item",
    levels=(("full", ("seller_id", "catset_id", "category", "state", "payset_id")),),
    measures=("sales", "freight", "items"),
)
#: The payments of the pairs' sales orders per type: a seller filter's payment breakdown.
#: An order's payments are the whole order's, so each pair carries all of them (a view of
#: several sellers takes back the orders they share: `agg_seller_multi`).
SELLER_PAY = Fact(
    "agg_seller_payment",
    levels=(
        ("lite", ("seller_id", "payment_type")),
        ("state", ("seller_id", "state", "payment_type")),
        ("full", ("seller_id", "state", "catset_id", "payset_id", "payment_type")),
    ),
    measures=("n_rows", "n_orders", "value", "installments"),
)
SELLER_FACTS = (SELLER_PAIR, SELLER_ITEM, SELLER_PAY)
#: One row per (seller, order) of the orders with items of SEVERAL sellers, with the
#: order's own measures: summed over k selected sellers, the pair cells count such an
#: order k times, and a query takes it back k - 1 times from these rows (few: in the demo
#: data ~1% of orders). Stored by seller, then day, like `agg_seller_order`.
SELLER_MULTI_COLUMNS = (
    ("seller_id", 'text COLLATE "C" NOT NULL'), ("day", "date NOT NULL"),
    ("order_id", "text NOT NULL"), ("state", "text NOT NULL"),
    ("catset_id", "integer NOT NULL"), ("payset_id", "integer NOT NULL"),
    ("kind", "char(1) NOT NULL"), ("payments", "numeric NOT NULL"),
    ("review_sum", BIGINT), ("review_n", BIGINT), ("deliv_n", "integer NOT NULL"),
    ("ontime_n", "integer NOT NULL"), ("deliv_seconds", "numeric NOT NULL"),
    ("pay_types", "text[] NOT NULL"), ("pay_rows", "bigint[] NOT NULL"),
    ("pay_values", "numeric[] NOT NULL"), ("pay_installments", "bigint[] NOT NULL"),
)


def seller_multi_ddl() -> list[str]:
    body = ", ".join(f"{c} {t}" for c, t in SELLER_MULTI_COLUMNS)
    return [f"CREATE TABLE {SELLER_MULTI} ({body})",
            f"CREATE INDEX ix_{SELLER_MULTI}_seller ON {SELLER_MULTI} (seller_id, day)"]


SELLER_CATSETS = "dim_seller_catset"
#: The dimensions a seller fact's level is filtered by, in the order of its index: a level
#: is read only when its filters need every one of them (`Fact.level_for`), so one index
#: on them (then the day) finds exactly the filtered rows, and month rows are stored in
#: that order. Each table also has (seller_id, day), for seller filters.
SELLER_FILTERED = ("category", "catset_id", "state", "payset_id")


def seller_key(fact: Fact, level: str) -> list[str]:
    """The filtered dimensions of a seller fact's level (none for `lite`)."""
    return [d for d in SELLER_FILTERED if d in fact.dims(level)]


def seller_facts_ddl() -> list[str]:
    """`dim_seller_catset` and the seller breakdown's facts. Two indexes a table: its
    filtered dimensions (or the day alone) and the seller, each then the day. Seller ids
    compare bytewise ("C"): their indexes build and their rows sort several times faster
    than under a language collation, and the breakdown orders them bytewise anyway."""
    out = [f"CREATE TABLE {SELLER_CATSETS} (catset_id integer PRIMARY KEY, "
           "categories text[] NOT NULL)",
           f"CREATE INDEX ix_{SELLER_CATSETS}_categories ON {SELLER_CATSETS} "
           "USING gin (categories)"]
    for fact in SELLER_FACTS:
        for table, level, _grain in fact.tables():
            cols = ["day", *fact.dims(level), *fact.measures]
            body = ", ".join(f"{c} {SELLER_COLUMN_TYPES.get(c) or COLUMN_TYPES.get(c, BIGINT)}"
                             for c in cols)
            key = seller_key(fact, level)
            out += [f"CREATE TABLE {table} ({body})",
                    f"CREATE INDEX ix_{table}_{'_'.join(key) or 'day'} ON {table} "
                    f"({', '.join([*key, 'day'])})",
                    f"CREATE INDEX ix_{table}_seller ON {table} (seller_id, day)"]
    return out


SELLER_COLUMN_TYPES = {"seller_id": 'text COLLATE "C" NOT NULL'}


# Per (order, seller, category): that seller's items of the category in the order, and
# their latest shipping limit. Read by agg_seller_order and the seller facts.
_SELLER_ITEMS = f"""
CREATE TEMP TABLE t_seller_item ON COMMIT DROP AS
SELECT i.order_id, i.seller_id, {CATEGORY_SQL} AS category, sum(i.price) AS sales,
       sum(i.freight_value) AS freight, count(*) AS items,
       max(i.shipping_limit_date) AS ship_limit
FROM order_items i
JOIN products p ON p.product_id = i.product_id
LEFT JOIN product_category_name_translation t
       ON t.product_category_name = p.product_category_name
GROUP BY 1, 2, 3
"""

# Per (order, seller): the seller's categories in the order (sorted: the set's key), item
# sums, and the latest limit of ALL its items, which decides whether its parcel left late.
_SELLER_PAIRS = """
CREATE TEMP TABLE t_seller_pair ON COMMIT DROP AS
SELECT order_id, seller_id, array_agg(category ORDER BY category) AS cats,
       sum(sales) AS sales, sum(freight) AS freight, sum(items) AS items,
       max(ship_limit) AS ship_limit
FROM t_seller_item GROUP BY 1, 2
"""

_S = "FILTER (WHERE c.kind = 's')"
_SELLER_FULL_DAY = {
    "agg_seller_pair": f"""
        SELECT c.day, p.seller_id, c.state, d.catset_id, c.payset_id,
               count(*) {_S}, coalesce(sum(p.sales) {_S}, 0),
               coalesce(sum(p.freight) {_S}, 0), coalesce(sum(p.items) {_S}, 0),
               coalesce(sum(c.review_sum) {_S}, 0), coalesce(sum(c.review_n) {_S}, 0),
               count(*) FILTER (WHERE c.kind = 's' AND c.carrier IS NOT NULL),
               count(*) FILTER (WHERE c.kind = 's' AND c.carrier > p.ship_limit),
               count(*), count(*) FILTER (WHERE c.kind = 'c'),
               coalesce(sum(c.payments) {_S}, 0),
               count(*) FILTER (WHERE c.kind = 's' AND c.has_delivery),
               count(*) FILTER (WHERE c.kind = 's' AND c.has_delivery AND c.on_time),
               coalesce(sum(c.deliv_seconds) FILTER (WHERE c.kind = 's' AND c.has_delivery),
                        0),
               count(*) FILTER (WHERE c.kind = 'u')
        FROM t_seller_pair p
        JOIN t_cell c ON c.order_id = p.order_id
        JOIN {SELLER_CATSETS} d ON d.categories = p.cats
        GROUP BY 1, 2, 3, 4, 5""",
    "agg_seller_payment": f"""
        SELECT c.day, p.seller_id, c.state, d.catset_id, c.payset_id, t.type,
               sum(t.n_rows), count(*), sum(t.value), sum(t.installments)
        FROM t_seller_pair p
        JOIN t_cell c ON c.order_id = p.order_id AND c.kind = 's'
        JOIN {SELLER_CATSETS} d ON d.categories = p.cats
        JOIN t_paydetail pd ON pd.order_id = p.order_id
        CROSS JOIN LATERAL unnest(pd.types, pd.n_rows, pd.vals, pd.installments)
            AS t(type, n_rows, value, installments)
        GROUP BY 1, 2, 3, 4, 5, 6""",
    "agg_seller_item": f"""
        SELECT c.day, s.seller_id, d.catset_id, s.category, c.state, c.payset_id,
               sum(s.sales), sum(s.freight), sum(s.items)
        FROM (SELECT * FROM t_seller_pair WHERE cardinality(cats) > 1) p
        JOIN t_seller_item s ON s.order_id = p.order_id AND s.seller_id = p.seller_id
        JOIN {SELLER_CATSETS} d ON d.categories = p.cats
        JOIN t_cell c ON c.order_id = p.order_id AND c.kind = 's'
        GROUP BY 1, 2, 3, 4, 5, 6""",
}


def _rebuild_seller_facts(cur) -> None:
    """The seller breakdown's tables: the full level by day from the pairs, every other
    level and grain summed from it, like the other facts."""
    cur.execute(_SELLER_PAIRS)
    cur.execute(new_sets_sql(SELLER_CATSETS, "catset_id", "categories",
                             "SELECT cats FROM t_seller_pair"))
    for fact in SELLER_FACTS:
        _fill(cur, fact, _SELLER_FULL_DAY[fact.name], _seller_row_order)
    cur.execute(_SELLER_MULTI)


_SELLER_MULTI = f"""
INSERT INTO {SELLER_MULTI} ({", ".join(c for c, _ in SELLER_MULTI_COLUMNS)})
SELECT p.seller_id, c.day, c.order_id, c.state, d.catset_id, c.payset_id, c.kind,
       c.payments, c.review_sum, c.review_n, c.has_delivery::integer,
       (c.has_delivery AND coalesce(c.on_time, false))::integer,
       CASE WHEN c.has_delivery THEN c.deliv_seconds ELSE 0 END,
       coalesce(pd.types, '{{}}'), coalesce(pd.n_rows, '{{}}'), coalesce(pd.vals, '{{}}'),
       coalesce(pd.installments, '{{}}')
FROM t_seller_pair p
JOIN (SELECT order_id FROM t_seller_pair GROUP BY 1 HAVING count(*) > 1) m
     ON m.order_id = p.order_id
JOIN t_cell c ON c.order_id = p.order_id
JOIN {SELLER_CATSETS} d ON d.categories = p.cats
LEFT JOIN t_paydetail pd ON pd.order_id = p.order_id
ORDER BY p.seller_id COLLATE "C", c.day
"""


def _seller_row_order(fact: Fact, level: str, grain: str) -> str:
    key = seller_key(fact, level)
    return ", ".join([*key, "1"]) if grain == "m" else "1"


# --- the rebuild -------------------------------------------------------------

_ORDER_FACTS = f"""
CREATE TEMP TABLE t_order ON COMMIT DROP AS
WITH it AS (
    SELECT order_id, sum(price) AS sales, sum(freight_value) AS freight, count(*) AS items
    FROM order_items GROUP BY order_id
), cat AS (
    SELECT i.order_id, array_agg(DISTINCT {CATEGORY_SQL} ORDER BY {CATEGORY_SQL}) AS cats
    FROM order_items i
    JOIN products p ON p.product_id = i.product_id
    LEFT JOIN product_category_name_translation t
           ON t.product_category_name = p.product_category_name
    GROUP BY i.order_id
), pay AS (
    SELECT order_id, sum(payment_value) AS payments,
           array_agg(DISTINCT payment_type ORDER BY payment_type) AS types
    FROM order_payments GROUP BY order_id
), rev AS (
    SELECT order_id, sum(review_score) AS review_sum, count(*) AS review_n,
           count(*) FILTER (WHERE review_score <= 2) AS review_low
    FROM order_reviews GROUP BY order_id
)
SELECT o.order_id,
       o.order_purchase_timestamp::date AS day,
       o.order_purchase_timestamp AS purchased_at,
       o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date
           AS days_late,
       c.customer_state AS state,
       c.customer_unique_id AS person,
       CASE WHEN o.order_status = 'canceled' THEN 'c'
            WHEN o.order_status = 'unavailable' THEN 'u'
            WHEN it.order_id IS NULL THEN 'o'
            ELSE 's' END AS kind,
       coalesce(cat.cats, '{{}}') AS cats,
       coalesce(pay.types, '{{}}') AS types,
       coalesce(it.sales, 0) AS sales,
       coalesce(it.freight, 0) AS freight,
       coalesce(it.items, 0) AS items,
       coalesce(pay.payments, 0) AS payments,
       coalesce(rev.review_sum, 0) AS review_sum,
       coalesce(rev.review_n, 0) AS review_n,
       (o.order_delivered_customer_date IS NOT NULL
        AND o.order_estimated_delivery_date IS NOT NULL) AS has_delivery,
       (o.order_delivered_customer_date::date <= o.order_estimated_delivery_date::date)
           AS on_time,
       extract(epoch FROM o.order_delivered_customer_date - o.order_purchase_timestamp)
           AS deliv_seconds,
       o.order_delivered_carrier_date AS carrier,
       o.order_status AS status,
       o.order_delivered_customer_date AS delivered_at,
       o.order_estimated_delivery_date AS estimated_at,
       coalesce(rev.review_low, 0) AS review_low
FROM orders o
JOIN customers c ON c.customer_id = o.customer_id
LEFT JOIN it ON it.order_id = o.order_id
LEFT JOIN cat ON cat.order_id = o.order_id
LEFT JOIN pay ON pay.order_id = o.order_id
LEFT JOIN rev ON rev.order_id = o.order_id
"""

#: Customers who already have a key (an append's, loaders/increment.py; empty for a
#: rebuild): they keep it, and the others are numbered from `derived_keys` on, by id.
KNOWN_KEYS = "pulse_known_keys"
_PEOPLE = f"""
CREATE TEMP TABLE t_person ON COMMIT DROP AS
SELECT p.person,
       coalesce(k.customer_key,
                (SELECT coalesce(max(next_customer_key), 1) FROM {KEYS_TABLE}) - 1
                + row_number() OVER (PARTITION BY k.customer_key IS NULL
                                     ORDER BY p.person))::integer AS customer_key,
       p.n_sales, p.first_day
FROM (SELECT person, count(*) AS n_sales, min(day) AS first_day
      FROM t_order WHERE kind = 's' GROUP BY person) p
LEFT JOIN {KNOWN_KEYS} k ON k.person = p.person
"""
_NEXT_KEY = f"""
INSERT INTO {KEYS_TABLE}
SELECT greatest((SELECT coalesce(max(next_customer_key), 1) FROM {KEYS_TABLE}),
                (SELECT coalesce(max(customer_key), 0) + 1 FROM t_person));
DELETE FROM {KEYS_TABLE}
WHERE next_customer_key < (SELECT max(next_customer_key) FROM {KEYS_TABLE})
"""

_CELLS = """
CREATE TEMP TABLE t_cell ON COMMIT DROP AS
SELECT o.*, cs.catset_id, ps.payset_id, (pp.n_sales = 1) AS single,
       pp.customer_key, pp.n_sales, pp.first_day
FROM t_order o
JOIN dim_catset cs ON cs.categories = o.cats
JOIN dim_payset ps ON ps.types = o.types
LEFT JOIN t_person pp ON pp.person = o.person AND o.kind = 's'
"""

_FULL_DAY = {
    "agg_order": """
        SELECT c.*, coalesce(f.firsts, 0), coalesce(f.seconds, 0) FROM (
            SELECT day, state, catset_id, payset_id, kind,
                   count(*), sum(sales), sum(freight), sum(items), sum(payments),
                   sum(review_sum), sum(review_n),
                   count(*) FILTER (WHERE has_delivery),
                   count(*) FILTER (WHERE has_delivery AND on_time),
                   coalesce(sum(deliv_seconds) FILTER (WHERE has_delivery), 0),
                   count(*) FILTER (WHERE kind = 's' AND single)
            FROM t_cell GROUP BY day, state, catset_id, payset_id, kind
        ) c LEFT JOIN (
            SELECT day, state, catset_id, payset_id, 's'::char(1) AS kind,
                   count(*) FILTER (WHERE prev_state_day IS NULL) AS firsts,
                   count(*) FILTER (WHERE second_order) AS seconds
            FROM agg_repeat WHERE (prev_state_day IS NULL OR second_order) AND NOT multi_state
            GROUP BY day, state, catset_id, payset_id
        ) f USING (day, state, catset_id, payset_id, kind)""",
    "agg_item": f"""
        SELECT day, state, category, payset_id,
               sum(sales), sum(freight), sum(items), count(*)
        FROM (
            SELECT c.day, c.state, {CATEGORY_SQL} AS category, c.payset_id, i.order_id,
                   sum(i.price) AS sales, sum(i.freight_value) AS freight, count(*) AS items
            FROM order_items i
            JOIN t_cell c ON c.order_id = i.order_id AND c.kind = 's'
            JOIN products p ON p.product_id = i.product_id
            LEFT JOIN product_category_name_translation t
                   ON t.product_category_name = p.product_category_name
            GROUP BY 1, 2, 3, 4, 5
        ) per_order_category
        GROUP BY day, state, category, payset_id""",
    "agg_payment": """
        SELECT day, state, catset_id, payset_id, payment_type,
               sum(n_rows), count(*), sum(value), sum(installments)
        FROM (
            SELECT c.day, c.state, c.catset_id, c.payset_id, p.payment_type, p.order_id,
                   count(*) AS n_rows, sum(p.payment_value) AS value,
                   sum(p.payment_installments) AS installments
            FROM order_payments p
            JOIN t_cell c ON c.order_id = p.order_id AND c.kind = 's'
            GROUP BY 1, 2, 3, 4, 5, 6
        ) per_order_type
        GROUP BY day, state, catset_id, payset_id, payment_type""",
}


# Returning customers' rows: one per cell of their sales orders (orders of one day in one
# cell are one row, `n_orders` of them). Per customer and state, in order: the previous
# row's day; `second_day`, the day of the second order counted from this row's first (the
# row itself when it holds two, else the next row); `second_order`, whether this row holds
# the customer's second sales order in the state. A range counts a returning customer at
# their first row inside it, and `second_day` says whether a second one follows in range.
_REPEAT = """
INSERT INTO agg_repeat (customer_key, first_day, day, state, catset_id, payset_id,
                        prev_state_day, multi_state, n_orders, second_day, second_order)
SELECT customer_key, first_day, day, state, catset_id, payset_id, lag(day) OVER w,
       count(*) OVER (PARTITION BY customer_key)
           <> count(*) OVER (PARTITION BY customer_key, state),
       n, CASE WHEN n >= 2 THEN day ELSE lead(day) OVER w END,
       sum(n) OVER w - n < 2 AND sum(n) OVER w >= 2
FROM (SELECT customer_key, first_day, day, state, catset_id, payset_id, count(*) AS n
      FROM t_cell WHERE kind = 's' AND n_sales > 1
      GROUP BY customer_key, first_day, day, state, catset_id, payset_id) r
WINDOW w AS (PARTITION BY customer_key, state ORDER BY day, catset_id, payset_id
             ROWS UNBOUNDED PRECEDING)
ORDER BY day
"""

#: Per category (payment type), day and state: the single-state returning customers whose
#: first order of that value is that day (`firsts`: `agg_repeat_by` rows without a
#: previous day), and those whose second order of it is (`seconds`: the first rows by
#: their `second_day`). A range that starts before every returning customer's first order
#: (the default view: the whole history) counts them by adding these up, as
#: `repeat_firsts` and `repeat_seconds` do for date-only views, instead of reading the
#: value's rows (at 10M orders, ~1M rows for a payment type used by most orders).
REPEAT_BY_DAY = "agg_repeat_by_day"
#: The same sums by month (`day` is the month's first day): a range's whole months are
#: read from here and only its edges' days from `agg_repeat_by_day`, as the other rollups'
#: `_m` tables do (a payment type of most orders had ~75k day cells at 10M orders).
REPEAT_BY_MONTH = "agg_repeat_by_month"
REPEAT_BY_DAY_SUMS = {t: (("dim", "value", "day", "state"), ("firsts", "seconds"))
                      for t in (REPEAT_BY_DAY, REPEAT_BY_MONTH)}


def repeat_by_day_ddl() -> list[str]:
    return [stmt for table in (REPEAT_BY_DAY, REPEAT_BY_MONTH) for stmt in (
        f"CREATE TABLE {table} (dim text NOT NULL, value text NOT NULL, "
        "day date NOT NULL, state text NOT NULL, firsts integer NOT NULL, "
        "seconds integer NOT NULL)",
        f"CREATE INDEX ix_{table}_value ON {table} (dim, value, day)")]


_REPEAT_BY_DAY = f"""
INSERT INTO {REPEAT_BY_DAY} (dim, value, day, state, firsts, seconds)
SELECT dim, value, d, state, sum(f), sum(s)
FROM (SELECT dim, value, day AS d, state, 1 AS f, 0 AS s FROM agg_repeat_by
      WHERE prev_day IS NULL AND NOT multi_state
      UNION ALL
      SELECT dim, value, second_day, state, 0, 1 FROM agg_repeat_by
      WHERE prev_day IS NULL AND NOT multi_state AND second_day IS NOT NULL) x
GROUP BY dim, value, d, state
ORDER BY dim, value, d
"""

_REPEAT_BY_MONTH = f"""
INSERT INTO {REPEAT_BY_MONTH} (dim, value, day, state, firsts, seconds)
SELECT dim, value, date_trunc('month', day)::date, state, sum(firsts), sum(seconds)
FROM {REPEAT_BY_DAY} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3
"""

# The same rows per category (per payment type): a customer's orders of that value on a
# day are one row (`n_orders`), with the previous and second days among that value's rows.
_REPEAT_BY = """
INSERT INTO agg_repeat_by (dim, value, customer_key, first_day, day, state, prev_day,
                           multi_state, n_orders, second_day)
SELECT '{dim}', value, customer_key, first_day, day, state, lag(day) OVER w, multi_state,
       n, CASE WHEN n >= 2 THEN day ELSE lead(day) OVER w END
FROM (SELECT r.customer_key, r.first_day, r.day, r.state, r.multi_state, v.value,
             sum(r.n_orders) AS n
      FROM agg_repeat r JOIN {dim_table} d USING ({key})
      CROSS JOIN LATERAL unnest(d.{values}) AS v(value)
      GROUP BY 1, 2, 3, 4, 5, 6) x
WINDOW w AS (PARTITION BY customer_key, state, value ORDER BY day)
ORDER BY value, day
"""

# Per order, its payment figures by type as parallel arrays (types sorted).
_PAY_DETAIL = """
CREATE TEMP TABLE t_paydetail ON COMMIT DROP AS
SELECT order_id, array_agg(payment_type ORDER BY payment_type) AS types,
       array_agg(n_rows ORDER BY payment_type) AS n_rows,
       array_agg(value ORDER BY payment_type) AS vals,
       array_agg(installments ORDER BY payment_type) AS installments
FROM (SELECT order_id, payment_type, count(*) AS n_rows, sum(payment_value) AS value,
             sum(payment_installments)::bigint AS installments
      FROM order_payments GROUP BY 1, 2) x
GROUP BY order_id
"""

# Stored by seller (then day): a seller's rows sit together, so reading one seller's range
# touches its own pages only. Byte order ("C") groups them as well as the index's order
# does, and sorts several times faster than a language collation.
_SELLER_ORDERS = f"""
INSERT INTO {SELLER_TABLE} ({", ".join(c for c, _ in SELLER_COLUMNS)})
SELECT s.seller_id, c.day, c.order_id, s.category, c.state, c.kind, c.customer_key,
       c.first_day, c.payments, c.review_sum, c.review_n, c.has_delivery,
       c.has_delivery AND coalesce(c.on_time, false),
       CASE WHEN c.has_delivery THEN c.deliv_seconds ELSE 0 END,
       coalesce(pd.types, '{{}}'), coalesce(pd.n_rows, '{{}}'), coalesce(pd.vals, '{{}}'),
       coalesce(pd.installments, '{{}}'),
       s.sales, s.freight, s.items, c.purchased_at, c.days_late
FROM t_seller_item s
JOIN t_cell c ON c.order_id = s.order_id
LEFT JOIN t_paydetail pd ON pd.order_id = s.order_id
ORDER BY s.seller_id COLLATE "C", c.day
"""


class _Timed:
    """Logs each rebuild step's duration (DEBUG): where a slow load spends its time."""

    def __init__(self, cur) -> None:
        self.cur = cur

    def execute(self, sql: str, *args) -> None:
        t0 = time.perf_counter()
        self.cur.execute(sql, *args)
        log.debug("rollups: %.2fs %s", time.perf_counter() - t0, " ".join(sql.split())[:90])


def rebuild(cur, publication: swap.Publication | None = None) -> None:
    """Rebuild every derived table from the live tables, in the caller's transaction.

    The tables are filled aside, unindexed, and published with `publication` (a load's,
    beside its new raw tables, which the rebuild then reads) or, without one, at once:
    readers keep the old tables until the caller commits (`loaders.swap`)."""
    own = publication is None
    publication = publication or swap.Publication(cur)
    timed = _Timed(cur)
    # One pass over big tables: parallel workers would each redo the per-order
    # aggregates below, and small work_mem would spill every sort to disk.
    timed.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    timed.execute("SET LOCAL work_mem = '256MB'")
    timed.execute("SET LOCAL maintenance_work_mem = '512MB'")  # the indexes, built at the end
    publication.rebuild_aside(all_tables() + customerfacts.tables())
    fill(timed)
    if own:
        publication.publish()
    # record which code built them: a release with other rollup code rebuilds (pulse db refresh)
    timed.execute(f"COMMENT ON TABLE {swap.GATE} IS '{STAMP_PREFIX}{fingerprint()}'")


def fill(cur) -> None:
    """Fill the derived tables `search_path` finds from the raw tables it finds: a
    rebuild's (empty tables, every order) or an append's (its touched orders alone, beside
    the live sets and keys: loaders/increment.py). The caller's transaction; its
    temporary tables (`t_*`) stay until it ends or `drop_temporary` drops them."""
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {KNOWN_KEYS} (person text PRIMARY KEY, "
                "customer_key integer NOT NULL) ON COMMIT DROP")
    _fill_all(cur)


#: The temporary tables `fill` leaves, which a second fill in the transaction recreates.
TEMPORARY = ("t_order", "t_person", "t_cell", "t_seller_item", "t_paydetail", "t_sellers",
             "t_order_sellerset", "t_seller_pair", "t_cust_catset")


def drop_temporary(cur) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY)}")


def _fill_all(cur) -> None:
    cur.execute(_ORDER_FACTS)
    cur.execute(new_sets_sql("dim_catset", "catset_id", "categories",
                             "SELECT cats FROM t_order"))
    cur.execute(new_sets_sql("dim_payset", "payset_id", "types", "SELECT types FROM t_order"))
    cur.execute(_PEOPLE)
    cur.execute(_NEXT_KEY)
    cur.execute("CREATE INDEX ON t_person (person)")
    cur.execute(_CELLS)
    # t_cell holds all of both: at 10M orders they are ~4 GB of temporary space kept to
    # the end of the transaction for nothing
    cur.execute("DROP TABLE t_order, t_person")
    cur.execute("ANALYZE t_cell")
    cur.execute(_REPEAT)
    for dim, dim_table, key, values in (("category", "dim_catset", "catset_id", "categories"),
                                        ("payment_type", "dim_payset", "payset_id", "types")):
        cur.execute(_REPEAT_BY.format(dim=dim, dim_table=dim_table, key=key, values=values))
    cur.execute(_REPEAT_BY_DAY)
    cur.execute(_REPEAT_BY_MONTH)
    cur.execute("INSERT INTO dim_seller (seller_id, state) "
                "SELECT seller_id, seller_state FROM sellers ORDER BY 1")
    cur.execute(_SELLER_ITEMS)
    cur.execute(_PAY_DETAIL)
    cur.execute("ANALYZE t_paydetail")  # unanalysed, it was merge-joined after two sorts
    cur.execute(_SELLER_ORDERS)
    listkeys.rebuild_sellersets(cur)
    cur.execute(_ORDER_KEYS)
    listkeys.rebuild_parts(cur)
    _rebuild_seller_facts(cur)
    for fact in FACTS:
        _fill(cur, fact, _FULL_DAY[fact.name], _row_order)
    for table in all_tables():
        cur.execute(f"ANALYZE {table}")
    customerfacts.rebuild(cur, CATEGORY_SQL)  # customers, retention, lateness


def _fill(cur, fact: Fact, full_day_sql: str, row_order) -> None:
    """A fact's tables: the full level by day from `full_day_sql`, then each level's days
    from the full days and its months from its own days (`row_order` says how each is
    stored)."""
    full_d = fact.table("full", "d")
    cols = ", ".join(["day", *fact.full_dims, *fact.measures])
    cur.execute(f"INSERT INTO {full_d} ({cols}) {full_day_sql} ORDER BY day")
    sums = ", ".join(f"sum({m})" for m in fact.measures)
    for table, level, grain in fact.tables():
        if table == full_d:
            continue
        dims = ", ".join(fact.dims(level))
        source = full_d if grain == "d" else fact.table(level, "d")
        day = "date_trunc('month', day)::date" if grain == "m" else "day"
        cur.execute(
            f"INSERT INTO {table} (day, {dims}, {', '.join(fact.measures)}) "
            f"SELECT {day}, {dims}, {sums} FROM {source} "
            f"GROUP BY 1, {dims} ORDER BY {row_order(fact, level, grain)}"
        )


def _row_order(fact: Fact, level: str, grain: str) -> str:
    """Month rows are stored by their selective dimension, day rows by day: a category
    filter reads months through the (catset_id, day) index and then touches few pages,
    while a range edge reads a few days."""
    dims = fact.dims(level)
    selective = [d for d in SELECTIVE if d in dims and len(dims) > 1]
    return f"{selective[0]}, 1" if grain == "m" and selective else "1"


def fingerprint() -> str:
    """Identifies the code that builds the derived tables: a new one means a rebuild is due."""
    import hashlib
    import inspect
    import sys

    code = "".join(inspect.getsource(m) for m in (sys.modules[__name__], customerfacts,
                                                        listkeys))
    return hashlib.sha256(code.encode()).hexdigest()[:16]
