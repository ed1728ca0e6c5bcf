"""Whole months inside a range of days: the part of a view that month tables answer.

Every fact has a day table and a month twin; a view reads its whole months from the twin
(about 30 times fewer rows) and only its edges from the days. Its own module because both
the shop-wide path (`queries.fast`) and the seller paths (`queries.sellercells`) split
ranges this way, and neither may import the other.
"""

from __future__ import annotations

from datetime import date, timedelta


def _first_of_next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def month_span(start: date, end: date) -> tuple[date, date] | None:
    """[m0, m1): the whole months inside [start, end], or None when there are none."""
    m0 = start if start.day == 1 else _first_of_next_month(start)
    m1 = _first_of_next_month(end)
    if end != m1 - timedelta(days=1):
        m1 = date(end.year, end.month, 1)
    return (m0, m1) if m0 < m1 else None
