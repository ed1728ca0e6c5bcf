"""Series for the insight models, read through the query layer (no SQL of its own).

Why a module of its own: the models are pure functions over pandas objects, and this is
the one place that turns the query layer's exact sums (Decimal money, per-period
`OrderSums`) into the float series they take. Periods without any order are absent from
the query results; here they become explicit zeros, because to a model a missing day and a
day without sales are different things.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection

from ..filters import Filters
from ..metrics import OrderSums
from ..queries import fast

#: Columns of `period_frame`, all additive (rates are derived after any aggregation).
COLUMNS = ("sales", "orders", "all_orders", "unavailable", "canceled", "deliv_n",
           "ontime_n", "deliv_days")


def _row(s: OrderSums) -> dict[str, float]:
    return {"sales": float(s.sales), "orders": s.orders, "all_orders": s.all_orders,
            "unavailable": s.unavailable, "canceled": s.canceled, "deliv_n": s.deliv_n,
            "ontime_n": s.ontime_n, "deliv_days": float(s.deliv_seconds) / 86400.0}


def _index(start: date, end: date, grain: str) -> pd.DatetimeIndex:
    if grain == "day":
        return pd.date_range(start, end, freq="D")
    if grain == "week":
        first = pd.Timestamp(start) - pd.Timedelta(days=start.weekday())
        return pd.date_range(first, end, freq="7D")
    return pd.date_range(pd.Timestamp(start).replace(day=1), end, freq="MS")


def period_frame(conn: Connection, filters: Filters, grain: str) -> pd.DataFrame:
    """Additive sums per period (day, week starting Monday, or month) over the filters'
    resolved date range, every period present (zeros where there were no orders)."""
    assert filters.start and filters.end, "resolve() the filters first"
    sums = fast.order_sums(conn, filters, grain, with_customers=False)
    frame = pd.DataFrame(
        [_row(s) for s in sums.values()],
        index=pd.DatetimeIndex([pd.Timestamp(k) for k in sums]),
        columns=list(COLUMNS),
    )
    frame = frame.reindex(_index(filters.start, filters.end, grain), fill_value=0)
    return frame.astype(float)


def daily(conn: Connection, filters: Filters) -> pd.DataFrame:
    return period_frame(conn, filters, "day")


def category_daily(conn: Connection, filters: Filters, category: str) -> pd.DataFrame:
    """Daily `sales` and `orders` of ONE category (METRICS.md: its items' sales, and the
    sales orders having an item of it), every day of the range present.

    Why not ``period_frame`` with the category filter: that goes through the order rollup
    joined to category sets and costs ~10x more, and /impact reads a dozen categories.
    For a single category the item rollup has both figures exactly (its ``n_orders`` is
    counted per order and category); tests/test_insight.py holds the two paths equal.
    """
    assert filters.start and filters.end
    f = filters.with_values("category", [category])
    rows = fast.item_sales_orders(conn, f, "day")
    frame = pd.DataFrame([(float(s), float(n)) for _, s, n in rows],
                         index=pd.DatetimeIndex([pd.Timestamp(g) for g, _, _ in rows]),
                         columns=["sales", "orders"])
    return frame.reindex(_index(filters.start, filters.end, "day"), fill_value=0.0)


def monthly(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Monthly sums of the WHOLE calendar months inside the filters' range only.

    A month cut by the range (the data's last, partial month, or a filter ending on the
    15th) would look like a collapse to a forecaster, so it is left out.
    """
    assert filters.start and filters.end
    frame = period_frame(conn, filters, "month")
    first_whole = pd.Timestamp(filters.start) if filters.start.day == 1 else (
        pd.Timestamp(filters.start) + pd.offsets.MonthBegin(1))
    last_day = pd.Timestamp(filters.end)
    last_whole = last_day.replace(day=1) if last_day.is_month_end else (
        last_day.replace(day=1) - pd.offsets.MonthBegin(1))
    return frame[(frame.index >= first_whole) & (frame.index <= last_whole)]


def top_categories(conn: Connection, filters: Filters, n: int) -> list[str]:
    """The n categories with the most sales under the filters (ties: more orders, name)."""
    rows = fast.category_rows(conn, filters)
    rows.sort(key=lambda r: (-r["sales"], -r["orders"], r["key"]))
    return [r["key"] for r in rows[:n]]


def top_states(conn: Connection, filters: Filters, n: int) -> list[str]:
    """The n customer states with the most sales under the filters."""
    sums = fast.order_sums(conn, filters, "state", with_customers=False)
    ranked = sorted(sums.items(), key=lambda kv: (-kv[1].sales, -kv[1].orders, str(kv[0])))
    return [str(k) for k, s in ranked[:n] if s.orders]


def top_groups(conn: Connection, filters: Filters, dim: str, n: int) -> list[str]:
    if dim == "category":
        return top_categories(conn, filters, n)
    if dim == "state":
        return top_states(conn, filters, n)
    raise ValueError(f"unknown dimension {dim!r}")
