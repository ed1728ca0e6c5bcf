"""METRICS.md as pure functions: sums in, metrics out.

The query layer fetches additive sums (from rollups or raw tables) and these
functions do the arithmetic, so every caller gets the same definitions: exact
decimals for money, `None` where a denominator is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal

KPI_FIELDS = (
    "sales", "freight", "revenue", "orders", "items", "aov", "items_per_order", "customers",
    "new_customers", "repeat_rate", "payments", "avg_review", "on_time_rate", "avg_delivery_days",
    "canceled_rate", "unavailable_rate",
)
MONEY_FIELDS = frozenset({"sales", "freight", "revenue", "aov", "payments"})
ZERO = Decimal(0)


@dataclass(frozen=True)
class OrderSums:
    """Additive sums for one filter and period (or one breakdown row)."""

    orders: int = 0
    sales: Decimal = ZERO
    freight: Decimal = ZERO
    items: int = 0
    payments: Decimal = ZERO
    review_sum: int = 0
    review_n: int = 0
    deliv_n: int = 0
    ontime_n: int = 0
    deliv_seconds: Decimal = ZERO
    customers: int = 0
    new_customers: int = 0
    #: of `customers`, those with at least two matching sales orders in the range
    repeat_customers: int = 0
    all_orders: int = 0
    canceled: int = 0
    unavailable: int = 0

    def replace(self, **changes) -> OrderSums:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return OrderSums(**values)


def ratio(num: float | int | Decimal, den: float | int | Decimal) -> float | None:
    return None if not den else float(num) / float(den)


def kpis(s: OrderSums) -> dict[str, Decimal | int | float | None]:
    """The KPI set of METRICS.md, keyed by its API field names."""
    return {
        "sales": s.sales,
        "freight": s.freight,
        "revenue": s.sales + s.freight,
        "orders": s.orders,
        "items": s.items,
        "aov": (s.sales / s.orders) if s.orders else None,
        "items_per_order": ratio(s.items, s.orders),
        "customers": s.customers,
        "new_customers": s.new_customers,
        "repeat_rate": ratio(s.repeat_customers, s.customers),
        "payments": s.payments,
        "avg_review": ratio(s.review_sum, s.review_n),
        "on_time_rate": ratio(s.ontime_n, s.deliv_n),
        "avg_delivery_days": (
            float(s.deliv_seconds / s.deliv_n / 86400) if s.deliv_n else None
        ),
        "canceled_rate": ratio(s.canceled, s.all_orders),
        "unavailable_rate": ratio(s.unavailable, s.all_orders),
    }


def change(current: float | int | Decimal | None,
           previous: float | int | Decimal | None) -> float | None:
    """(current - previous) / previous; None when previous is 0 or missing."""
    if current is None or previous is None or previous == 0:
        return None
    return float((Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous)))


def growth(current: dict, previous: dict) -> dict[str, float | None]:
    return {k: change(current.get(k), previous.get(k)) for k in KPI_FIELDS}


def month_before(d: date) -> date:
    return date(d.year - 1, 12, 1) if d.month == 1 else date(d.year, d.month - 1, 1)


def year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def previous_period(period: date, grain: str) -> date:
    if grain == "month":
        return month_before(period)
    return period - timedelta(days=7 if grain == "week" else 1)


def same_period_last_year(period: date, grain: str) -> date:
    if grain == "week":
        return period - timedelta(weeks=52)
    return year_before(period)


def period_start(day: date, grain: str) -> date:
    """The first day of the period holding `day`, as PostgreSQL's date_trunc gives it
    (weeks start on Monday), so Python and SQL name the same periods."""
    if grain == "month":
        return day.replace(day=1)
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return day


def reference_span(start: date, end: date, grain: str, floor: date) -> tuple[date, date] | None:
    """[first, last] days of the whole periods the points of [start, end] compare with.

    From a year before the first point's period to the day before the last point's
    period: every previous and year-before period lies inside, and each one is whole
    (a reference period counts all its days, even when the point counts fewer).
    `floor` (a Monday and a month's first day) keeps the read inside the valid dates;
    periods before it cannot hold data. None when no reference period can exist."""
    first = max(same_period_last_year(period_start(start, grain), grain), floor)
    last = period_start(end, grain) - timedelta(days=1)
    return (first, last) if first <= last else None


def with_changes(points: list[dict], grain: str,
                 reference: Mapping[date, Decimal]) -> list[dict]:
    """Add `mom` (vs the period before) and `yoy` (vs a year before) of `sales` to points.

    `reference` holds the sales of whole periods with matching orders, read apart from
    the points: a comparison period may lie before `start`, and a point at the range's
    edge counts only part of its period while as a reference it counts whole
    (METRICS.md). A period absent from it has no matching orders, so its change is None.
    """
    out = []
    for p in points:
        prev = reference.get(previous_period(p["period_date"], grain))
        last_year = reference.get(same_period_last_year(p["period_date"], grain))
        out.append({
            **p,
            "mom": change(p["sales"], prev),
            "yoy": change(p["sales"], last_year),
        })
    return out


def period_label(period: date, grain: str) -> str:
    return period.strftime("%Y-%m") if grain == "month" else period.isoformat()
