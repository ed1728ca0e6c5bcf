"""The Brazilian retail calendar: the few days a year whose volume no smooth curve explains.

Why this exists: a yearly Fourier curve cannot follow a one-day spike such as Black Friday
(about 4x a normal day in the Olist data). Left unmodelled, the spike and the December
run-up bend the fitted seasonal curve and bias every projection, including windows that
contain no such day. Giving each event its own indicator lets the model absorb it; its size
is estimated from the data, never assumed.

The events are the usual ones of Brazilian e-commerce (Black Friday, the Christmas season,
New Year's Day, Mother's Day on the second Sunday of May and Father's Day on the second
Sunday of August) - the same real-world calendar the demo generator follows.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from loaders.retail_calendar import black_friday, second_sunday

#: Event names, in the order of the columns `event_indicators` returns.
EVENTS: tuple[str, ...] = (
    "black_friday_week", "black_friday", "cyber_days", "december_run_up", "christmas",
    "year_end", "new_year", "mothers_day", "fathers_day",
)


def event_indicators(days: pd.DatetimeIndex) -> np.ndarray:
    """0/1 matrix (len(days) x len(EVENTS)): which retail event each day belongs to.

    Consecutive days (what the models always pass) are answered from a small cache: one
    /impact call asks for the same ranges a hundred times.
    """
    days = pd.DatetimeIndex(days)
    consecutive = len(days) > 1 and days.is_monotonic_increasing and (
        (days[-1] - days[0]).days == len(days) - 1)
    if consecutive:
        return _range_indicators(days[0].value, len(days))
    return _indicators(days)


@lru_cache(maxsize=128)
def _range_indicators(first_ns: int, n: int) -> np.ndarray:
    out = _indicators(pd.date_range(pd.Timestamp(first_ns), periods=n, freq="D"))
    out.flags.writeable = False
    return out


def _indicators(days: pd.DatetimeIndex) -> np.ndarray:
    out = np.zeros((len(days), len(EVENTS)))
    if len(days) == 0:
        return out
    col = {name: i for i, name in enumerate(EVENTS)}
    years = days.year.to_numpy()
    month, dom = days.month.to_numpy(), days.day.to_numpy()
    ordinal = (days - pd.Timestamp("1970-01-01")).days.to_numpy()

    def per_year(fn) -> np.ndarray:
        found = {y: (pd.Timestamp(fn(int(y))) - pd.Timestamp("1970-01-01")).days
                 for y in np.unique(years)}
        return np.array([found[y] for y in years])

    bf = ordinal - per_year(black_friday)
    out[:, col["black_friday_week"]] = (bf >= -7) & (bf <= -1)
    out[:, col["black_friday"]] = bf == 0
    out[:, col["cyber_days"]] = (bf >= 1) & (bf <= 4)
    december = month == 12
    out[:, col["december_run_up"]] = december & (dom <= 23)
    out[:, col["christmas"]] = december & (dom >= 24) & (dom <= 25)
    out[:, col["year_end"]] = december & (dom >= 26)
    out[:, col["new_year"]] = (month == 1) & (dom == 1)
    for name, m in (("mothers_day", 5), ("fathers_day", 8)):
        before = per_year(lambda y, m=m: second_sunday(y, m)) - ordinal
        out[:, col[name]] = (before >= 1) & (before <= 10)
    return out
