"""The fast path under a seller filter: every dashboard number from the seller cells.

Why cells and not the orders: a seller filter selects items, and an order's sellers are
not a handful of values like its categories, so the shop-wide cells (keyed by category
and payment SETS) cannot hold them. The seller breakdown's cells can
(loaders/rollups.py): `agg_seller_pair` sums the (seller, order) pairs by seller, day,
state, the seller's category set in the order and the payment set, with the pair's item
sums and the order's own measures; `agg_seller_payment` the same pairs' payments per
type. A seller's view then reads its cells (months x states x sets), never its orders,
so the biggest seller of a 10M-order shop costs what a small one does.

What cells cannot say, and how it is made exact (docs/METRICS.md, "Seller filter"):

* An order with items of k selected sellers is in k sellers' cells. Item sums add up
  (an item has one seller), but the order's own measures (the order, its payments,
  reviews, delivery, status) would count k times: `agg_seller_multi` holds every
  (seller, order) row of the orders with several sellers (few), and a view of several
  sellers takes each such order back k - 1 times.
* Under a category filter a pair counts when the seller's set meets the selection; its
  item sums count whole when the whole set is selected, and per selected category from
  `agg_seller_item` otherwise, as the breakdown does.
* Customers are distinct people, not sums. Those with one sales order in the whole data
  are counted by cells (`cust_day_seller`, taken back like orders through
  `cust_multiseller`; with a category filter too, `cust_day_sellcat` and
  `cust_multipair`); only repeat customers are read row by row (`cust_item`, a partial
  index), as the Customers section does.

`queries.fast` hands any filter set with sellers here; the shapes returned are
`queries.fast`'s, which tests hold equal to `queries.raw`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from loaders.customerfacts import ITEM_TABLE, MONTH_TABLES, seller_cells, shared_count_sql
from loaders.rollups import SELLER_CATSETS, SELLER_ITEM, SELLER_MULTI, SELLER_PAIR, SELLER_PAY

from ..filters import Filters
from ..metrics import OrderSums
from ..regions import region_case_sql
from .sellercells import WHOLE, conditions, fact_rows
from .spans import span_rows

GROUPS = {
    None: "NULL::text",
    "state": "state",
    "region": region_case_sql("state"),
    "month": "date_trunc('month', day)::date",
    "week": "date_trunc('week', day)::date",
    "day": "day",
}
_NEEDS = {"state": {"state"}, "region": {"state"}}
_BY_DAY = ("week", "day")

#: The order measures of OrderSums after the item sums, in its order, as the pair cells
#: name them (`_SHARED_MEASURES`: the same, taken back k - 1 times per shared order).
_PAIR_MEASURES = ("payments", "review_sum", "review_n", "deliv_n", "ontime_n",
                  "deliv_seconds", "all_orders", "canceled", "unavailable")
_S = "FILTER (WHERE kind = 's')"
_SHARED_MEASURES = (
    f"coalesce(sum(k - 1) {_S}, 0)", f"coalesce(sum((k - 1) * payments) {_S}, 0)",
    f"coalesce(sum((k - 1) * review_sum) {_S}, 0)",
    f"coalesce(sum((k - 1) * review_n) {_S}, 0)", f"coalesce(sum((k - 1) * deliv_n) {_S}, 0)",
    f"coalesce(sum((k - 1) * ontime_n) {_S}, 0)",
    f"coalesce(sum((k - 1) * deliv_seconds) {_S}, 0)", "sum(k - 1)",
    "coalesce(sum(k - 1) FILTER (WHERE kind = 'c'), 0)",
    "coalesce(sum(k - 1) FILTER (WHERE kind = 'u'), 0)",
)


def _shared(filters: Filters, params: dict[str, Any], extra: str = "TRUE") -> str:
    """`shared`: the matching orders with items of several selected sellers (pairs that
    count under the filters), once each with their number `k` of such sellers."""
    _, where = conditions(filters, params)
    columns = ", ".join(f"min({c}) AS {c}" for c in (
        "day", "state", "kind", "payments", "review_sum", "review_n", "deliv_n",
        "ontime_n", "deliv_seconds", "pay_types", "pay_rows", "pay_values",
        "pay_installments"))
    params["start"], params["end"] = filters.start, filters.end
    return f"""shared AS (
        SELECT order_id, count(*) AS k, {columns}
        FROM {SELLER_MULTI}
        WHERE day BETWEEN :start AND :end AND {' AND '.join(where)} AND {extra}
        GROUP BY order_id HAVING count(*) > 1)"""


def _pair_sums(conn: Connection, filters: Filters, group: str | None) -> dict[object, list]:
    """Per group: [orders, sales, freight, items, *_PAIR_MEASURES] of the matching pairs,
    each order once."""
    params: dict[str, Any] = {}
    g, needs, by_day = GROUPS[group], _NEEDS.get(group, set()), group in _BY_DAY
    pairs = fact_rows(filters, SELLER_PAIR, params, needs, by_day)
    items = ("sales", "freight", "items")
    if filters.categories:  # counted whole only where the seller's whole set is selected
        item_sql = [f"coalesce(sum({m}) FILTER (WHERE {WHOLE}), 0)" for m in items]
    else:
        item_sql = [f"sum({m})" for m in items]
    found = conn.execute(text(
        f"SELECT {g} AS g, sum(orders), {', '.join(item_sql)}, "
        f"{', '.join(f'sum({m})' for m in _PAIR_MEASURES)} FROM ({pairs}) p GROUP BY 1"),
        params).all()
    out = {row[0]: list(row[1:]) for row in found}
    if filters.categories:  # the selected categories' items of the other pairs
        parts = fact_rows(filters, SELLER_ITEM, params, needs, by_day)
        for key, *sums in conn.execute(text(
                f"SELECT {g}, sum(sales), sum(freight), sum(items) FROM ({parts}) i "
                "GROUP BY 1"), params).all():
            for i, value in enumerate(sums, start=1):
                out[key][i] += value
    if len(filters.sellers) > 1:  # orders shared by selected sellers: once each
        shared = _shared(filters, params)
        for key, orders, *rest in conn.execute(text(
                f"WITH {shared} SELECT {g}, {', '.join(_SHARED_MEASURES)} FROM shared "
                "GROUP BY 1"), params).all():
            out[key][0] -= orders
            for i, value in enumerate(rest, start=4):
                out[key][i] -= value
    return out


def _customer_where(filters: Filters, params: dict[str, Any], sellers: str) -> list[str]:
    """Terms on the customer tables' columns: the sellers (`sellers`: how a table names
    them), the range, states and payment types (whole-order terms)."""
    params["sellers"] = list(filters.sellers)
    params["start"], params["end"] = filters.start, filters.end
    where = [sellers, "day BETWEEN :start AND :end"]
    states = filters.effective_states()
    if states is not None:
        where.append("state = ANY(:states)")
        params["states"] = list(states)
    if filters.payment_types:
        where.append("pay_types && CAST(:pays AS text[])")
        params["pays"] = list(filters.payment_types)
    return where


def _singles(conn: Connection, filters: Filters, group: str | None) -> dict[object, int]:
    """Per group, the customers whose one sales order in the whole data matches (each is
    one customer, new, not returning): summed from the seller cells (with a category
    filter, the (seller, category) cells), the orders in several selected cells taken
    back k - 1 times."""
    params: dict[str, Any] = {}
    g = GROUPS[group]
    pairs = bool(filters.categories)
    table, shared, overlap = seller_cells(pairs, len(filters.sellers))
    where = _customer_where(filters, params, "seller_id = ANY(:sellers)")
    if pairs:
        where.append("category = ANY(:cats)")
        params["cats"] = list(filters.categories)
    cells = span_rows(table, MONTH_TABLES[table], " AND ".join(where), filters, params,
                      group in _BY_DAY)
    out = {k: int(n) for k, n in conn.execute(text(
        f"SELECT {g}, sum(singles) FROM ({cells}) c GROUP BY 1"), params).all()}
    if len(filters.sellers) * (len(filters.categories) if pairs else 1) > 1:
        where = _customer_where(filters, params, overlap)
        for key, extra in conn.execute(text(f"""
                SELECT {g}, sum(k - 1) FROM (
                    SELECT day, state, {shared_count_sql(pairs)} AS k
                    FROM {shared} f WHERE n_sales = 1 AND {' AND '.join(where)}) m
                WHERE k > 1 GROUP BY 1"""), params).all():
            out[key] = out.get(key, 0) - int(extra)
    return out


def _customers(conn: Connection, filters: Filters, group: str | None
               ) -> dict[object, tuple[int, int, int]]:
    """Per group: (customers, new customers, returning customers: two or more matching
    sales orders in the group): one-order customers from cells, repeat customers from
    the rows of the selected sellers' items (in the selected categories)."""
    params: dict[str, Any] = {}
    where = _customer_where(filters, params, "seller_id = ANY(:sellers)")
    if filters.categories:
        where.append("category = ANY(:cats)")
        params["cats"] = list(filters.categories)
    where.append("n_sales > 1")
    singles = _singles(conn, filters, group)
    found = conn.execute(text(f"""
        SELECT g, count(*), count(*) FILTER (WHERE first_day BETWEEN :start AND :end),
               count(*) FILTER (WHERE n >= 2)
        FROM (SELECT {GROUPS[group]} AS g, person, first_day, count(DISTINCT order_id) AS n
              FROM {ITEM_TABLE} WHERE {' AND '.join(where)} GROUP BY 1, 2, 3) x
        GROUP BY 1"""), params).all()
    out = {key: (n, n, 0) for key, n in singles.items()}
    for key, people, new, repeating in found:
        s = out.get(key, (0, 0, 0))
        out[key] = (s[0] + int(people), s[1] + int(new), int(repeating))
    return out


def order_sums(conn: Connection, filters: Filters, group: str | None = None,
               with_customers: bool = True) -> dict[object, OrderSums]:
    """OrderSums per group value (None without grouping). A series, which shows no
    customers, skips counting them (`with_customers=False`: 0)."""
    sums = _pair_sums(conn, filters, group)
    people = _customers(conn, filters, group) if with_customers else {}
    out: dict[object, OrderSums] = {}
    for g, (orders, sales, freight, items, payments, rsum, rn, dn, on, dsec, all_orders,
            canceled, unavailable) in sums.items():
        customers, new, repeating = people.get(g, (0, 0, 0))
        out[g] = OrderSums(
            orders=int(orders), sales=Decimal(sales), freight=Decimal(freight),
            items=int(items), payments=Decimal(payments), review_sum=int(rsum),
            review_n=int(rn), deliv_n=int(dn), ontime_n=int(on), deliv_seconds=Decimal(dsec),
            customers=customers, new_customers=new, repeat_customers=repeating,
            all_orders=int(all_orders), canceled=int(canceled), unavailable=int(unavailable),
        )
    return out


def category_rows(conn: Connection, filters: Filters) -> list[dict]:
    """Per category: the selected sellers' items of it in matching sales orders, and the
    orders having one. A pair counts for every category of its set (orders) and gives its
    items whole when the set is one category, per category from `agg_seller_item` when
    it is several; an order with several selected sellers having a category is taken back
    for it k - 1 times."""
    params: dict[str, Any] = {}
    pairs = fact_rows(filters, SELLER_PAIR, params, {"catset_id"})
    parts = fact_rows(filters, SELLER_ITEM, params, parts_only=False)
    one = "cardinality(d.categories) = 1"
    chosen = "category = ANY(:cats)" if filters.categories else "TRUE"
    rows = conn.execute(text(f"""
        SELECT category, sum(orders), sum(sales), sum(freight), sum(items) FROM (
            SELECT c.category, p.orders,
                   CASE WHEN {one} THEN p.sales ELSE 0 END AS sales,
                   CASE WHEN {one} THEN p.freight ELSE 0 END AS freight,
                   CASE WHEN {one} THEN p.items ELSE 0 END AS items
            FROM ({pairs}) p JOIN {SELLER_CATSETS} d ON d.catset_id = p.catset_id
            CROSS JOIN LATERAL unnest(d.categories) AS c(category)
            UNION ALL
            SELECT category, 0, sales, freight, items FROM ({parts}) i) x
        WHERE {chosen} GROUP BY 1 HAVING sum(orders) > 0"""), params).all()
    out = {k: [int(o), Decimal(s), Decimal(f), int(n)] for k, o, s, f, n in rows}
    if len(filters.sellers) > 1:
        _, where = conditions(filters, params)
        for key, extra in conn.execute(text(f"""
                SELECT category, sum(k - 1) FROM (
                    SELECT m.order_id, c.category, count(*) AS k
                    FROM {SELLER_MULTI} m JOIN {SELLER_CATSETS} d ON d.catset_id = m.catset_id
                    CROSS JOIN LATERAL unnest(d.categories) AS c(category)
                    WHERE m.kind = 's' AND m.day BETWEEN :start AND :end
                      AND {' AND '.join('m.' + w for w in where)}
                    GROUP BY 1, 2 HAVING count(*) > 1) x
                WHERE {chosen} GROUP BY 1"""), params).all():
            if key in out:
                out[key][0] -= int(extra)
    return [{"key": k, "sales": s, "freight": f, "items": n, "orders": o}
            for k, (o, s, f, n) in out.items()]


def payment_rows(conn: Connection, filters: Filters) -> tuple[list[dict], int]:
    """Per payment type over the matching sales orders (each order's payments once), and
    the number of those orders."""
    params: dict[str, Any] = {}
    pays = fact_rows(filters, SELLER_PAY, params, {"payment_type"})
    out = {k: [int(r), int(o), Decimal(v), int(i)] for k, r, o, v, i in conn.execute(text(
        f"SELECT payment_type, sum(n_rows), sum(n_orders), sum(value), sum(installments) "
        f"FROM ({pays}) p GROUP BY 1"), params).all()}
    if len(filters.sellers) > 1:
        shared = _shared(filters, params, "kind = 's'")
        for key, *extra in conn.execute(text(
                f"WITH {shared} SELECT t.type, sum((k - 1) * t.n), sum(k - 1), "
                "sum((k - 1) * t.v), sum((k - 1) * t.inst) FROM shared, "
                "unnest(pay_types, pay_rows, pay_values, pay_installments) "
                "AS t(type, n, v, inst) GROUP BY 1"), params).all():
            out[key] = [a - b for a, b in zip(out[key], extra, strict=True)]
    total = _pair_sums(conn, filters, None).get(None, [0])[0]
    return (
        [{"key": k, "payment_rows": r, "orders": o, "value": v, "installments": i}
         for k, (r, o, v, i) in out.items() if o > 0],
        int(total),
    )


def item_sales_orders(conn: Connection, filters: Filters, group: str) -> list[tuple]:
    """(group, sales, orders) of the selected sellers' counted items in sales orders."""
    return [(g, s.sales, s.orders)
            for g, s in order_sums(conn, filters, group, with_customers=False).items()
            if s.orders]
