"""Brazil's retail calendar: the dates the demo generator gives peaks to and the insight
models treat as known events, computed in one place so both agree."""

from __future__ import annotations

from datetime import date, timedelta


def black_friday(year: int) -> date:
    """The Friday after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def second_sunday(year: int, month: int) -> date:
    """Mother's Day (May) and Father's Day (August) in Brazil."""
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)
