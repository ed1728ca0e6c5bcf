"""Whole months inside a range of days: the part of a view that month tables answer.

Every fact has a day table and a month twin; a view reads its whole months from the twin
(about 30 times fewer rows) and only its edges from the days. Its own module because both
the shop-wide path (`queries.fast`) and the seller paths (`queries.sellercells`) split
ranges this way, and neither may import the other.
"""

from __future__ import annotations

from datetime import date, timedelta

#: The days of a range outside its whole months, as two ranges of `day`: an index on day
#: (or on a dimension, then day) reads those days alone. Written as one range with
#: "AND (day < :m0 OR day >= :m1)" beside it, the planner read every day of the range and
#: dropped the whole months' (82k rows to keep 463 for half a year at 1M orders).
EDGE_DAYS = "((day >= :start AND day < :m0) OR (day >= :m1 AND day <= :end))"


def _first_of_next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def month_span(start: date, end: date) -> tuple[date, date] | None:
    """[m0, m1): the whole months inside [start, end], or None when there are none."""
    m0 = start if start.day == 1 else _first_of_next_month(start)
    m1 = _first_of_next_month(end)
    if end != m1 - timedelta(days=1):
        m1 = date(end.year, end.month, 1)
    return (m0, m1) if m0 < m1 else None
