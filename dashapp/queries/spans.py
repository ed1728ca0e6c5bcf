"""Whole months inside a range of days: the part of a view that month tables answer.

Every fact has a day table and a month twin; a view reads its whole months from the twin
(about 30 times fewer rows) and only its edges from the days. Its own module because both
the shop-wide path (`queries.fast`) and the seller paths (`queries.sellercells`,
`queries.sellerfilter`) split ranges this way, and neither may import the other:
`span_rows` writes the split once for all of them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..filters import Filters

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


def span_rows(day_t: str, month_t: str, dims: str, filters: Filters, params: dict[str, Any],
              by_day: bool = False, columns: str = "*") -> str:
    """`columns` of a day table and its month twin (`day` the month's first) over the
    filters' range: whole months from the twin, the edge days from the days (the days
    alone when `by_day`, or when the range holds no whole month)."""
    assert filters.start and filters.end, "resolve() the filters first"
    params["start"], params["end"] = filters.start, filters.end
    span = None if by_day else month_span(filters.start, filters.end)
    if span is None:
        return f"SELECT {columns} FROM {day_t} WHERE day BETWEEN :start AND :end AND {dims}"
    params["m0"], params["m1"] = span
    return (f"SELECT {columns} FROM {month_t} WHERE day >= :m0 AND day < :m1 AND {dims} "
            f"UNION ALL SELECT {columns} FROM {day_t} WHERE {EDGE_DAYS} AND {dims}")
