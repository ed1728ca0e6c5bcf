"""The filter changes a user makes, replayed identically for every approach and size."""

from __future__ import annotations

import random
from datetime import date

from dashapp.filters import Domain, Filters
from dashapp.regions import BRAZIL


def scripted(domain: Domain) -> list[tuple[str, Filters]]:
    """The named views of the issue: no filter, one state, one category, ..."""
    top_category = "health_beauty" if "health_beauty" in domain.categories else \
        domain.categories[0]
    pay = "voucher" if "voucher" in domain.payment_types else domain.payment_types[0]
    assert domain.min_day and domain.max_day
    mid_year = domain.min_day.year + (domain.max_day.year - domain.min_day.year) // 2
    return [
        ("no filter", Filters()),
        ("one state", Filters(states=("SP",))),
        ("one category", Filters(categories=(top_category,))),
        ("state + category", Filters(states=("RJ",), categories=(top_category,))),
        ("payment type", Filters(payment_types=(pay,))),
        ("a month", Filters(start=date(mid_year, 4, 1), end=date(mid_year, 4, 30))),
        ("a year", Filters(start=date(mid_year, 1, 1), end=date(mid_year, 12, 31))),
        ("a long range", Filters(start=date(domain.min_day.year, 3, 10),
                                 end=date(domain.max_day.year, 10, 20))),
    ]


def random_views(domain: Domain, n: int = 50, seed: int = 2020) -> list[tuple[str, Filters]]:
    rnd = random.Random(seed)
    assert domain.min_day and domain.max_day
    span = (domain.max_day - domain.min_day).days
    out = []
    for i in range(n):
        a = rnd.randrange(span)
        b = min(span, a + rnd.choice([7, 30, 90, 180, 365, span]))
        start = domain.min_day.fromordinal(domain.min_day.toordinal() + a)
        end = domain.min_day.fromordinal(domain.min_day.toordinal() + b)
        pick = lambda values, k: tuple(sorted(rnd.sample(list(values), k)))  # noqa: E731
        f = Filters(
            start=start if rnd.random() < 0.7 else None,
            end=end if rnd.random() < 0.7 else None,
            states=pick(domain.states, rnd.choice([0, 0, 1, 2])),
            regions=pick(BRAZIL, rnd.choice([0, 0, 0, 1])),
            categories=pick(domain.categories, rnd.choice([0, 0, 1, 2])),
            payment_types=pick(domain.payment_types, rnd.choice([0, 0, 0, 1])),
        )
        out.append((f"random {i + 1}", f))
    return out
