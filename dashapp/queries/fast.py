"""The fast path: every dashboard number from the rollup tables (see loaders/rollups.py).

Reads cost what the rollups hold (days x states x category/payment sets), not
what the raw tables hold. Each public function returns the same shapes as
`queries.raw`, which tests hold it equal to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, text

from loaders.rollups import CROSSING, ITEM, ORDER, PAYMENT, Fact

from ..filters import Filters
from ..metrics import ZERO, OrderSums
from ..regions import region_case_sql
from . import sellerfilter
from .spans import span_rows

GROUPS = {
    None: "NULL::text",
    "state": "state",
    "region": region_case_sql("state"),
    "category": "category",
    "payment_type": "payment_type",
    "month": "date_trunc('month', day)::date",
    "week": "date_trunc('week', day)::date",
    "day": "day",
}


@dataclass
class _Query:
    """A WHERE clause and its bound parameters, built from Filters for one fact."""

    where: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)


def _level(filters: Filters, fact: Fact, group: str | None) -> str:
    """The smallest rollup level holding what these filters and this grouping need."""
    needs = set()
    if filters.effective_states() is not None or group in ("state", "region"):
        needs.add("state")
    if filters.categories:
        needs.add("category" if fact is ITEM else "catset_id")
    if filters.payment_types:
        needs.add("payset_id")
    if group in ("category", "payment_type"):
        needs.add(group)
    return fact.level_for(needs)


def _dim_where(filters: Filters, fact: Fact) -> _Query:
    q = _Query()
    states = filters.effective_states()
    if states is not None:
        q.where.append("state = ANY(:states)")
        q.params["states"] = list(states)
    if filters.categories:
        q.params["cats"] = list(filters.categories)
        if fact is ITEM:
            q.where.append("category = ANY(:cats)")
        else:
            # an array computed once (not a join), so the (catset_id, day) index is usable
            q.where.append(
                "catset_id = ANY(ARRAY(SELECT catset_id FROM dim_catset "
                "WHERE categories && CAST(:cats AS text[])))"
            )
    if filters.payment_types:
        q.params["pays"] = list(filters.payment_types)
        q.where.append(
            "payset_id = ANY(ARRAY(SELECT payset_id FROM dim_payset "
            "WHERE types && CAST(:pays AS text[])))"
        )
    return q


def _source(fact: Fact, level: str, filters: Filters, by_day: bool, columns: str,
            q: _Query) -> str:
    """Rows of a fact for the date range: whole months from `_m`, the edges from `_d`."""
    return span_rows(fact.table(level, "d"), fact.table(level, "m"),
                     " AND ".join(q.where) or "TRUE", filters, q.params, by_day, columns)


def _fetch(conn: Connection, fact: Fact, filters: Filters, group: str | None,
           select: str, extra_where: str = "") -> list:
    level = _level(filters, fact, group)
    q = _dim_where(filters, fact)
    if extra_where:
        q.where.append(extra_where)
    by_day = group in ("day", "week")
    cols = ", ".join(["day", *fact.dims(level), *fact.measures])
    src = _source(fact, level, filters, by_day, cols, q)
    sql = f"SELECT {GROUPS[group]} AS g, {select} FROM ({src}) x GROUP BY 1"
    return conn.execute(text(sql), q.params).all()


_ORDER_SELECT = """
    coalesce(sum(n_orders) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(sales) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(freight) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(items) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(payments) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(review_sum) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(review_n) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(deliv_n) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(ontime_n) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(deliv_seconds) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(single_customers) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(repeat_firsts) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(repeat_seconds) FILTER (WHERE kind = 's'), 0),
    coalesce(sum(n_orders), 0),
    coalesce(sum(n_orders) FILTER (WHERE kind = 'c'), 0),
    coalesce(sum(n_orders) FILTER (WHERE kind = 'u'), 0)
"""


def order_sums(conn: Connection, filters: Filters, group: str | None = None,
               with_customers: bool = True) -> dict[object, OrderSums]:
    """OrderSums per group value (key None without grouping) for resolved filters."""
    if filters.sellers:  # items of some sellers: their own table (queries/sellerfilter.py)
        return sellerfilter.order_sums(conn, filters, group, with_customers)
    out: dict[object, OrderSums] = {}
    by_firsts = with_customers and _counts_by_firsts(filters, group)
    for row in _fetch(conn, ORDER, filters, group, _ORDER_SELECT):
        (g, orders, sales, freight, items, payments, rsum, rn, dn, on, dsec, single, firsts,
         seconds, all_orders, canceled, unavailable) = row
        known = int(single) + (int(firsts) if by_firsts else 0)
        out[g] = OrderSums(
            orders=int(orders), sales=Decimal(sales), freight=Decimal(freight),
            items=int(items), payments=Decimal(payments), review_sum=int(rsum),
            review_n=int(rn), deliv_n=int(dn), ontime_n=int(on), deliv_seconds=Decimal(dsec),
            customers=known, new_customers=known,
            repeat_customers=int(seconds) if by_firsts else 0, all_orders=int(all_orders),
            canceled=int(canceled), unavailable=int(unavailable),
        )
    if filters.categories:  # item sums count only the selected categories' items
        item_rows = _fetch(conn, ITEM, filters, group,
                           "coalesce(sum(sales), 0), coalesce(sum(freight), 0), "
                           "coalesce(sum(items), 0)")
        found = {g: (s, f, n) for g, s, f, n in item_rows}
        for g, sums in out.items():
            s, f, n = found.get(g, (ZERO, ZERO, 0))
            out[g] = sums.replace(sales=Decimal(s), freight=Decimal(f), items=int(n))
    if with_customers and group not in ("category", "payment_type"):
        if by_firsts:
            counted = _repeat_rest(conn, filters, group)
        elif _one_value(filters) and group in (None, "state", "region"):
            counted = _repeat_by_value(conn, filters, group, *_one_value(filters))
        else:
            counted = _repeat_customers(conn, filters, group)
        for g, distinct, new, repeating in counted:
            if g in out:
                s = out[g]
                out[g] = s.replace(customers=s.customers + int(distinct),
                                   new_customers=s.new_customers + int(new),
                                   repeat_customers=s.repeat_customers + int(repeating))
    return out


def _counts_by_firsts(filters: Filters, group: str | None) -> bool:
    """Whether returning customers can be counted from `repeat_firsts`, `repeat_seconds`
    and crossing rows.

    All are defined on all of a customer's orders in a state, so a category or payment
    filter (which keeps only some of them) needs the distinct count instead."""
    return not filters.categories and not filters.payment_types and \
        group in (None, "state", "region")


def _repeat_rest(conn: Connection, filters: Filters, group: str | None) -> list:
    """What the cells leave out: single-state customers whose first order precedes the
    range (counted at their first row inside it, not new), and multi-state customers
    (counted distinctly; few). Each as (g, customers, new, repeating).

    Repeating single-state customers are counted without DISTINCT either: the cells hold
    those whose second order falls in the range (`repeat_seconds`), which is right for the
    ones whose first order does too; for a customer met at a crossing row it is wrong,
    so the same crossing rows take those out (`second_order`) and count them by whether
    a second order follows inside the range (`second_day`)."""
    q = _dim_where(filters, ORDER)
    q.params["start"], q.params["end"] = filters.start, filters.end
    dims = " AND ".join(q.where) or "TRUE"
    g = GROUPS[group]
    sql = (
        f"SELECT g, sum(n), sum(n_new), sum(n_repeat) FROM ("
        f"SELECT {g} AS g, count(*) AS n, 0 AS n_new, "
        f"count(*) FILTER (WHERE second_day <= :end) "
        f"- count(*) FILTER (WHERE second_order) AS n_repeat FROM agg_repeat "
        f"WHERE NOT multi_state AND prev_state_day IS NOT NULL "
        f"AND {CROSSING} @> CAST(:start AS date) AND day <= :end AND {dims} GROUP BY 1 "
        f"UNION ALL "
        f"SELECT g, {_PER_CUSTOMER} FROM (SELECT {g} AS g, customer_key, first_day, "
        f"sum(n_orders) AS n FROM agg_repeat "
        f"WHERE multi_state AND day BETWEEN :start AND :end AND {dims} "
        f"GROUP BY 1, 2, 3) m GROUP BY 1"
        f") x GROUP BY 1"
    )
    return conn.execute(text(sql), q.params).all()


#: Over one row per group and customer (with `n`, their matching orders): customers, new
#: ones, and those with two or more matching orders.
_PER_CUSTOMER = ("count(*), count(*) FILTER (WHERE first_day BETWEEN :start AND :end), "
                 "count(*) FILTER (WHERE n >= 2)")


def _one_value(filters: Filters) -> tuple[str, str] | None:
    """("category", value) or ("payment_type", value) when the only category or payment
    filter is one value: `agg_repeat_by` counts its orders exactly. (With several values,
    an order holding two of them is on two of its rows, so their `n_orders` cannot be
    added up: `agg_repeat`'s cells count those.)"""
    if len(filters.categories) == 1 and not filters.payment_types:
        return "category", filters.categories[0]
    if len(filters.payment_types) == 1 and not filters.categories:
        return "payment_type", filters.payment_types[0]
    return None


def _repeat_by_value(conn: Connection, filters: Filters, group: str | None, dim: str,
                     value: str) -> list:
    """Returning customers under one category (or payment type), from that value's own
    rows: a single-state customer counts at their first row in the range (its previous
    row of that value precedes the range), repeating when the second order of that value
    counted from there is in the range too; customers seen in several states are counted
    distinctly over those rows."""
    params: dict[str, object] = {"start": filters.start, "end": filters.end, "dim": dim,
                                 "value": value}
    value_only = "dim = :dim AND value = :value"
    states = filters.effective_states()
    if states is not None:
        value_only += " AND state = ANY(:states)"
        params["states"] = list(states)
    where = f"{value_only} AND day BETWEEN :start AND :end"
    g = GROUPS[group]
    single_state = (
        f"SELECT {g} AS g, sum(firsts) AS n, sum(firsts) AS n_new, "
        f"sum(seconds) AS n_repeat FROM ({_repeat_cells(filters, group, value_only, params)}) c "
        f"GROUP BY 1"
        if starts_before_returning(conn, filters.start) else
        f"SELECT {g} AS g, count(*) AS n, "
        f"count(*) FILTER (WHERE first_day BETWEEN :start AND :end) AS n_new, "
        f"count(*) FILTER (WHERE second_day <= :end) AS n_repeat FROM agg_repeat_by "
        f"WHERE {where} AND NOT multi_state "
        f"AND (prev_day IS NULL OR prev_day < :start) GROUP BY 1")
    sql = (f"SELECT g, sum(n), sum(n_new), sum(n_repeat) FROM ({single_state} "
           f"UNION ALL SELECT g, {_PER_CUSTOMER} FROM (SELECT {g} AS g, customer_key, "
           f"first_day, sum(n_orders) AS n FROM agg_repeat_by WHERE {where} AND multi_state "
           f"GROUP BY 1, 2, 3) m GROUP BY 1) x GROUP BY 1")
    return conn.execute(text(sql), params).all()


def _repeat_cells(filters: Filters, group: str | None, value: str, params: dict) -> str:
    """The value's first and second orders by day, summed: a range's whole months from
    `agg_repeat_by_month`, its edges from `agg_repeat_by_day`."""
    return span_rows("agg_repeat_by_day", "agg_repeat_by_month", value, filters, params,
                     group in ("day", "week"), "day, state, firsts, seconds")


def starts_before_returning(conn: Connection, start: date) -> bool:
    """Does a range from `start` begin before every returning customer's first order (as
    the whole history does)? Then a single-state customer's first row of a value inside
    the range is their first row of it at all, and new: `agg_repeat_by_day` counts them
    (their first rows by day, and by the day of their second order of the value) without
    reading the value's rows."""
    return conn.execute(text("SELECT NOT EXISTS (SELECT 1 FROM agg_repeat WHERE day < :s)"),
                        {"s": start}).scalar_one()


def _repeat_customers(conn: Connection, filters: Filters, group: str | None) -> list:
    """Distinct returning customers (more than one sales order in the data) among matches,
    and those of them with two or more matching orders in the range."""
    q = _dim_where(filters, ORDER)
    q.params["start"], q.params["end"] = filters.start, filters.end
    dims = " AND ".join(q.where) or "TRUE"
    # GROUP BY in a subquery hashes; count(DISTINCT ...) per group would sort every row.
    # (first_day is the customer's, so it does not split a customer into several rows;
    # each order is in one cell, so the rows' n_orders add up to the customer's orders.)
    sql = (
        f"SELECT g, {_PER_CUSTOMER} FROM (SELECT {GROUPS[group]} AS g, customer_key, "
        f"first_day, sum(n_orders) AS n FROM agg_repeat "
        f"WHERE day BETWEEN :start AND :end AND {dims} GROUP BY 1, 2, 3) s GROUP BY 1"
    )
    return conn.execute(text(sql), q.params).all()


def item_sales_orders(conn: Connection, filters: Filters, group: str) -> list[tuple]:
    """(group, sales, orders having an item of the filtered categories) from the item rollup.

    Exact for ONE category (its n_orders is counted per order and category); the
    insight models read a dozen single-category series through it.
    """
    if filters.sellers:
        return sellerfilter.item_sales_orders(conn, filters, group)
    return _fetch(conn, ITEM, filters, group,
                  "coalesce(sum(sales), 0), coalesce(sum(n_orders), 0)")


def category_rows(conn: Connection, filters: Filters) -> list[dict]:
    """Per category: sales, freight, items and orders having an item of it."""
    if filters.sellers:
        return sellerfilter.category_rows(conn, filters)
    rows = _fetch(conn, ITEM, filters, "category",
                  "sum(sales), sum(freight), sum(items), sum(n_orders)")
    return [
        {"key": g, "sales": Decimal(s), "freight": Decimal(f), "items": int(n),
         "orders": int(o)}
        for g, s, f, n, o in rows if o
    ]


def payment_rows(conn: Connection, filters: Filters) -> tuple[list[dict], int]:
    """Per payment type: rows, orders, value, installments; and all matching sales orders."""
    if filters.sellers:
        return sellerfilter.payment_rows(conn, filters)
    rows = _fetch(conn, PAYMENT, filters, "payment_type",
                  "sum(n_rows), sum(n_orders), sum(value), sum(installments)")
    total = _fetch(conn, ORDER, filters, None,
                   "coalesce(sum(n_orders) FILTER (WHERE kind = 's'), 0)")
    return (
        [
            {"key": g, "payment_rows": int(r), "orders": int(o), "value": Decimal(v),
             "installments": int(i)}
            for g, r, o, v, i in rows if r
        ],
        int(total[0][1]) if total else 0,
    )


def domain_facts(conn: Connection) -> dict[str, object]:
    """Data range and the values present, for filter validation and the page's pickers."""
    row = conn.execute(text(
        "SELECT min(day), max(day) FROM agg_order_lite_d")).one()
    states = conn.execute(text(
        "SELECT DISTINCT state FROM agg_order_lite_m ORDER BY 1")).scalars().all()
    cats = conn.execute(text(
        "SELECT DISTINCT unnest(categories) FROM dim_catset ORDER BY 1")).scalars().all()
    pays = conn.execute(text(
        "SELECT DISTINCT unnest(types) FROM dim_payset ORDER BY 1")).scalars().all()
    sellers = conn.execute(text(
        "SELECT seller_id FROM dim_seller ORDER BY 1")).scalars().all()
    return {"min_day": row[0], "max_day": row[1], "states": tuple(states),
            "categories": tuple(cats), "payment_types": tuple(pays),
            "sellers": tuple(sellers)}
