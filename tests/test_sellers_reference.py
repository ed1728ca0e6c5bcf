"""Property: for any filters, the seller breakdown's SQL (both paths: the seller rollups
and the raw tables) equals a plain Python reading of docs/METRICS.md ("Sellers") over the
same raw rows, exactly: money as Decimal, counts as ints, ratios from the same integers.

The reference is written the obvious way (every order, every item, in loops), so the two
share nothing but the definitions. Run on the demo data (4,000 orders, many sellers,
orders of several sellers) and on the hand-made dataset of tests/test_sellers.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

import datasets
import pytest
from conftest import fresh_database, loaded_engine
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from test_fast_equals_raw import SETTINGS, filters_strategy

from dashapp.filters import Filters
from dashapp.queries import report, sellers
from dashapp.queries.raw import CATEGORY


@dataclass
class Order:
    status: str
    ts: datetime
    state: str
    carrier: datetime | None
    pay_types: set[str] = field(default_factory=set)
    scores: list[int] = field(default_factory=list)
    items: list[tuple[str, Decimal, Decimal, datetime | None, str]] = field(
        default_factory=list)


def read_rows(engine) -> tuple[dict[str, Order], dict[str, str | None]]:
    """Every order with its items (seller, price, freight, limit, category), payment
    types and review scores; and every seller's state."""
    with engine.connect() as conn:
        orders = {r[0]: Order(r[1], r[2], r[3], r[4]) for r in conn.execute(text(
            "SELECT o.order_id, o.order_status, o.order_purchase_timestamp, "
            "c.customer_state, o.order_delivered_carrier_date "
            "FROM orders o JOIN customers c ON c.customer_id = o.customer_id"))}
        for order_id, *item in conn.execute(text(
                f"SELECT i.order_id, i.seller_id, i.price, i.freight_value, "
                f"i.shipping_limit_date, {CATEGORY} FROM order_items i "
                f"JOIN products p ON p.product_id = i.product_id "
                f"LEFT JOIN product_category_name_translation t "
                f"ON t.product_category_name = p.product_category_name")):
            orders[order_id].items.append(tuple(item))
        for order_id, kind in conn.execute(text(
                "SELECT order_id, payment_type FROM order_payments")):
            orders[order_id].pay_types.add(kind)
        for order_id, score in conn.execute(text(
                "SELECT order_id, review_score FROM order_reviews")):
            orders[order_id].scores.append(score)
        states = dict(conn.execute(text("SELECT seller_id, seller_state FROM sellers")).all())
    return orders, states


def reference(orders: dict[str, Order], states: dict[str, str | None], f: Filters) -> list:
    """The breakdown as METRICS.md words it, sorted by sales desc, then seller id."""
    allowed = f.effective_states()
    acc: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    for order in orders.values():
        if not f.start <= order.ts.date() <= f.end:
            continue
        if allowed is not None and order.state not in allowed:
            continue
        if f.payment_types and not order.pay_types & set(f.payment_types):
            continue
        by_seller: dict[str, list] = defaultdict(list)
        for item in order.items:
            by_seller[item[0]].append(item)
        for seller, items in by_seller.items():
            counted = [i for i in items
                       if (not f.categories or i[4] in f.categories)
                       and (not f.sellers or i[0] in f.sellers)]
            if not counted:
                continue
            a = acc[seller]
            a["all"] += 1
            a["canceled"] += order.status == "canceled"
            if order.status in ("canceled", "unavailable"):
                continue
            a["orders"] += 1
            a["sales"] += sum((i[1] for i in counted), Decimal(0))
            a["freight"] += sum((i[2] for i in counted), Decimal(0))
            a["items"] += len(counted)
            a["review_sum"] += sum(order.scores)
            a["review_n"] += len(order.scores)
            if order.carrier is not None:
                a["shipped"] += 1
                limits = [i[3] for i in items if i[3] is not None]
                a["late"] += bool(limits) and order.carrier > max(limits)
    rows = [{
        "key": seller, "seller_state": states.get(seller),
        "sales": Decimal(a["sales"]), "freight": Decimal(a["freight"]), "items": a["items"],
        "orders": a["orders"], "aov": Decimal(a["sales"]) / a["orders"],
        "avg_review": a["review_sum"] / a["review_n"] if a["review_n"] else None,
        "late_shipping_rate": a["late"] / a["shipped"] if a["shipped"] else None,
        "canceled_rate": a["canceled"] / a["all"],
    } for seller, a in acc.items() if a["orders"]]
    rows.sort(key=lambda r: (-r["sales"], r["key"].encode()))
    return rows


def with_sellers_strategy(domain, busy: list[str]) -> st.SearchStrategy[Filters]:
    """The usual random filters, plus sometimes a few sellers (often busy ones)."""
    picks = st.lists(st.sampled_from(busy + list(domain.sellers[:20])), max_size=3,
                     unique=True)
    return st.builds(lambda f, chosen: replace(f, sellers=tuple(sorted(chosen))),
                     filters_strategy(domain),
                     st.one_of(st.just([]), st.just([]), picks))


def check(engine, data, f: Filters) -> None:
    """Both paths (the rollups and the raw tables) equal the reference."""
    orders, states = data
    expected = reference(orders, states, f)
    for path in sellers.PATHS:
        with engine.begin() as conn:
            found = sellers.seller_rows(conn, f, limit=None, path=path)
        assert found["rows"] == expected, path
        assert found["total"] == len(expected), path
        # pages: the first, the last, one past the end (the fast path ranks every seller
        # by sales first and sums the rest for the page's sellers only)
        for limit, offset in ((3, 0), (2, max(len(expected) - 1, 0)), (5, len(expected) + 5)):
            with engine.begin() as conn:
                page = sellers.seller_rows(conn, f, limit=limit, offset=offset, path=path)
            assert page["rows"] == expected[offset:offset + limit], (path, limit, offset)
            assert page["total"] == len(expected), (path, limit, offset)


def _setup(engine):
    with engine.connect() as conn:
        domain = report.load_domain(conn)
        busy = list(conn.execute(text(
            "SELECT seller_id FROM order_items GROUP BY 1 ORDER BY count(*) DESC, 1 "
            "LIMIT 5")).scalars())
    return domain, busy, read_rows(engine)


def test_sql_equals_reference_on_demo_data(demo_engine):
    domain, busy, data = _setup(demo_engine)

    @settings(max_examples=40, **SETTINGS)
    @given(with_sellers_strategy(domain, busy))
    def prop(f: Filters) -> None:
        check(demo_engine, data, f)

    prop()
    check(demo_engine, data, Filters().resolve(domain))  # everything, at least once


@pytest.fixture(scope="module")
def hand_engine(pg_admin_url, template_db, tmp_path_factory):
    folder = datasets.write(datasets.with_sellers(), tmp_path_factory.mktemp("sellers"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def test_sql_equals_reference_on_hand_made_data(hand_engine):
    domain, busy, data = _setup(hand_engine)

    @settings(max_examples=40, **SETTINGS)
    @given(with_sellers_strategy(domain, busy))
    def prop(f: Filters) -> None:
        check(hand_engine, data, f)

    prop()
