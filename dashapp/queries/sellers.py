"""The seller breakdown: one row per seller of a view, from its own rollups or the raw
tables.

Why its own module and SQL: a seller's row mixes item-level sums (its counted items),
order-level figures (reviews, canceled share) and a figure of its own that needs all of
its items in an order, counted or not (the latest shipping limit). The order rollups'
grain is the order, not the (seller, order) pair, so the breakdown has rollups of its own
(`agg_seller_pair`, `agg_seller_item`: loaders/rollups.py). The rules are
docs/METRICS.md's ("Sellers").

Two paths, like `queries.report`'s, chosen by `seller_rows(path=...)`:

* `fast` (the service's): the pair rollup's smallest level holding the filters, whole
  months from its month table and the range's edge days from its day table; a pair is
  one seller in one order, so its counts are orders of that seller and add up exactly.
  Under a category filter the pairs are those whose seller's category SET meets the
  selection (orders, reviews, lateness, statuses) and the item sums come from the
  per-category item rollup. It costs what the rollups hold (sellers x months x the
  filtered dimensions), not what the shop sold.
* `raw`, the reference tests hold the fast path to, applying the filters exactly as
  `queries.raw` and `queries.orders` do, in three steps, never joining items and payments
  or reviews in one row set: the orders the filters match on whole-order terms (date,
  state, payment type), whatever their status; one row per (seller, order) from the items
  of those orders, with the counted items' sums and the latest limit of all the seller's
  items; then the reviews summed per order, and everything summed per seller.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from loaders.rollups import SELLER_ITEM, SELLER_PAIR

from ..filters import Filters
from .raw import CATEGORY
from .sellercells import WHOLE, fact_rows
from .stream import sort_in_memory

#: The fields of a row, in the order of the CSV columns.
ROW_FIELDS = ("key", "seller_state", "sales", "freight", "items", "orders", "aov",
              "avg_review", "late_shipping_rate", "canceled_rate")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

_PRODUCTS = """JOIN products p ON p.product_id = i.product_id
    LEFT JOIN product_category_name_translation t
           ON t.product_category_name = p.product_category_name"""


def _matching(filters: Filters) -> tuple[str, dict[str, Any]]:
    """`matching`: the orders selected on whole-order terms, any status. A category or
    seller filter is not applied here: an order matches it exactly when it has a counted
    item, which the pairs below require anyway. The date test is a range on the
    timestamp, so the purchase-time index can serve it."""
    assert filters.start and filters.end, "resolve() the filters first"
    params: dict[str, Any] = {"start": filters.start,
                              "end_next": filters.end + timedelta(days=1)}
    where = ["o.order_purchase_timestamp >= :start",
             "o.order_purchase_timestamp < :end_next"]
    joins = ""
    states = filters.effective_states()
    if states is not None:
        joins = "JOIN customers c ON c.customer_id = o.customer_id"
        where.append("c.customer_state = ANY(:states)")
        params["states"] = list(states)
    if filters.payment_types:
        where.append("EXISTS (SELECT 1 FROM order_payments pp WHERE pp.order_id = o.order_id "
                     "AND pp.payment_type = ANY(:pays))")
        params["pays"] = list(filters.payment_types)
    return (f"""matching AS NOT MATERIALIZED (
        SELECT o.order_id, o.order_status NOT IN ('canceled', 'unavailable') AS is_sale,
               o.order_status = 'canceled' AS is_canceled,
               o.order_delivered_carrier_date AS carrier
        FROM orders o {joins}
        WHERE {' AND '.join(where)})"""), params


def _pairs(filters: Filters, params: dict[str, Any]) -> str:
    """`pairs`: one row per (seller, matching order) where the seller has a counted item.
    Every item of the seller in the order is read (the shipping limit takes them all);
    the sums take only the counted ones (under a category filter, those of the selected
    categories). A seller filter drops the other sellers' items outright: they are never
    counted, so those sellers have no row."""
    counted = "TRUE"
    joins = ""
    where = ["TRUE"]
    if filters.categories:
        joins = _PRODUCTS
        counted = f"{CATEGORY} = ANY(:cats)"
        params["cats"] = list(filters.categories)
    if filters.sellers:
        where.append("i.seller_id = ANY(:sellers)")
        params["sellers"] = list(filters.sellers)
    return f"""pairs AS MATERIALIZED (
        SELECT i.seller_id, i.order_id, m.is_sale, m.is_canceled, m.carrier,
               sum(i.price) FILTER (WHERE {counted}) AS sales,
               sum(i.freight_value) FILTER (WHERE {counted}) AS freight,
               count(*) FILTER (WHERE {counted}) AS items,
               max(i.shipping_limit_date) AS ship_limit
        FROM matching m JOIN order_items i ON i.order_id = m.order_id {joins}
        WHERE {' AND '.join(where)}
        GROUP BY i.seller_id, i.order_id, m.is_sale, m.is_canceled, m.carrier
        HAVING count(*) FILTER (WHERE {counted}) > 0)"""


#: The review rows summed per order. Under a seller filter, for the few orders of the pairs
#: (an index lookup each); else for every order at once: the planner, which cannot see
#: how many orders the pairs hold, otherwise looks up ~100k orders one by one.
_REVIEWS = {
    True: """reviews AS (
        SELECT r.order_id, sum(r.review_score) AS review_sum, count(*) AS review_n
        FROM (SELECT DISTINCT order_id FROM pairs WHERE is_sale) x
        JOIN order_reviews r ON r.order_id = x.order_id
        GROUP BY r.order_id)""",
    False: """reviews AS (
        SELECT r.order_id, sum(r.review_score) AS review_sum, count(*) AS review_n
        FROM order_reviews r GROUP BY r.order_id)""",
}
_PER_SELLER = """
    per_seller AS MATERIALIZED (
        SELECT p.seller_id,
               coalesce(sum(p.sales) FILTER (WHERE p.is_sale), 0) AS sales,
               coalesce(sum(p.freight) FILTER (WHERE p.is_sale), 0) AS freight,
               coalesce(sum(p.items) FILTER (WHERE p.is_sale), 0) AS items,
               count(*) FILTER (WHERE p.is_sale) AS orders,
               sum(rv.review_sum) FILTER (WHERE p.is_sale) AS review_sum,
               coalesce(sum(rv.review_n) FILTER (WHERE p.is_sale), 0) AS review_n,
               count(*) FILTER (WHERE p.is_sale AND p.carrier IS NOT NULL) AS shipped,
               count(*) FILTER (WHERE p.is_sale AND p.carrier > p.ship_limit) AS late,
               count(*) AS all_orders,
               count(*) FILTER (WHERE p.is_canceled) AS canceled
        FROM pairs p
        LEFT JOIN reviews rv ON rv.order_id = p.order_id
        GROUP BY p.seller_id
        HAVING count(*) FILTER (WHERE p.is_sale) > 0)
"""


def raw_seller_sql(filters: Filters, params: dict[str, Any]) -> str:
    """`per_seller` from the raw tables (the reference)."""
    matching, found = _matching(filters)
    params.update(found)
    pairs = _pairs(filters, params)
    return f"{matching}, {pairs}, {_REVIEWS[bool(filters.sellers)]}, {_PER_SELLER}"


# --- the fast path: the seller rollups -------------------------------------------------------


_PAIR_SUMS = """SELECT seller_id, %(items)s, sum(orders) AS orders,
               sum(review_sum) AS review_sum, sum(review_n) AS review_n,
               sum(shipped) AS shipped, sum(late) AS late, sum(all_orders) AS all_orders,
               sum(canceled) AS canceled"""
_ITEMS = "sum(sales) AS sales, sum(freight) AS freight, sum(items) AS items"
_WHOLE_ITEMS = ", ".join(f"coalesce(sum({m}) FILTER (WHERE {WHOLE}), 0) AS {m}"
                         for m in ("sales", "freight", "items"))


def fast_seller_sql(filters: Filters, params: dict[str, Any]) -> str:
    """`per_seller` from the rollups: the pairs' sums per seller (only sellers with a
    matching sales order). Under a category filter a pair's item sums count whole when
    all of its categories are selected; the others that match (some selected, some not)
    add their selected categories' items from `agg_seller_item`."""
    pairs = fact_rows(filters, SELLER_PAIR, params)
    items = _WHOLE_ITEMS if filters.categories else _ITEMS
    per_pair = (f"{_PAIR_SUMS % {'items': items}} FROM ({pairs}) p GROUP BY seller_id "
                "HAVING sum(orders) > 0")
    if not filters.categories:
        return f"per_seller AS MATERIALIZED ({per_pair})"
    parts = fact_rows(filters, SELLER_ITEM, params)
    return f"""pair AS MATERIALIZED ({per_pair}),
        part AS (SELECT seller_id, {_ITEMS} FROM ({parts}) i GROUP BY seller_id),
        per_seller AS MATERIALIZED (
            SELECT p.seller_id, p.sales + coalesce(i.sales, 0) AS sales,
                   p.freight + coalesce(i.freight, 0) AS freight,
                   p.items + coalesce(i.items, 0) AS items,
                   p.orders, p.review_sum, p.review_n, p.shipped, p.late, p.all_orders,
                   p.canceled
            FROM pair p LEFT JOIN part i ON i.seller_id = p.seller_id)"""

#: path -> (the `per_seller` step, where the sellers' states are read). The fast path
#: never reads a raw table (a replace load swaps them): `dim_seller` is the sellers file's.
PATHS = {"fast": (fast_seller_sql, "dim_seller s ON s.seller_id = ps.seller_id",
                  "s.state AS seller_state"),
         "raw": (raw_seller_sql, "sellers s ON s.seller_id = ps.seller_id",
                 "s.seller_state")}


def _ranked_seller_sql(filters: Filters, params: dict[str, Any], page: str) -> str:
    """The fast path without a category filter, in two steps: every seller's sales
    (`ranked`: the order and the count), then every measure for the page's sellers
    only. Ten sums a seller over a state's month rows cost twice two sums (SP at 100k:
    21 vs 11 ms), and a page shows ten sellers of thousands."""
    pairs = fact_rows(filters, SELLER_PAIR, params)
    return f"""ranked AS MATERIALIZED (
            SELECT seller_id, sum(sales) AS sales FROM ({pairs}) p GROUP BY seller_id
            HAVING sum(orders) > 0),
        page AS (SELECT seller_id FROM ranked
                 ORDER BY sales DESC, seller_id COLLATE "C" {page}),
        per_seller AS MATERIALIZED (
            {_PAIR_SUMS % {'items': _ITEMS}} FROM ({pairs}) p
            WHERE seller_id IN (SELECT seller_id FROM page) GROUP BY seller_id)"""


def seller_sql(filters: Filters, limit: int | None, offset: int = 0, path: str = "fast"
               ) -> tuple[str, dict[str, Any]]:
    """The statement: one page of rows (sales desc, then seller id in byte order), each
    carrying the number of rows of the whole breakdown; a page past the end still
    returns that count (one row of NULLs). `limit` None: every row."""
    per_seller, sellers, state = PATHS[path]
    params: dict[str, Any] = {"offset": offset}
    page = "LIMIT :limit OFFSET :offset" if limit is not None else "OFFSET :offset"
    if limit is not None:
        params["limit"] = limit
    if path == "fast" and not filters.categories:
        steps, every, rows = _ranked_seller_sql(filters, params, page), "ranked", ""
    else:
        steps, every, rows = per_seller(filters, params), "per_seller", page
    sql = f"""WITH {steps}
        SELECT n.total, {state}, ps.*
        FROM (SELECT count(*) AS total FROM {every}) n
        LEFT JOIN LATERAL (
            SELECT * FROM per_seller
            ORDER BY sales DESC, seller_id COLLATE "C" {rows}) ps ON TRUE
        LEFT JOIN {sellers}
        ORDER BY ps.sales DESC, ps.seller_id COLLATE "C" """
    return sql, params


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _row(r: Any) -> dict[str, Any]:
    """A result row as the API's dict: money exact (Decimal, rounded only on output), the
    ratios as floats like every other rate of the API, None when undefined."""
    sales = Decimal(r.sales)
    return {
        "key": r.seller_id, "seller_state": r.seller_state,
        "sales": sales, "freight": Decimal(r.freight), "items": int(r.items),
        "orders": int(r.orders),
        "aov": sales / r.orders if r.orders else None,
        "avg_review": float(r.review_sum) / int(r.review_n) if r.review_n else None,
        "late_shipping_rate": _ratio(int(r.late), int(r.shipped)),
        "canceled_rate": _ratio(int(r.canceled), int(r.all_orders)),
    }


def seller_rows(conn: Connection, filters: Filters, limit: int | None = DEFAULT_LIMIT,
                offset: int = 0, path: str = "fast") -> dict[str, Any]:
    """{"total": rows of the whole breakdown, "rows": the page}: for resolved filters,
    from the rollups (`fast`) or the raw tables (`raw`)."""
    sql, params = seller_sql(filters, limit, offset, path)
    if path == "raw":
        sort_in_memory(conn, "64MB")  # every item of a long range, by (seller, order)
    found = conn.execute(text(sql), params).all()
    total = int(found[0].total) if found else 0
    return {"total": total, "rows": [_row(r) for r in found if r.seller_id is not None]}


def seller_options(conn: Connection) -> list[tuple[str, str | None]]:
    """(seller_id, seller_state) of every seller, for the page's seller picker: the
    sellers table is small (3,095 rows in the real data), read once per data version."""
    return [(r[0], r[1]) for r in conn.execute(text(
        'SELECT seller_id, seller_state FROM sellers ORDER BY seller_id COLLATE "C"')).all()]
