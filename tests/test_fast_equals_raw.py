"""Property: for any filter combination, the rollup path equals the raw-table path.

Exactly equal, not approximately: money is compared as Decimal, counts as ints,
and ratios come from the same pure functions over equal sums.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from dashapp.filters import Filters
from dashapp.metrics import period_label, period_start
from dashapp.queries import fast, raw, report, sellers
from dashapp.regions import BRAZIL

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
                derandomize=True)


def filters_strategy(domain) -> st.SearchStrategy[Filters]:
    span = (domain.max_day - domain.min_day).days

    @st.composite
    def build(draw) -> Filters:
        a = draw(st.integers(-40, span + 40))
        length = draw(st.sampled_from([1, 7, 30, 31, 45, 92, 365, span + 1]))
        start = domain.min_day + timedelta(days=a)
        end = start + timedelta(days=length - 1)
        if draw(st.booleans()):  # sometimes whole months, which the fast path reads by month
            start = start.replace(day=1)
        if draw(st.booleans()):  # ... and ending on a month's last day: with a start on the
            # 1st, whole calendar months, whose previous period is whole months too
            end = _month_end(end)
        subset = lambda values, n: draw(  # noqa: E731
            st.lists(st.sampled_from(list(values)), max_size=n, unique=True)
            if values else st.just([]))
        # about half the examples filter by sellers (alone or with any other kind), which
        # the fast path answers from its own table; the rest keep covering the rollups
        sellers = subset(domain.sellers, 3) if draw(st.booleans()) else []
        return Filters(
            start=start,
            end=end,
            states=tuple(sorted(subset(domain.states, 3))),
            regions=tuple(sorted(subset(list(BRAZIL), 2))),
            categories=tuple(sorted(subset(domain.categories, 3))),
            payment_types=tuple(sorted(subset(domain.payment_types, 2))),
            sellers=tuple(sorted(sellers)),
        )

    return build()


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _compare_everything(engine, f: Filters, repeats: list | None = None) -> bool:
    """Both paths agree on every answer for `f`. Returns whether a series point was
    compared with a period before `start` (read outside the range), so the properties
    can insist the strategies reach that case; adds (f, repeat_rate) to `repeats`, so
    they can insist some filters of each kind met returning customers."""
    before_start = False
    with engine.connect() as conn:
        kpis = report.kpi_report(conn, f, fast)
        assert kpis == report.kpi_report(conn, f, raw)
        if repeats is not None:
            repeats.append((f, kpis["current"]["repeat_rate"]))
        for grain in report.GRAINS:
            series = report.timeseries(conn, f, grain, fast)
            assert series == report.timeseries(conn, f, grain, raw)
            first = series["points"][0] if series["points"] else None
            # the point of start's own period: all its references lie before start
            if first and first["period"] == period_label(period_start(f.start, grain), grain):
                before_start |= first["mom"] is not None or first["yoy"] is not None
        for dim in report.DIMENSIONS:
            assert report.breakdown(conn, f, dim, fast) == report.breakdown(conn, f, dim, raw)
        # the seller breakdown: every field, its order and its pages
        for limit, offset in ((None, 0), (3, 0), (2, 1), (5, 40)):
            assert sellers.seller_rows(conn, f, limit, offset, "fast") == \
                sellers.seller_rows(conn, f, limit, offset, "raw"), (limit, offset)
    return before_start


ALL_KINDS = (("categories",), ("payment_types",), ("sellers",),
             ("categories", "payment_types"))


def _assert_repeats_reached(repeats: list, kinds=ALL_KINDS) -> None:
    """For each set of filter kinds, some compared view filtering by all of them had
    customers repeating in the range: `repeat_rate` was compared on more than 0 and null."""
    for kind in kinds:
        assert any(all(getattr(f, k) for k in kind) and rate for f, rate in repeats), kind


def _domain(engine):
    with engine.connect() as conn:
        return report.load_domain(conn)


def with_big_sellers(engine, domain, n: int = 8):
    """The domain with only its n biggest sellers (by orders) to draw from: most of the
    demo's sellers sell a few items, so random ones would mostly compare empty views."""
    with engine.connect() as conn:
        big = conn.execute(text(
            "SELECT seller_id FROM order_items GROUP BY 1 "
            "ORDER BY count(DISTINCT order_id) DESC, 1 LIMIT :n"), {"n": n}).scalars().all()
    return dataclasses.replace(domain, sellers=tuple(sorted(big)))


def test_fast_equals_raw_on_demo_data(demo_engine):
    domain = with_big_sellers(demo_engine, _domain(demo_engine))

    reached: list[bool] = []
    repeats: list = []

    @settings(max_examples=30, **SETTINGS)
    @given(filters_strategy(domain))
    def check(f: Filters) -> None:
        reached.append(_compare_everything(demo_engine, f, repeats))

    check()
    assert any(reached)  # some series compared with periods before their start


def wide_filters_strategy(domain, popular: dict[str, list[str]]) -> st.SearchStrategy[Filters]:
    """Long ranges and the most used values: the views where customers come back in the
    range under a category, payment type or seller filter (narrow random views of the
    demo data hardly ever hold one), for `repeat_rate`."""
    span = (domain.max_day - domain.min_day).days

    @st.composite
    def build(draw) -> Filters:
        start = domain.min_day + timedelta(days=draw(st.integers(0, span // 3)))
        end = start + timedelta(days=draw(st.integers(span // 3, span)))
        pick = lambda kind, n: tuple(sorted(draw(  # noqa: E731
            st.lists(st.sampled_from(popular[kind]), max_size=n, unique=True))))
        return Filters(start=start, end=end, regions=pick("regions", 1),
                       categories=pick("categories", 2), payment_types=pick("payment_types", 2),
                       sellers=pick("sellers", 2) if draw(st.booleans()) else ())

    return build()


def test_fast_equals_raw_repeat_rate_on_demo_data(demo_engine):
    """repeat_rate (and every other answer) under wide views of the demo data, with
    category, payment type and seller filters that meet returning customers."""
    domain = _domain(demo_engine)
    with demo_engine.connect() as conn:
        top = lambda sql: conn.execute(text(sql)).scalars().all()  # noqa: E731
        popular = {
            "regions": ["SE", "S", "NE"],
            "categories": top("SELECT category FROM agg_item_nat_m GROUP BY 1 "
                              "ORDER BY sum(n_orders) DESC, 1 LIMIT 4"),
            "payment_types": top("SELECT payment_type FROM agg_payment_lite_m GROUP BY 1 "
                                 "ORDER BY sum(n_orders) DESC, 1 LIMIT 3"),
            "sellers": list(with_big_sellers(demo_engine, domain, 4).sellers),
        }
    repeats: list = []

    @settings(max_examples=25, **SETTINGS)
    @given(wide_filters_strategy(domain, popular))
    def check(f: Filters) -> None:
        _compare_everything(demo_engine, f, repeats)

    check()
    # the demo's 4,000 orders have 3 customers who bought from one seller twice: seller
    # filters meet returning customers in the tests on `datasets.returning()`
    _assert_repeats_reached(repeats, kinds=(("categories",), ("payment_types",)))


def test_fast_equals_raw_on_the_quirky_tiny_dataset(tiny_engine):
    domain = _domain(tiny_engine)

    reached: list[bool] = []

    @settings(max_examples=60, **SETTINGS)
    @given(filters_strategy(domain))
    def check(f: Filters) -> None:
        reached.append(_compare_everything(tiny_engine, f))

    check()
    assert any(reached)


@pytest.fixture(scope="module")
def returning_engine(pg_admin_url, template_db, tmp_path_factory):
    import datasets
    from conftest import fresh_database, loaded_engine

    folder = datasets.write(datasets.returning(), tmp_path_factory.mktemp("returning"))
    with fresh_database(pg_admin_url, template_db) as url:
        eng = loaded_engine(url, folder)
        yield eng
        eng.dispose()


def test_fast_equals_raw_with_returning_customers(returning_engine):
    """Distinct customers when some come back, move between states or order twice a day:
    every range start between their orders, every state/region grouping."""
    domain = _domain(returning_engine)
    with returning_engine.connect() as conn:
        multi = conn.execute(text("SELECT count(DISTINCT customer_key) FROM agg_repeat "
                                  "WHERE multi_state")).scalar_one()
    assert multi == 1  # the customer who moved is counted the slow, distinct way

    repeats: list = []

    @settings(max_examples=80, **SETTINGS)
    @given(filters_strategy(domain))
    def check(f: Filters) -> None:
        _compare_everything(returning_engine, f, repeats)

    check()
    for start in (date(2020, 3, 1), date(2020, 3, 2), date(2020, 3, 21), date(2020, 4, 4),
                  date(2020, 4, 5), date(2020, 4, 6)):
        f = Filters(start=start, end=date(2020, 4, 30))
        _compare_everything(returning_engine, f, repeats)
        for one in (Filters(categories=("health_beauty",)), Filters(payment_types=("boleto",)),
                    Filters(categories=("sports_leisure",), states=("MG",)),
                    Filters(categories=("health_beauty", "sports_leisure")),
                    Filters(payment_types=("boleto", "credit_card")),
                    Filters(categories=("health_beauty",), payment_types=("credit_card",)),
                    Filters(sellers=(f"{401:032x}",), categories=("health_beauty",))):
            _compare_everything(returning_engine, dataclasses.replace(
                one, start=start, end=date(2020, 4, 30)), repeats)
        with returning_engine.connect() as conn:
            customers = report.kpi_report(conn, f, fast)["current"]["customers"]
        # hand count: who has a sales order (items, not canceled/unavailable) from `start`
        expected = {date(2020, 3, 1): 4, date(2020, 3, 2): 4, date(2020, 3, 21): 3,
                    date(2020, 4, 4): 3, date(2020, 4, 5): 3, date(2020, 4, 6): 2}[start]
        assert customers == expected, start
    _assert_repeats_reached(repeats)


@pytest.mark.parametrize("f", [
    Filters(),  # resolved below to the whole range
    Filters(states=("SP",)),
    Filters(categories=("health_beauty", "housewares")),
    Filters(payment_types=("voucher",), regions=("S", "NE")),
    Filters(start=date(2020, 3, 11), end=date(2020, 6, 30)),
])
def test_fast_equals_raw_on_the_dashboard_views(demo_engine, f):
    domain = _domain(demo_engine)
    known = set(domain.categories)
    f = f.with_values("category", [c for c in f.categories if c in known]).resolve(domain)
    with demo_engine.connect() as conn:
        sequential = report.dashboard(conn, f, raw)
    assert report.dashboard_parallel(demo_engine, f, fast) == sequential


@pytest.mark.parametrize("one", [
    Filters(categories=("health_beauty",)),
    Filters(payment_types=("credit_card",)),
    Filters(payment_types=("boleto",), states=("SP", "RJ")),
    Filters(categories=("bed_bath_table",), regions=("SE",)),
])
def test_one_value_over_the_whole_history_counts_from_day_cells(demo_engine, one):
    """From the data's first day (the default view), returning customers under one
    category or payment type are added up from `agg_repeat_by_month` (whole months) and
    `agg_repeat_by_day` (the range's edges) instead of read from the value's rows; from a
    later day they are not. All equal the raw path: customers, new and repeating ones, in
    total, per state and region, and per day, week and month."""
    domain = _domain(demo_engine)
    whole = one.resolve(domain)
    later = dataclasses.replace(whole, start=whole.start + timedelta(days=200))
    # ends mid-month, so its last days come from the day cells: a month read whole or a
    # day counted twice at that edge shows
    cut = whole.end - timedelta(days=120)
    mid_month = dataclasses.replace(whole, end=cut.replace(day=15))
    with demo_engine.connect() as conn:
        assert fast.starts_before_returning(conn, whole.start)
        assert not fast.starts_before_returning(conn, later.start)
        cells = conn.execute(text("SELECT count(*) FROM agg_repeat_by_day")).scalar_one()
        months = conn.execute(text("SELECT count(*) FROM agg_repeat_by_month")).scalar_one()
    assert cells > 100 and 0 < months < cells
    repeats: list = []
    for f in (whole, mid_month, later):
        _compare_everything(demo_engine, f, repeats)
    assert all(rate for _, rate in repeats)  # customers came back in every view
