"""`repeat_rate` worked out by hand on `datasets.returning()`, on both query paths.

The customers of that dataset (tests/datasets.py), by their sales orders:

- 301: 2020-03-02 SP (a health_beauty item of seller 401 and a sports_leisure item of
  seller 402, credit card and voucher), 2020-03-20 RJ and 2020-04-25 SP (sports_leisure,
  boleto); their 2020-04-01 SP order is canceled, so it is no sales order.
- 302: 2020-03-15 RJ (no category: `unknown`, boleto).
- 303: 2020-03-01 MG (sports_leisure, boleto), 2020-04-04 and twice on 2020-04-05, MG
  (health_beauty, credit card); their 2020-04-05 unavailable order has no items.
- 304: 2020-04-10 AM (two health_beauty items, credit card).

Every item but 301's sports_leisure one of 2020-03-02 is seller 401's.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from dashapp.filters import Filters
from dashapp.queries import fast, raw, report

S401, S402 = f"{401:032x}", f"{402:032x}"


@pytest.fixture(scope="module")
def returning_engine(pg_admin_url, template_db, tmp_path_factory):
    import datasets
    from conftest import fresh_database, loaded_engine

    folder = datasets.write(datasets.returning(), tmp_path_factory.mktemp("returning"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def _kpis(engine, f: Filters) -> dict:
    """The current KPIs, the same on both paths."""
    with engine.connect() as conn:
        answer = report.kpi_report(conn, f, fast)
        assert answer == report.kpi_report(conn, f, raw)
    return answer["current"]


def _view(start: str, end: str, **dims) -> Filters:
    return Filters(start=date.fromisoformat(start), end=date.fromisoformat(end),
                   **{k: tuple(v) for k, v in dims.items()})


# (filters, customers, repeating customers): who and why in the comment
CASES = [
    # 301 (3 sales orders) and 303 (4) repeat; 302 and 304 have one each
    (_view("2020-03-01", "2020-04-30"), 4, 2),
    # 303 bought twice on 2020-04-05: two orders in range, one day
    (_view("2020-04-05", "2020-04-05"), 1, 1),
    (_view("2020-04-05", "2020-04-30"), 3, 1),  # 301 (04-25 only), 303, 304
    (_view("2020-03-02", "2020-04-04"), 3, 1),  # 301 (03-02, 03-20), 302, 303 (04-04)
    # 303's 2020-04-04 order is in range, their others are not: one order, no repeat
    (_view("2020-03-02", "2020-04-04", states=["MG"]), 1, 0),
    (_view("2020-03-02", "2020-04-05", states=["MG"]), 1, 1),  # ... until 04-05 is in it
    # 301 in SP: 03-02 is a sales order, their 04-01 one is canceled (04-25 outside)
    (_view("2020-03-01", "2020-04-10", states=["SP"]), 1, 0),
    (_view("2020-03-01", "2020-04-30", states=["SP"]), 1, 1),  # 03-02 and 04-25
    (_view("2020-03-01", "2020-04-30", states=["RJ"]), 2, 0),  # 301 once in RJ, 302
    # under sports_leisure, 303's 03-01 order matches and their 04-04 one does not
    (_view("2020-03-01", "2020-04-04", states=["MG"], categories=["sports_leisure"]), 1, 0),
    (_view("2020-03-01", "2020-04-04", states=["MG"]), 1, 1),  # without it 303 repeats
    (_view("2020-03-01", "2020-04-04", categories=["sports_leisure"]), 2, 1),  # 301 does
    (_view("2020-03-01", "2020-04-30", categories=["sports_leisure"]), 2, 1),  # 301: 3 orders
    (_view("2020-04-05", "2020-04-30", categories=["health_beauty"]), 2, 1),  # 303 twice
    # one order holding both categories is one order: 301's 03-02, 303's 03-01
    (_view("2020-03-01", "2020-03-10", categories=["health_beauty", "sports_leisure"]), 2, 0),
    (_view("2020-03-01", "2020-04-30", categories=["health_beauty", "sports_leisure"]), 3, 2),
    (_view("2020-03-01", "2020-04-30", payment_types=["boleto"]), 3, 1),  # 301: 03-20, 04-25
    (_view("2020-03-01", "2020-04-30", payment_types=["credit_card"]), 3, 1),  # 303
    (_view("2020-03-01", "2020-04-30", payment_types=["boleto", "voucher"]), 3, 1),
    # 303's boleto order is sports_leisure, 301's are too: 301 twice, 303 once
    (_view("2020-03-01", "2020-04-30", categories=["sports_leisure"],
           payment_types=["boleto"]), 2, 1),
    (_view("2020-03-01", "2020-04-30", sellers=[S401]), 4, 2),
    (_view("2020-03-01", "2020-04-30", sellers=[S402]), 1, 0),  # 301's 03-02 order only
    # seller 402 sold 301 only sports_leisure, so 301 has no health_beauty item of theirs
    (_view("2020-03-01", "2020-04-30", sellers=[S402], categories=["health_beauty"]), 0, 0),
    (_view("2020-03-01", "2020-04-30", sellers=[S401], categories=["health_beauty"],
           payment_types=["credit_card"]), 3, 1),  # 301 and 304 once, 303 three times
]


@pytest.mark.parametrize(("f", "customers", "repeating"), CASES)
def test_repeat_rate_by_hand(returning_engine, f, customers, repeating):
    k = _kpis(returning_engine, f)
    assert k["customers"] == customers
    assert k["repeat_rate"] == (repeating / customers if customers else None)


def test_repeat_rate_is_null_without_customers(returning_engine):
    k = _kpis(returning_engine, _view("2020-05-01", "2020-05-31"))
    assert k["customers"] == 0 and k["repeat_rate"] is None


def test_repeat_rate_per_state_counts_orders_in_that_state(returning_engine):
    """A breakdown row is the view with that state added: 301's orders in SP and RJ are
    two and one, so 301 repeats in SP only."""
    f = _view("2020-03-01", "2020-04-30")
    with returning_engine.connect() as conn:
        rows = report.breakdown(conn, f, "state", fast)["rows"]
        assert rows == report.breakdown(conn, f, "state", raw)["rows"]
        regions = report.breakdown(conn, f, "region", fast)["rows"]
        assert regions == report.breakdown(conn, f, "region", raw)["rows"]
    rates = {r["key"]: (r["customers"], r["repeat_rate"]) for r in rows}
    assert rates == {"SP": (1, 1.0), "RJ": (2, 0.0), "MG": (1, 1.0), "AM": (1, 0.0)}
    # SE holds SP, RJ and MG: 301 (three orders there) and 303 repeat, 302 does not
    assert {r["key"]: r["repeat_rate"] for r in regions} == {"SE": 2 / 3, "N": 0.0}


def test_repeat_rate_growth(returning_engine):
    """Previous period of 2020-04-01..04-30 is March: 303 once (03-01) and 301 twice
    (03-02, 03-20), 302 once: 1/3. April: 301 once (04-25), 303 three times, 304: 1/3."""
    with returning_engine.connect() as conn:
        answer = report.kpi_report(conn, _view("2020-04-01", "2020-04-30"), fast)
    assert answer["current"]["repeat_rate"] == 1 / 3
    assert answer["previous"]["repeat_rate"] == 1 / 3
    assert answer["growth"]["repeat_rate"] == 0.0


def test_every_range_start_and_end_between_the_orders(returning_engine):
    """The fast path counts single-state customers at their first row in the range and
    asks whether a second one follows before `end`: every start and end around 303's
    and 301's orders, with and without one category or payment type."""
    days = [date(2020, 3, d) for d in (1, 2, 3, 19, 20, 21)] + \
        [date(2020, 4, d) for d in (3, 4, 5, 6, 24, 25, 26)]
    with returning_engine.connect() as conn:
        for start in days:
            for end in (d for d in days if d >= start):
                for dims in ({}, {"categories": ("health_beauty",)},
                             {"payment_types": ("credit_card",)}, {"states": ("MG",)}):
                    f = dataclasses.replace(Filters(**dims), start=start, end=end)
                    assert report.kpi_report(conn, f, fast) == report.kpi_report(conn, f, raw)
