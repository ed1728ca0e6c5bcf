"""The fast path under a seller filter: every dashboard number from `agg_seller_order`.

Why a table of its own rather than another rollup level: a seller filter selects items,
and an order's sellers are not a handful of values like its categories, so cells keyed
by seller sets would be nearly as many as orders. `agg_seller_order` (loaders/rollups.py)
keeps one row per order x seller x category, stored by (seller_id, day): a view reads
the selected sellers' rows of its range and nothing else, so it costs what those sellers
sold, never the whole shop. Grouping those rows by order first makes every order-level
figure (payments, reviews, delivery, status, customer) count once per order, and the item
sums only the rows of the selected sellers (and categories): the same item must match
both, as docs/METRICS.md says. `queries.fast` hands any filter set with sellers here;
the shapes returned are `queries.fast`'s, which tests hold equal to `queries.raw`.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, text

from loaders.rollups import SELLER_TABLE

from ..filters import Filters
from ..metrics import OrderSums
from ..regions import region_case_sql

GROUPS = {
    None: "NULL::text",
    "state": "state",
    "region": region_case_sql("state"),
    "month": "date_trunc('month', day)::date",
    "week": "date_trunc('week', day)::date",
    "day": "day",
}


def _where(filters: Filters, *extra: str) -> tuple[str, dict[str, object]]:
    """Rows of the selected sellers in the range; a category narrows the rows (the item
    must be both), state and payment type are order-level and repeated on every row."""
    assert filters.start and filters.end, "resolve() the filters first"
    where = ["seller_id = ANY(:sellers)", "day BETWEEN :start AND :end", *extra]
    params: dict[str, object] = {"sellers": list(filters.sellers), "start": filters.start,
                                 "end": filters.end}
    if filters.categories:
        where.append("category = ANY(:cats)")
        params["cats"] = list(filters.categories)
    states = filters.effective_states()
    if states is not None:
        where.append("state = ANY(:states)")
        params["states"] = list(states)
    if filters.payment_types:
        where.append("pay_types && CAST(:pays AS text[])")
        params["pays"] = list(filters.payment_types)
    return " AND ".join(where), params


def _per_order(filters: Filters, *extra: str) -> tuple[str, dict[str, object]]:
    """`per_order AS (...)`: one row per matching order (any status). Order-level columns
    are equal on all of an order's rows, so min() takes them once; item sums add up the
    matching rows only."""
    where, params = _where(filters, *extra)
    return (f"""per_order AS (
        SELECT order_id, min(day) AS day, min(state) AS state, min(kind) AS kind,
               min(customer_key) AS customer_key, min(first_day) AS first_day,
               min(payments) AS payments, min(review_sum) AS review_sum,
               min(review_n) AS review_n, bool_or(delivered) AS delivered,
               bool_or(on_time) AS on_time, min(deliv_seconds) AS deliv_seconds,
               min(pay_types) AS pay_types, min(pay_rows) AS pay_rows,
               min(pay_values) AS pay_values, min(pay_installments) AS pay_installments,
               sum(sales) AS sales, sum(freight) AS freight, sum(items) AS items
        FROM {SELLER_TABLE} WHERE {where} GROUP BY order_id)"""), params


_S = "FILTER (WHERE kind = 's')"
_ORDER_SELECT = f"""
    count(*) {_S}, coalesce(sum(sales) {_S}, 0), coalesce(sum(freight) {_S}, 0),
    coalesce(sum(items) {_S}, 0), coalesce(sum(payments) {_S}, 0),
    coalesce(sum(review_sum) {_S}, 0), coalesce(sum(review_n) {_S}, 0),
    count(*) FILTER (WHERE kind = 's' AND delivered),
    count(*) FILTER (WHERE kind = 's' AND on_time),
    coalesce(sum(deliv_seconds) {_S}, 0),
    %(customers)s,
    count(*), count(*) FILTER (WHERE kind = 'c'), count(*) FILTER (WHERE kind = 'u')
"""


_CUSTOMERS = f"""count(DISTINCT customer_key) {_S},
    count(DISTINCT customer_key) FILTER (WHERE kind = 's'
                                         AND first_day BETWEEN :start AND :end),
    count(DISTINCT customer_key) FILTER (WHERE kind = 's' AND repeating)"""


def order_sums(conn: Connection, filters: Filters, group: str | None = None,
               with_customers: bool = True) -> dict[object, OrderSums]:
    """OrderSums per group value (None without grouping). Customers are counted
    distinctly over the selected sellers' orders, which are few; a series, which shows
    none, skips that (`with_customers=False`: 0)."""
    cte, params = _per_order(filters)
    select = _ORDER_SELECT % {"customers": _CUSTOMERS if with_customers else "0, 0, 0"}
    by = GROUPS[group]
    # `repeating`: the order's customer has two or more matching sales orders in its group
    repeating = (f"kind = 's' AND count(*) FILTER (WHERE kind = 's') "
                 f"OVER (PARTITION BY {by}, customer_key) >= 2" if with_customers else "false")
    sql = (f"WITH {cte}, grouped AS (SELECT {by} AS g, *, {repeating} AS repeating "
           f"FROM per_order) SELECT g, {select} FROM grouped GROUP BY 1")
    out: dict[object, OrderSums] = {}
    for row in conn.execute(text(sql), params).all():
        (g, orders, sales, freight, items, payments, rsum, rn, dn, on, dsec, customers, new,
         repeating, all_orders, canceled, unavailable) = row
        out[g] = OrderSums(
            orders=int(orders), sales=Decimal(sales), freight=Decimal(freight),
            items=int(items), payments=Decimal(payments), review_sum=int(rsum),
            review_n=int(rn), deliv_n=int(dn), ontime_n=int(on), deliv_seconds=Decimal(dsec),
            customers=int(customers), new_customers=int(new),
            repeat_customers=int(repeating), all_orders=int(all_orders),
            canceled=int(canceled), unavailable=int(unavailable),
        )
    return out


def category_rows(conn: Connection, filters: Filters) -> list[dict]:
    """Per category: the selected sellers' items of it in matching sales orders, and the
    orders having one (an order with several sellers has a row per seller: distinct)."""
    where, params = _where(filters, "kind = 's'")
    rows = conn.execute(text(
        f"SELECT category, sum(sales), sum(freight), sum(items), count(DISTINCT order_id) "
        f"FROM {SELLER_TABLE} WHERE {where} GROUP BY 1"), params).all()
    return [{"key": k, "sales": Decimal(s), "freight": Decimal(f), "items": int(n),
             "orders": int(o)} for k, s, f, n, o in rows]


def payment_rows(conn: Connection, filters: Filters) -> tuple[list[dict], int]:
    """Per payment type over the matching sales orders (each order's arrays once), and
    the number of those orders."""
    cte, params = _per_order(filters, "kind = 's'")
    rows = conn.execute(text(
        f"WITH {cte} SELECT t.type, sum(t.n), count(*), sum(t.v), sum(t.inst) "
        "FROM per_order, unnest(pay_types, pay_rows, pay_values, pay_installments) "
        "AS t(type, n, v, inst) GROUP BY 1"), params).all()
    total = conn.execute(text(f"WITH {cte} SELECT count(*) FROM per_order"),
                         params).scalar_one()
    return (
        [{"key": k, "payment_rows": int(r), "orders": int(o), "value": Decimal(v),
          "installments": int(i)} for k, r, o, v, i in rows],
        int(total),
    )


def item_sales_orders(conn: Connection, filters: Filters, group: str) -> list[tuple]:
    """(group, sales, orders) of the selected sellers' counted items in sales orders."""
    where, params = _where(filters, "kind = 's'")
    return conn.execute(text(
        f"SELECT {GROUPS[group]} AS g, coalesce(sum(sales), 0), count(DISTINCT order_id) "
        f"FROM {SELLER_TABLE} WHERE {where} GROUP BY 1"), params).all()
