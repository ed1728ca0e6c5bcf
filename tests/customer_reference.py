"""Cohorts, segments and lateness computed in plain Python from the raw tables, straight
from docs/METRICS.md: an independent reference for both SQL paths (which share their
aggregation SQL and differ only in where the matching orders come from)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, text

from dashapp.filters import Filters
from dashapp.queries.customers import BUCKETS, SEGMENTS, month_start
from dashapp.queries.raw import CATEGORY


@dataclass
class Order:
    person: str
    ts: datetime
    state: str
    status: str
    days_late: int | None
    items: list[tuple[str, str, Decimal]]  # category, seller, price
    pays: set[str]
    scores: list[int]


def load(engine: Engine) -> dict[str, Order]:
    with engine.connect() as conn:
        out = {r.order_id: Order(r.person, r.ts, r.state, r.order_status, r.days_late,
                                 [], set(), [])
               for r in conn.execute(text(
                   "SELECT o.order_id, c.customer_unique_id AS person, "
                   "o.order_purchase_timestamp AS ts, c.customer_state AS state, "
                   "o.order_status, o.order_delivered_customer_date::date "
                   "- o.order_estimated_delivery_date::date AS days_late "
                   "FROM orders o JOIN customers c ON c.customer_id = o.customer_id"))}
        for order_id, category, seller, price in conn.execute(text(
                f"SELECT i.order_id, {CATEGORY}, i.seller_id, i.price FROM order_items i "
                "JOIN products p ON p.product_id = i.product_id "
                "LEFT JOIN product_category_name_translation t "
                "ON t.product_category_name = p.product_category_name")):
            out[order_id].items.append((category, seller, price))
        for order_id, kind in conn.execute(text(
                "SELECT order_id, payment_type FROM order_payments")):
            out[order_id].pays.add(kind)
        for order_id, score in conn.execute(text(
                "SELECT order_id, review_score FROM order_reviews")):
            out[order_id].scores.append(score)
    return out


def _is_sale(o: Order) -> bool:
    return o.status not in ("canceled", "unavailable") and bool(o.items)


def first_orders(data: dict[str, Order]) -> dict[str, str]:
    """person -> order id of their first sales order (time, then id in byte order)."""
    best: dict[str, tuple[datetime, bytes, str]] = {}
    for order_id, o in data.items():
        if _is_sale(o):
            key = (o.ts, order_id.encode(), order_id)
            if o.person not in best or key < best[o.person]:
                best[o.person] = key
    return {p: k[2] for p, k in best.items()}


def counted_sales(o: Order, f: Filters) -> Decimal | None:
    """Sales of the counted items when the sales order matches f's non-date filters."""
    if not _is_sale(o):
        return None
    states = f.effective_states()
    if states is not None and o.state not in states:
        return None
    if f.payment_types and not o.pays & set(f.payment_types):
        return None
    items = [price for category, seller, price in o.items
             if (not f.categories or category in f.categories)
             and (not f.sellers or seller in f.sellers)]
    return sum(items, Decimal(0)) if items else None


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def cohorts(data: dict[str, Order], f: Filters) -> dict[str, list[int]]:
    assert f.start and f.end
    firsts = first_orders(data)
    members: dict[str, date] = {}
    for person, order_id in firsts.items():
        o = data[order_id]
        cohort = month_start(o.ts.date())
        if month_start(f.start) <= cohort <= f.end and counted_sales(o, f) is not None:
            members[person] = cohort
    active: dict[date, list[set[str]]] = {
        c: [set() for _ in range(_months(c, f.end) + 1)] for c in set(members.values())}
    for o in data.values():
        cohort = members.get(o.person)
        if cohort is None or counted_sales(o, f) is None:
            continue
        k = _months(cohort, o.ts.date())
        if 0 <= k <= _months(cohort, f.end):
            active[cohort][k].add(o.person)
    return {c.strftime("%Y-%m"): [len(s) for s in ks] for c, ks in sorted(active.items())}


def segments(data: dict[str, Order], f: Filters) -> dict[str, tuple]:
    assert f.start and f.end
    per: dict[str, list] = defaultdict(lambda: [0, None, Decimal(0)])
    for o in data.values():
        sales = counted_sales(o, f)
        if sales is None or not f.start <= o.ts.date() <= f.end:
            continue
        row = per[o.person]
        row[0] += 1
        row[1] = max(row[1] or o.ts.date(), o.ts.date())
        row[2] += sales
    out = {s: [0, 0, Decimal(0), 0] for s in SEGMENTS}
    for n, last, sales in per.values():
        r = (f.end - last).days
        name = (("loyal" if r <= 180 else "at_risk") if n >= 2 else
                "new" if r <= 90 else "one_time" if r <= 365 else "lost")
        acc = out[name]
        acc[0] += 1
        acc[1] += n
        acc[2] += sales
        acc[3] += r
    return {s: (c, n, sales, r / c if c else None) for s, (c, n, sales, r) in out.items()}


def lateness(data: dict[str, Order], f: Filters) -> dict[str, tuple]:
    assert f.start and f.end
    acc = {b: [0, 0, 0] for b in BUCKETS}  # orders, reviews, low reviews
    sums = {b: 0 for b in BUCKETS}
    for o in data.values():
        if o.days_late is None or counted_sales(o, f) is None \
                or not f.start <= o.ts.date() <= f.end:
            continue
        d = o.days_late
        name = ("early_7+" if d <= -7 else "early_1_6" if d < 0 else "on_time" if d == 0
                else "late_1_3" if d <= 3 else "late_4_7" if d <= 7 else "late_8_14"
                if d <= 14 else "late_15+")
        acc[name][0] += 1
        acc[name][1] += len(o.scores)
        acc[name][2] += sum(1 for s in o.scores if s <= 2)
        sums[name] += sum(o.scores)
    return {b: (n, sums[b] / r if r else None, low / r if r else None)
            for b, (n, r, low) in acc.items()}
