"""Customers, retention and lateness (docs/METRICS.md, "Customers and retention",
"Delivery and reviews"): cohorts, recency/frequency segments, reviews by lateness.

Every answer is computed from two row sets of a window of days. `m`: the matching sales
orders, each with its customer's facts (`seq`: its rank among the customer's sales
orders in the whole dataset, 1 being the first order; `n_sales`: how many they have;
`first_day`). `d`: per day, sums over those orders (first orders; customers whose only
sales order it is, and their sales; lateness per bucket). A customer with one sales
order in the whole dataset needs no grouping (their one order is their first, their
last and their only one), so they are counted from `d`, and only the few with
`n_sales > 1` are read from `m` and grouped by customer. Both come from one of two
sources, and the aggregations over them are the same SQL:

* `raw`: straight from the raw tables, ranking every customer's orders at query time
  and summing `d` from `m`: the reference, obviously right and slow.
* `fast`: from the tables `loaders/customerfacts.py` builds at load: `m` from
  `cust_order` (or, under a category or seller filter, `cust_item`), `d` from
  `cust_day` (or summed from `m` under those filters); with only dates filtering, the
  repeat customers' retention comes counted from `cust_retention`.

Tests hold the two equal to each other and to a plain Python reference, for random
filters.

Filters select orders as everywhere else: state/region and payment type select whole
orders; category and seller select items (an order matches when one item is in a
selected category AND sold by a selected seller), and `sales` takes only those items.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from loaders.customerfacts import (
    BUCKETS,
    CAT_DAY_TABLE,
    CAT_PART_TABLE,
    DAY_TABLE,
    ITEM_TABLE,
    LATE_COLUMNS,
    MONTH_TABLES,
    ORDER_TABLE,
    REPEAT_CAT_TABLE,
    REPEAT_TABLE,
    RETENTION_TABLE,
    STATE_RETENTION_TABLE,
    day_sums_sql,
    seller_cells,
    shared_count_sql,
)

from ..filters import Filters
from .raw import CATEGORY

PATHS = ("fast", "raw")
SEGMENTS = ("loyal", "at_risk", "new", "one_time", "lost")
__all__ = ["BUCKETS", "PATHS", "SEGMENTS", "cohorts", "lateness", "segments", "source"]
#: A customer's segment from `f` (orders in the range) and `r` (days since the last).
SEGMENT_SQL = """CASE WHEN f >= 2 AND r <= 180 THEN 'loyal'
    WHEN f >= 2 THEN 'at_risk'
    WHEN r <= 90 THEN 'new'
    WHEN r <= 365 THEN 'one_time'
    ELSE 'lost' END"""
#: Per segment, the condition on (`f`, `r`) that SEGMENT_SQL gives it.
SEGMENT_WHERE = {"loyal": "f >= 2 AND r <= 180", "at_risk": "f >= 2 AND r > 180",
                 "new": "f = 1 AND r <= 90", "one_time": "f = 1 AND r > 90 AND r <= 365",
                 "lost": "f = 1 AND r > 365"}
#: The per-day sums every figure but the customer list starts from (`d`), by name.
DAY_SUMS = ("firsts", "singles", "single_sales", *LATE_COLUMNS)
#: Those that cohorts and lateness read, which need no day (only whole months).
MONTH_SUMS = ("firsts", *LATE_COLUMNS)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# --- the matching orders: two sources of one shape ----------------------------------------


def _item_condition(filters: Filters, params: dict[str, Any], category: str,
                    seller: str) -> str:
    """The condition an item must meet to be counted (both filters on the same item)."""
    where = []
    if filters.categories:
        where.append(f"{category} = ANY(:cats)")
        params["cats"] = list(filters.categories)
    if filters.sellers:
        where.append(f"{seller} = ANY(:sellers)")
        params["sellers"] = list(filters.sellers)
    return " AND ".join(where) or "TRUE"


def _raw_source(filters: Filters, params: dict[str, Any], reviews: bool) -> str:
    """`m` from the raw tables: rank and count each customer's sales orders over the
    whole dataset first (`sale`), then keep the window's matching orders."""
    items = _item_condition(filters, params, CATEGORY, "i.seller_id")
    where = ["s.day BETWEEN :lo AND :hi"]
    if filters.effective_states() is not None:
        where.append("s.state = ANY(:states)")
        params["states"] = list(filters.effective_states() or ())
    if filters.payment_types:
        where.append("EXISTS (SELECT 1 FROM order_payments q WHERE q.order_id = s.order_id "
                     "AND q.payment_type = ANY(:pays))")
        params["pays"] = list(filters.payment_types)
    products = ("""JOIN products p ON p.product_id = i.product_id
        LEFT JOIN product_category_name_translation t
               ON t.product_category_name = p.product_category_name"""
                if filters.categories else "")
    review_cols, review_join = ("0 AS review_sum, 0 AS review_n, 0 AS review_low", "")
    if reviews:
        review_cols = ("coalesce(rv.review_sum, 0) AS review_sum, "
                       "coalesce(rv.review_n, 0) AS review_n, "
                       "coalesce(rv.review_low, 0) AS review_low")
        review_join = """LEFT JOIN (SELECT order_id, sum(review_score) AS review_sum,
                count(*) AS review_n, count(*) FILTER (WHERE review_score <= 2) AS review_low
            FROM order_reviews GROUP BY order_id) rv ON rv.order_id = s.order_id"""
    return f"""
    sale AS MATERIALIZED (
        SELECT o.order_id, c.customer_unique_id AS person,
               o.order_purchase_timestamp::date AS day, c.customer_state AS state,
               o.order_delivered_customer_date::date
                   - o.order_estimated_delivery_date::date AS days_late,
               row_number() OVER (PARTITION BY c.customer_unique_id
                                  ORDER BY o.order_purchase_timestamp,
                                           o.order_id COLLATE "C") AS seq,
               count(*) OVER (PARTITION BY c.customer_unique_id) AS n_sales,
               min(o.order_purchase_timestamp::date)
                   OVER (PARTITION BY c.customer_unique_id) AS first_day
        FROM orders o JOIN customers c ON c.customer_id = o.customer_id
        WHERE o.order_status NOT IN ('canceled', 'unavailable')
          AND EXISTS (SELECT 1 FROM order_items x WHERE x.order_id = o.order_id)
    ),
    m AS MATERIALIZED (
        SELECT s.order_id, s.person, s.seq, s.n_sales, s.first_day, s.day, s.state,
               k.sales, s.days_late, {review_cols}
        FROM sale s
        JOIN (SELECT i.order_id, sum(i.price) AS sales FROM order_items i {products}
              WHERE {items} GROUP BY i.order_id) k ON k.order_id = s.order_id
        {review_join}
        WHERE {' AND '.join(where)}
    ),{_DAYS_FROM_M}"""


#: `d` from the matching orders themselves: the sums `cust_day` holds, per day.
_DAYS_FROM_M = f"""
    d AS NOT MATERIALIZED (SELECT day, {day_sums_sql()} FROM m GROUP BY day)"""


def _fast_source(filters: Filters, params: dict[str, Any], repeat_only: bool,
                 months: bool) -> str:
    """`m` from `cust_order`; under a category or seller filter from `cust_item` alone,
    whose rows carry their order's facts: the selected items' rows, summed per order.
    With `repeat_only` (the caller reads `m`'s repeat customers only, the rest from `d`)
    a category or seller filter reads `d` from cells (`cust_day_cat`, `cust_day_seller`,
    or for both `cust_day_sellcat`). With `months`, `d` has a row per whole month too
    (see `source`)."""
    where = ["f.day BETWEEN :lo AND :hi"]
    rest: list[str] = []  # the filters on a cell's dimensions
    if filters.effective_states() is not None:
        rest.append("f.state = ANY(:states)")
        params["states"] = list(filters.effective_states() or ())
    if filters.payment_types:
        rest.append("f.pay_types && CAST(:pays AS text[])")
        params["pays"] = list(filters.payment_types)
    where += rest
    cells = _Cells(rest, months)
    facts = "f.order_id, f.person, f.seq, f.n_sales, f.first_day, f.day, f.state"
    reviews = "f.days_late, f.review_sum, f.review_n, f.review_low"
    if repeat_only and (filters.categories or filters.sellers):
        days = _seller_days(cells, filters) if filters.sellers else _category_days(cells)
        where.append(_item_condition(filters, params, "f.category", "f.seller_id"))
        return f"""
    m AS MATERIALIZED (
        SELECT {facts}, sum(f.sales) AS sales, {reviews}
        FROM cust_item f WHERE {' AND '.join(where)} AND f.n_sales > 1
        GROUP BY {facts}, {reviews}
    ),{days}"""
    if filters.categories or filters.sellers:
        where.append(_item_condition(filters, params, "f.category", "f.seller_id"))
        # computed once: the few orders with a counted item
        return f"""
    m AS MATERIALIZED (
        SELECT {facts}, sum(f.sales) AS sales, {reviews}
        FROM cust_item f WHERE {' AND '.join(where)}
        GROUP BY {facts}, {reviews}
    ),{_DAYS_FROM_M}"""
    # `m` and `d` are inlined where used: each use keeps only its rows (`n_sales > 1`,
    # through a partial index) and computes only its columns (a cohort only `firsts`).
    # The day sums come from `cust_day`.
    return f"""
    m AS NOT MATERIALIZED (
        SELECT {facts}, f.sales, {reviews}, f.multi_state
        FROM cust_order f WHERE {' AND '.join(where)}
    ),
    d AS NOT MATERIALIZED (
        SELECT day, {cells.sums} FROM ({cells.rows(DAY_TABLE, cells.columns)}) x
        GROUP BY day
    )"""


class _Cells:
    """Rows of a day-sums table in the window and under the filters on its dimensions
    (`rest`); with `months`, whole months from its month twin and only the partial
    months at the window's edges from the days, and only the columns that need no day
    (MONTH_SUMS)."""

    def __init__(self, rest: list[str], months: bool) -> None:
        self.cond = "".join(f" AND {c}" for c in rest)
        self.months = months
        self.names = MONTH_SUMS if months else DAY_SUMS
        self.columns = ", ".join(self.names)
        self.sums = ", ".join(f"sum({c}) AS {c}" for c in self.names)

    def key(self, day: str) -> str:
        """The row a day's sums belong to: its month's when that month is whole."""
        if not self.months:
            return day
        return (f"CASE WHEN {day} BETWEEN :month_lo AND :month_end "
                f"THEN date_trunc('month', {day})::date ELSE {day} END")

    def rows(self, table: str, columns: str, where: str = "TRUE") -> str:
        days = f"""SELECT f.day, {columns} FROM {table} f
            WHERE {where} AND f.day BETWEEN :lo AND :hi{self.cond}"""
        if not self.months:
            return days
        return f"""{days} AND NOT f.day BETWEEN :month_lo AND :month_end
            UNION ALL
            SELECT f.day, {columns} FROM {MONTH_TABLES[table]} f
            WHERE {where} AND f.day BETWEEN :month_lo AND :month_hi{self.cond}"""


def _seller_days(cells: _Cells, filters: Filters) -> str:
    """`d` under a seller filter: the selected sellers' cells (with a category filter
    too, their (seller, category) cells), their items' sales. An order with items of k
    of the selected cells is in k of them: each such order (`cust_multiseller`, or
    `cust_multipair`) takes its counts back k - 1 times, in the row of its day or whole
    month (so that every row of `d` holds true sums)."""
    pairs = bool(filters.categories)
    table, shared, overlap = seller_cells(pairs, len(filters.sellers))
    selected = "f.seller_id = ANY(:sellers)" + (" AND f.category = ANY(:cats)" if pairs
                                                 else "")
    several = len(filters.sellers) * (len(filters.categories) if pairs else 1) > 1
    correction = "" if not several else f"""
            UNION ALL
            SELECT {cells.key("day")}, {cells.columns} FROM (
                SELECT day, {day_sums_sql(weight="(1 - k)")} FROM (
                    SELECT f.*, 0 AS sales, {shared_count_sql(pairs)} AS k
                    FROM {shared} f
                    WHERE {overlap} AND f.day BETWEEN :lo AND :hi{cells.cond}) f
                WHERE k > 1 GROUP BY day) c"""
    rows = cells.rows(table, cells.columns, selected)
    return f"""
    d AS NOT MATERIALIZED (
        SELECT day, {cells.sums} FROM ({rows}{correction}) x GROUP BY day
    )"""


def _category_days(cells: _Cells) -> str:
    """`d` under a category filter: the cells whose order category set meets the
    selection, each order once. One-order customers' sales count whole where the whole
    set is selected, and per selected category where only a part of it is."""
    sets = "ARRAY(SELECT catset_id FROM dim_catset WHERE categories && CAST(:cats AS text[])"
    counts = ", ".join(c for c in cells.names if c != "single_sales")
    selected = f"f.catset_id = ANY({sets}))"
    if "single_sales" not in cells.names:  # whole months: no sales read
        rows = cells.rows(CAT_DAY_TABLE, counts, selected)
    else:
        whole = (f"CASE WHEN f.catset_id = ANY({sets} AND categories <@ CAST(:cats AS text[])))"
                 " THEN f.single_sales ELSE 0 END AS single_sales")
        zeros = ", ".join(f"0 AS {c}" for c in cells.names if c != "single_sales")
        part = (f"f.catset_id = ANY({sets} AND NOT categories <@ CAST(:cats AS text[])))"
                " AND f.category = ANY(:cats)")
        rows = (cells.rows(CAT_DAY_TABLE, f"{counts}, {whole}", selected) + "\n UNION ALL "
                + cells.rows(CAT_PART_TABLE, f"{zeros}, f.single_sales", part))
    return f"""
    d AS NOT MATERIALIZED (
        SELECT day, {cells.sums} FROM ({rows}) x GROUP BY day
    )"""


def _month_params(lo: date, hi: date) -> dict[str, date]:
    """The whole months of [lo, hi]: the first one's first day, the last one's first and
    last days (none: an empty span, which every day of the window falls outside)."""
    first = lo if lo.day == 1 else next_month(lo)
    end = next_month(hi) - timedelta(days=1)
    last_end = hi if hi == end else month_start(hi) - timedelta(days=1)
    if first > last_end:
        return {"month_lo": hi + timedelta(days=1), "month_hi": lo, "month_end": lo}
    return {"month_lo": first, "month_hi": month_start(last_end), "month_end": last_end}


def source(filters: Filters, lo: date, hi: date, path: str = "fast",
           reviews: bool = False, repeat_only: bool = False,
           months: bool = False) -> tuple[str, dict[str, Any]]:
    """(`WITH ...` defining `m` and `d`, params): `m` the matching sales orders bought in
    [lo, hi], `d` their sums per day (DAY_SUMS: first orders, one-order customers and
    their sales, lateness). `reviews`: the raw path reads the review sums only when
    asked (the fast one has them on every row). `repeat_only`: the caller reads from `m`
    only the rows of customers with several sales orders (`n_sales > 1`), so `m` may
    hold only those. `months`: the caller needs no day in `d` (it sums whole months or
    the window), so `d` may hold a row per whole month (on its first day) and only the
    MONTH_SUMS columns."""
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}, got {path!r}")
    params: dict[str, Any] = {"lo": lo, "hi": hi, **_month_params(lo, hi)}
    body = (_fast_source(filters, params, repeat_only, months) if path == "fast"
            else _raw_source(filters, params, reviews))
    return f"WITH {body}", params


def _narrowed(filters: Filters) -> bool:
    """Whether any filter but the dates applies."""
    return bool(filters.effective_states() is not None or filters.categories
                or filters.payment_types or filters.sellers)


def _states_only(filters: Filters) -> bool:
    """Whether states (a region) are the only filter but the dates."""
    return filters.effective_states() is not None and not (
        filters.categories or filters.payment_types or filters.sellers)


def _one_category_only(filters: Filters) -> bool:
    """Whether one category is the only filter but the dates."""
    return len(filters.categories) == 1 and filters.effective_states() is None and not (
        filters.payment_types or filters.sellers)


def _plans(conn: Connection, path: str) -> None:
    """In-memory sorts; and on the raw path hash joins for its whole-table work (see
    queries/raw.py). The fast path keeps nested loops: a seller's few orders are found
    through the indexes of `cust_item` and `cust_order`."""
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    if path == "raw":
        conn.execute(text("SET LOCAL enable_nestloop = off"))


# --- cohorts -------------------------------------------------------------------------------


def _later_from_rows(multi_state_only: bool = False) -> str:
    """(cohort, month, active) of the repeat customers in `m` (only those with orders in
    several states: `multi_state_only`): each one's months after their cohort's with a
    matching later order, from their order rows."""
    who = "m.multi_state" if multi_state_only else "TRUE"
    return f"""SELECT cohort, month, count(*) FROM (
        SELECT DISTINCT b.cohort, date_trunc('month', m.day::timestamp)::date AS month,
               m.person COLLATE "C"
        FROM m JOIN (SELECT person, date_trunc('month', day::timestamp)::date AS cohort
                     FROM m WHERE seq = 1 AND n_sales > 1 AND {who}) b
          ON b.person COLLATE "C" = m.person COLLATE "C"
        WHERE m.seq > 1 AND m.n_sales > 1 AND {who}
          AND m.day >= (b.cohort + interval '1 month')::date) x
        GROUP BY cohort, month"""


def cohorts(conn: Connection, filters: Filters, path: str = "fast") -> list[dict[str, Any]]:
    """Cohorts of the months of [start, end] with their retention per month offset.

    A member's first order is in its cohort month and matches, so it is active at k = 0
    and `size` is counted there (per day, summed into months here: a few hundred rows,
    not one per customer); a later month's activity can only come from a later order
    (`seq > 1`), hence only customers with several sales orders are grouped."""
    assert filters.start and filters.end, "resolve() the filters first"
    lo, after = month_start(filters.start), next_month(filters.end)
    ctes, params = source(filters, lo, after - timedelta(days=1), path, repeat_only=True,
                          months=True)
    _plans(conn, path)
    later = _later_from_rows()
    if path == "fast" and not _narrowed(filters):  # counted at load, for all customers
        later = f"""SELECT cohort, month, active FROM {RETENTION_TABLE}
            WHERE cohort >= :lo AND month <= :hi"""
    elif path == "fast" and _states_only(filters):  # per state at load, but for the few
        later = f"""SELECT cohort, month, active FROM {STATE_RETENTION_TABLE}
            WHERE state = ANY(:states) AND cohort >= :lo AND month <= :hi
            UNION ALL {_later_from_rows(multi_state_only=True)}"""
    rows = conn.execute(text(f"""{ctes}
    SELECT day, NULL::date, firsts FROM d WHERE firsts > 0
    UNION ALL
    {later}"""), params).all()
    active: dict[date, dict[int, int]] = {}
    for first, month, n in rows:
        cohort = month_start(first)
        k = 0 if month is None else \
            (month.year - cohort.year) * 12 + month.month - cohort.month
        counts = active.setdefault(cohort, {})
        counts[k] = counts.get(k, 0) + int(n)
    out = []
    for cohort in sorted(active):
        size = active[cohort][0]
        last = (filters.end.year - cohort.year) * 12 + filters.end.month - cohort.month
        out.append({"cohort": cohort.strftime("%Y-%m"), "size": size, "retention": [
            {"k": k, "active": active[cohort].get(k, 0),
             "retention": active[cohort].get(k, 0) / size} for k in range(last + 1)]})
    return out


# --- segments ------------------------------------------------------------------------------

#: One row per customer with a matching sales order in the window: `f` orders, `r` days
#: from the last to :end, `sales`, the state of the last one, their first order's day.
PER_CUSTOMER = """,
    per AS (
        SELECT person, 1 AS f, :end - day AS r, sales, day AS last_day, state, first_day
        FROM m WHERE n_sales = 1
        UNION ALL
        SELECT person, count(*), :end - max(day), sum(sales), max(day),
               (array_agg(state ORDER BY seq DESC))[1], min(first_day)
        FROM m WHERE n_sales > 1 GROUP BY person
    )"""


#: Repeat customers: each one's orders in the window, grouped (bytes: no locale rules).
_REPEATERS = """
        SELECT 1, count(*), :end - max(day), sum(sales)
        FROM m WHERE n_sales > 1 GROUP BY person COLLATE "C"
"""
#: The same under dates alone (`:hi` is `:end`): a customer whose every sales order lies
#: in the window is their `cust_repeat` row; only those cut by an edge are grouped. The
#: rows are counted per (orders, last day), all a segment needs of them: at 10M orders
#: ~325k customers, one `per` row each, took ~150 ms to classify.
_WHOLE_REPEATERS = f"""
        SELECT count(*), n_sales, :end - last_day, sum(sales) FROM {REPEAT_TABLE}
        WHERE first_day >= :lo AND last_day <= :hi GROUP BY n_sales, last_day
        UNION ALL
        SELECT 1, count(*), :end - max(day), sum(sales) FROM {ORDER_TABLE}
        WHERE n_sales > 1 AND day BETWEEN :lo AND :hi
          AND (first_day < :lo OR last_day > :hi)
        GROUP BY person COLLATE "C"
"""


#: The same under states alone: a customer of one state is their row when that state is
#: selected; those of several states are grouped from their orders in the selected ones.
_STATE_REPEATERS = f"""
        SELECT count(*), n_sales, :end - last_day, sum(sales) FROM {REPEAT_TABLE}
        WHERE state = ANY(:states) AND first_day >= :lo AND last_day <= :hi
        GROUP BY n_sales, last_day
        UNION ALL
        SELECT 1, count(*), :end - max(day), sum(sales) FROM {ORDER_TABLE}
        WHERE n_sales > 1 AND day BETWEEN :lo AND :hi AND state = ANY(:states)
          AND (first_day < :lo OR last_day > :hi OR multi_state)
        GROUP BY person COLLATE "C"
"""


#: The same under one category alone: a customer whose orders with an item of it all lie
#: in the window is their `cust_repeat_cat` row; the others with such an order in the
#: window (found there by their first and last day) are grouped from their item rows.
_CATEGORY_REPEATERS = f"""
        SELECT count(*), n_orders, :end - last_day, sum(sales) FROM {REPEAT_CAT_TABLE}
        WHERE category = ANY(:cats) AND first_day >= :lo AND last_day <= :hi
        GROUP BY n_orders, last_day
        UNION ALL
        SELECT 1, count(DISTINCT order_id), :end - max(day), sum(sales) FROM {ITEM_TABLE}
        WHERE category = ANY(:cats) AND n_sales > 1 AND day BETWEEN :lo AND :hi
          AND person IN (SELECT person FROM {REPEAT_CAT_TABLE}
                         WHERE category = ANY(:cats) AND first_day <= :hi
                           AND last_day >= :lo AND (first_day < :lo OR last_day > :hi))
        GROUP BY person COLLATE "C"
"""


def segments(conn: Connection, filters: Filters, path: str = "fast") -> list[dict[str, Any]]:
    """The five segments in SEGMENTS' order, empty ones with 0 and None."""
    assert filters.start and filters.end, "resolve() the filters first"
    ctes, params = source(filters, filters.start, filters.end, path, repeat_only=True)
    params["end"] = filters.end
    _plans(conn, path)
    # customers with one sales order in the whole data, grouped by day (their recency),
    # then the others one row each; `n` customers per row
    repeaters = _REPEATERS
    if path == "fast" and not _narrowed(filters):
        repeaters = _WHOLE_REPEATERS
    elif path == "fast" and _states_only(filters):
        repeaters = _STATE_REPEATERS
    elif path == "fast" and _one_category_only(filters):
        repeaters = _CATEGORY_REPEATERS
    found = {r[0]: r[1:] for r in conn.execute(text(ctes + f""",
    per AS (
        SELECT singles AS n, 1 AS f, :end - day AS r, single_sales AS sales
        FROM d WHERE singles > 0
        UNION ALL{repeaters}
    )
    SELECT {SEGMENT_SQL} AS segment, sum(n), sum(n * f), sum(sales), sum(n * r)
    FROM per GROUP BY 1"""), params).all()}
    out = []
    for name in SEGMENTS:
        customers, orders, sales, recency = found.get(name, (0, 0, None, None))
        out.append({"segment": name, "customers": int(customers), "orders": int(orders),
                    "sales": Decimal(sales) if sales is not None else Decimal(0),
                    "avg_recency": float(recency) / int(customers) if customers else None})
    return out


# --- reviews by lateness -------------------------------------------------------------------


def lateness(conn: Connection, filters: Filters, path: str = "fast") -> list[dict[str, Any]]:
    """The seven buckets in BUCKETS' order: orders, mean review, share of low reviews."""
    assert filters.start and filters.end, "resolve() the filters first"
    ctes, params = source(filters, filters.start, filters.end, path, reviews=True,
                          repeat_only=True, months=True)
    _plans(conn, path)
    sums = ", ".join(f"coalesce(sum({c}), 0)" for c in LATE_COLUMNS)
    row = conn.execute(text(f"{ctes} SELECT {sums} FROM d"), params).one()
    found = {name: row[4 * i:4 * i + 4] for i, name in enumerate(BUCKETS)}
    out = []
    for name in BUCKETS:
        orders, review_sum, review_n, low = found[name]
        review_n = int(review_n)
        out.append({"bucket": name, "orders": int(orders),
                    "avg_review": int(review_sum) / review_n if review_n else None,
                    "low_review_share": int(low) / review_n if review_n else None})
    return out
