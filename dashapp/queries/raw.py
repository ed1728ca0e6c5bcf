"""The plain path: every number straight from the raw Olist tables, per METRICS.md.

Joins and GROUP BYs at query time, written to be obviously right rather than
fast: it is what tests hold the rollup path equal to, and the baseline the
benchmark compares against (what a BI tool re-running SQL per card does).
It returns the same shapes as `queries.fast`.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, text

from ..filters import Filters
from ..metrics import ZERO, OrderSums
from ..regions import region_case_sql

CATEGORY = "coalesce(t.product_category_name_english, p.product_category_name, 'unknown')"
GROUPS = {
    None: "NULL::text",
    "state": "b.state",
    "region": region_case_sql("b.state"),
    "month": "date_trunc('month', b.ts)::date",
    "week": "date_trunc('week', b.ts)::date",
    "day": "b.ts::date",
}

_ITEMS = f"""
    SELECT i.order_id, i.seller_id, i.price, i.freight_value, {CATEGORY} AS category
    FROM order_items i
    JOIN products p ON p.product_id = i.product_id
    LEFT JOIN product_category_name_translation t
           ON t.product_category_name = p.product_category_name
"""


def _plain_plans(conn: Connection) -> None:
    """Hash joins for whole-table work: the planner cannot estimate filters on the computed
    category, and its nested loops over them took minutes. This only helps the baseline."""
    conn.execute(text("SET LOCAL enable_nestloop = off"))
    conn.execute(text("SET LOCAL work_mem = '64MB'"))


def _item_cond(filters: Filters) -> str:
    """Which items count (`x` a row of `cat_items`): one item must be in a selected
    category AND sold by a selected seller, not the order as a whole."""
    conds = []
    if filters.categories:
        conds.append("x.category = ANY(:cats)")
    if filters.sellers:
        conds.append("x.seller_id = ANY(:sellers)")
    return " AND ".join(conds) or "TRUE"


def _base(filters: Filters) -> tuple[str, dict]:
    """CTEs: `base` = every order matching the filters (any status); `sales` = sales orders."""
    params: dict[str, object] = {"start": filters.start, "end": filters.end}
    where = ["o.order_purchase_timestamp::date BETWEEN :start AND :end"]
    states = filters.effective_states()
    if states is not None:
        where.append("c.customer_state = ANY(:states)")
        params["states"] = list(states)
    if filters.categories or filters.sellers:
        where.append("o.order_id IN (SELECT x.order_id FROM cat_items x "
                     f"WHERE {_item_cond(filters)})")
        params["cats"] = list(filters.categories)
        params["sellers"] = list(filters.sellers)
    if filters.payment_types:
        where.append("o.order_id IN (SELECT pp.order_id FROM order_payments pp "
                     "WHERE pp.payment_type = ANY(:pays))")
        params["pays"] = list(filters.payment_types)
    sql = f"""
    WITH cat_items AS NOT MATERIALIZED ({_ITEMS}),
    with_items AS NOT MATERIALIZED (SELECT DISTINCT order_id FROM order_items),
    base AS NOT MATERIALIZED (
        SELECT o.order_id, o.order_status, o.order_purchase_timestamp AS ts,
               o.order_delivered_customer_date AS delivered,
               o.order_estimated_delivery_date AS estimated,
               c.customer_unique_id AS person, c.customer_state AS state,
               (w.order_id IS NOT NULL) AS has_items
        FROM orders o
        JOIN customers c ON c.customer_id = o.customer_id
        LEFT JOIN with_items w ON w.order_id = o.order_id
        WHERE {' AND '.join(where)}
    ),
    sales AS NOT MATERIALIZED (
        SELECT * FROM base b
        WHERE b.order_status NOT IN ('canceled', 'unavailable') AND b.has_items
    ),
    first_sale AS NOT MATERIALIZED (
        SELECT c.customer_unique_id AS person, min(o.order_purchase_timestamp::date) AS first_day
        FROM orders o
        JOIN customers c ON c.customer_id = o.customer_id
        JOIN with_items w ON w.order_id = o.order_id
        WHERE o.order_status NOT IN ('canceled', 'unavailable')
        GROUP BY c.customer_unique_id
    )
    """
    return sql, params


def order_sums(conn: Connection, filters: Filters, group: str | None = None,
               with_customers: bool = True) -> dict[object, OrderSums]:
    _plain_plans(conn)
    ctes, params = _base(filters)
    g = GROUPS[group]
    cat_cond = _item_cond(filters)
    queries = {
        "orders": f"""SELECT {g}, count(*), count(DISTINCT b.person),
                      count(DISTINCT b.person) FILTER (WHERE f.first_day BETWEEN :start AND :end)
                      FROM sales b JOIN first_sale f ON f.person = b.person GROUP BY 1""",
        # customers with two or more matching sales orders in the range
        "repeat": f"""SELECT g, count(*) FILTER (WHERE n >= 2)
                      FROM (SELECT {g} AS g, b.person, count(*) AS n FROM sales b
                            GROUP BY 1, 2) per_person GROUP BY 1""",
        "items": f"""SELECT {g}, sum(x.price), sum(x.freight_value), count(*)
                     FROM sales b JOIN cat_items x ON x.order_id = b.order_id
                     WHERE {cat_cond} GROUP BY 1""",
        "payments": f"""SELECT {g}, sum(p.payment_value)
                        FROM sales b JOIN order_payments p ON p.order_id = b.order_id
                        GROUP BY 1""",
        "reviews": f"""SELECT {g}, sum(r.review_score), count(*)
                       FROM sales b JOIN order_reviews r ON r.order_id = b.order_id GROUP BY 1""",
        "delivery": f"""SELECT {g}, count(*),
                        count(*) FILTER (WHERE b.delivered::date <= b.estimated::date),
                        sum(extract(epoch FROM b.delivered - b.ts))
                        FROM sales b
                        WHERE b.delivered IS NOT NULL AND b.estimated IS NOT NULL GROUP BY 1""",
        "status": f"""SELECT {g}, count(*),
                      count(*) FILTER (WHERE b.order_status = 'canceled'),
                      count(*) FILTER (WHERE b.order_status = 'unavailable')
                      FROM base b GROUP BY 1""",
    }
    res = {k: {r[0]: r[1:] for r in conn.execute(text(ctes + q), params).all()}
           for k, q in queries.items()}
    out: dict[object, OrderSums] = {}
    for key in set(res["orders"]) | set(res["status"]):
        orders = res["orders"].get(key, (0, 0, 0))
        items = res["items"].get(key, (ZERO, ZERO, 0))
        reviews = res["reviews"].get(key, (0, 0))
        delivery = res["delivery"].get(key, (0, 0, ZERO))
        status = res["status"].get(key, (0, 0, 0))
        out[key] = OrderSums(
            orders=int(orders[0]), customers=int(orders[1]), new_customers=int(orders[2]),
            repeat_customers=int(res["repeat"].get(key, (0,))[0]),
            sales=Decimal(items[0] or 0), freight=Decimal(items[1] or 0), items=int(items[2]),
            payments=Decimal(res["payments"].get(key, (ZERO,))[0] or 0),
            review_sum=int(reviews[0] or 0), review_n=int(reviews[1]),
            deliv_n=int(delivery[0]), ontime_n=int(delivery[1]),
            deliv_seconds=Decimal(delivery[2] or 0),
            all_orders=int(status[0]), canceled=int(status[1]), unavailable=int(status[2]),
        )
    return out


def category_rows(conn: Connection, filters: Filters) -> list[dict]:
    _plain_plans(conn)
    ctes, params = _base(filters)
    cat_cond = _item_cond(filters)
    rows = conn.execute(text(ctes + f"""
        SELECT x.category, sum(x.price), sum(x.freight_value), count(*),
               count(DISTINCT x.order_id)
        FROM sales b JOIN cat_items x ON x.order_id = b.order_id
        WHERE {cat_cond} GROUP BY 1"""), params).all()
    return [{"key": k, "sales": Decimal(s), "freight": Decimal(f), "items": int(n),
             "orders": int(o)} for k, s, f, n, o in rows]


def payment_rows(conn: Connection, filters: Filters) -> tuple[list[dict], int]:
    _plain_plans(conn)
    ctes, params = _base(filters)
    rows = conn.execute(text(ctes + """
        SELECT p.payment_type, count(*), count(DISTINCT p.order_id), sum(p.payment_value),
               sum(p.payment_installments)
        FROM sales b JOIN order_payments p ON p.order_id = b.order_id GROUP BY 1"""),
        params).all()
    total = conn.execute(text(ctes + "SELECT count(*) FROM sales"), params).scalar_one()
    return (
        [{"key": k, "payment_rows": int(r), "orders": int(o), "value": Decimal(v),
          "installments": int(i)} for k, r, o, v, i in rows],
        int(total),
    )
