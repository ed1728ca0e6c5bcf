"""The insight models (dashapp.insight) against answers known in advance.

Two kinds of evidence:

* Pure checks, no database: the retail calendar matches the demo generator's events, the
  IRLS fit equals statsmodels' GLM, the impact interval covers the truth at about its
  nominal rate over many simulated datasets, the forecast backtest arithmetic, the spike
  rule on synthetic rates.
* On generated demo data loaded into PostgreSQL (two 40,000-order datasets, one with the
  documented pandemic and one without, seed 11), read through the real query layer: the
  impact estimate recovers the generator's known effect within its interval (and finds
  none without it), per category too; the chosen forecaster beats seasonal naive; the
  supply shock of spring 2020 is flagged and nothing is flagged without it.

The ground truth comes from ``loaders.demo`` (docs/DEMO_DATA.md): within one dataset the
expected volume after the event is the pre-event curve times ``pandemic_multiplier``, so
the true lift over a window is sum(b m q) / sum(b q0) - 1, with q the share of orders that
are sales orders (the supply shock makes more orders `unavailable`, which are not sales).
"""

from __future__ import annotations

import math
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import fresh_database, loaded_engine

from dashapp.filters import Filters
from dashapp.insight import calendar, data, forecast, reports, shortages
from dashapp.insight.impact import (
    MIN_BASELINE_DAYS,
    ImpactError,
    estimate_impact,
    fit_quasi_poisson,
)
from dashapp.queries import report
from loaders import demo
from loaders.demo import PANDEMIC_START, DemoSpec, expected_daily_orders, generate

EVENT = PANDEMIC_START
AFTER = reports.DEFAULT_AFTER_DAYS
SEED = 11
ORDERS = 40_000
#: Orders of the loaded datasets: the no-event one only has to show nothing, which a
#: smaller dataset shows as well, and loading is most of this file's time.
SIZES = {1.0: ORDERS, 0.0: 20_000}


# --- ground truth from the generator -----------------------------------------------------


def _sales_share(h: float) -> float:
    """Share of orders that are sales orders (not canceled/unavailable, with items) at
    supply-shock intensity h (already times the strength)."""
    p = demo._STATUS_P.copy()
    p[demo._UNAVAILABLE] *= 1 + 2.5 * h
    p = p / p.sum()
    keep = np.ones(len(p), bool)
    keep[[demo._CANCELED, demo._UNAVAILABLE]] = False
    return float((p * (1 - demo._NO_ITEMS_P))[keep].sum())


def _window(event: date, days: int, end: date = date(2021, 12, 31)) -> list[date]:
    return [event + timedelta(days=k) for k in range(days) if event + timedelta(days=k) <= end]


def true_lift(strength: float, event: date = EVENT, days: int = AFTER,
              category: str | None = None, sales_orders: bool = True) -> float:
    """The generator's lift of sales orders (of one category: orders having an item of
    it; of all orders with sales_orders=False) over [event, event + days), against its
    own pre-event curve."""
    ds = _window(event, days)
    b = np.array([demo.baseline_weight(d) for d in ds])
    m = np.array([demo.pandemic_multiplier(d, strength) for d in ds])
    if not sales_orders:
        return float((b * m).sum() / b.sum() - 1)
    q = np.array([_sales_share(demo.supply_shock(d) * strength) for d in ds])
    share = np.ones(len(ds))
    base_share = 1.0
    if category is not None:
        to_pt = {(r[1] or r[0]): r[0] for r in demo._CAT_ROWS}
        i = demo._CAT_NAMES.index(to_pt[category])
        tilt = np.array([demo._demand_shape(d) * strength / demo.PANDEMIC_PEAK for d in ds])
        w = demo._CAT_W[None, :] * np.exp(demo._CAT_BETA[None, :] * tilt[:, None])
        share = w[:, i] / w.sum(axis=1)
        base_share = float(demo._CAT_W[i])
    return float((b * m * q * share).sum() / (b * _sales_share(0.0) * base_share).sum() - 1)


def simulated_daily(orders: int, strength: float, seed: int) -> pd.Series:
    """Daily order counts drawn the way the generator draws them (one multinomial)."""
    lam = expected_daily_orders(DemoSpec(orders=orders, pandemic=strength))
    p = np.array(list(lam.values())) / orders
    counts = np.random.default_rng(seed).multinomial(orders, p)
    return pd.Series(counts.astype(float), index=pd.DatetimeIndex(list(lam)))


# --- pure: calendar, fit, calibration ----------------------------------------------------


def test_retail_calendar_marks_exactly_the_generators_event_days():
    days = pd.date_range("2019-01-01", "2021-12-31")
    marked = calendar.event_indicators(days).any(axis=1)
    for d, is_event in zip(days, marked, strict=True):
        day = d.date()
        years = (day - demo.TREND_ANCHOR).days / 365.25
        plain = ((1 + demo.TREND_GROWTH) ** years * demo._WEEKDAY[day.weekday()]
                 * demo._MONTH[day.month - 1])
        assert is_event == (not math.isclose(demo.baseline_weight(day), plain)), day


def test_irls_equals_statsmodels_glm():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    x = np.column_stack([np.ones(400), rng.normal(size=(400, 5)) * 0.3])
    y = rng.poisson(np.exp(1.5 + x[:, 1:] @ rng.normal(size=5))).astype(float)
    beta, cov, mu, phi = fit_quasi_poisson(x, y)
    ref = sm.GLM(y, x, family=sm.families.Poisson()).fit(scale="X2")
    np.testing.assert_allclose(beta, ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cov * phi, ref.cov_params(), rtol=1e-5)
    assert phi == pytest.approx(ref.scale, rel=1e-6)


@pytest.mark.parametrize("strength", [1.0, 0.0])
def test_impact_interval_covers_the_truth_at_its_nominal_rate(strength):
    """40 simulated 40k-order datasets: a 95% interval must cover the truth ~38 times."""
    truth = true_lift(strength, sales_orders=False)  # simulated counts are all orders
    covered = significant = 0
    for seed in range(40):
        imp = estimate_impact(simulated_daily(ORDERS, strength, seed), EVENT,
                              post_days=AFTER, with_series=False, n_draws=1000)
        covered += imp.lift_low <= truth <= imp.lift_high
        significant += imp.significant
    assert covered >= 35  # P(fewer than 35 of 40 | 95% coverage) < 1%
    if strength:
        assert significant == 40  # a +30% effect is never missed at this size
    else:
        assert significant <= 5


def test_impact_needs_a_year_before_and_a_week_after():
    y = simulated_daily(ORDERS, 0.0, 0)
    with pytest.raises(ImpactError, match=f"at least {MIN_BASELINE_DAYS}"):
        estimate_impact(y, date(2019, 6, 1))
    with pytest.raises(ImpactError, match="at least 7"):
        estimate_impact(y, date(2021, 12, 28))
    # Leading days without orders are "before the data", not days of zero demand.
    late = y.copy()
    late[late.index < "2019-09-01"] = 0
    with pytest.raises(ImpactError, match="days of data before"):
        estimate_impact(late, EVENT)


def test_impact_series_bands_only_after_the_event():
    imp = estimate_impact(simulated_daily(ORDERS, 1.0, 1), EVENT, post_days=AFTER)
    before = imp.series[imp.series["period"] < pd.Timestamp(EVENT)]
    after = imp.series[imp.series["period"] >= pd.Timestamp(EVENT)]
    assert before["lower"].isna().all() and after["lower"].notna().all()
    assert (after["lower"] <= after["expected"]).all()
    assert (after["expected"] <= after["upper"]).all()
    assert after["actual"].sum() == pytest.approx(imp.actual)
    assert after["expected"].sum() == pytest.approx(imp.expected)
    assert len(after) == math.ceil(AFTER / 7)


#: A sane lift: a ratio to an expectation that is not ~0 (docs/INSIGHT.md, "Too little data").
SANE_LIFT = (-1.0, 10.0)


def _assert_sane(rows) -> None:
    """Every lift is null with a reason, or a number within SANE_LIFT inside its interval."""
    for r in rows:
        if r["lift"] is None:
            assert r["reason"], r
            assert r["lift_low"] is None and r["lift_high"] is None, r
            continue
        assert r["reason"] is None, r
        assert SANE_LIFT[0] <= r["lift"] <= SANE_LIFT[1], r
        assert r["lift_low"] <= r["lift"] <= r["lift_high"], r


def _row(y: pd.Series) -> dict:
    """A ranked row's fields of the impact on `y`, as reports._group_rows builds it."""
    try:
        imp = estimate_impact(y, EVENT, baseline_days=730, post_days=AFTER,
                              with_series=False, n_draws=500)
    except ImpactError as exc:  # less than a year between its first sale and the event
        return {"lift": None, "lift_low": None, "lift_high": None, "reason": str(exc),
                "expected": None}
    return {"lift": imp.lift, "lift_low": imp.lift_low, "lift_high": imp.lift_high,
            "reason": imp.reason, "expected": imp.expected}


def test_impact_on_a_thin_series_is_sane_or_not_estimable():
    """A category with a handful of orders (in one state, say) once got a lift of +1e118:
    its one baseline sale fell on its first day, the fit put a trend of -250/year through
    it and the lift divided by the ~0 it extrapolated to. Such a series has no lift (null,
    with a reason); a thin but usable one gets a sane lift inside its own interval."""
    days = pd.date_range("2019-01-01", "2021-12-31")
    y = pd.Series(0.0, index=days)
    y[["2019-02-05", "2020-04-30", "2020-07-24", "2020-08-21", "2020-08-29"]] = 1.0
    imp = estimate_impact(y, EVENT, baseline_days=730, post_days=AFTER, with_series=True)
    assert imp.lift is None and imp.expected is None and imp.significant is False
    assert "only 1 day with sales in the baseline" in imp.reason and imp.reason in imp.notes
    after = imp.series[imp.series["period"] >= pd.Timestamp(EVENT)]
    assert after["actual"].sum() == imp.actual == 4 and after["expected"].isna().all()
    # Demo-shaped series of 40..150 orders over three years (~12..45 in the baseline).
    rows = [_row(simulated_daily(orders, 1.0, seed))
            for orders in (40, 70, 150) for seed in range(12)]
    _assert_sane(rows)
    estimable = [r for r in rows if r["lift"] is not None]
    assert 0 < len(estimable) < len(rows)
    assert all(r["expected"] > 0 for r in estimable)


# --- pure: forecast -------------------------------------------------------------------------


def _monthly(values: list[float], start: str = "2019-01-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"))


def test_forecast_refuses_short_or_sparse_history_and_says_why():
    short = forecast.forecast_series(_monthly([100.0] * 29), 3)
    assert not short.available and "only 29 whole months" in short.reason
    assert "at least 30" in short.reason and short.model is None
    gap = forecast.forecast_series(_monthly([100.0] * 20 + [0.0] + [100.0] * 10), 3)
    assert not gap.available and "2020-09" in gap.reason and "without any sales" in gap.reason


def test_backtest_arithmetic():
    season = np.array([1.0, 0.9, 1.1, 1.0, 1.2, 0.8, 1.0, 1.0, 0.95, 1.05, 1.4, 1.3])
    y = np.tile(season, 3) * 100  # a pure season: seasonal naive is exact
    assert forecast.mase_scale(y[:24]) == 0.0  # hence no scale: MASE undefined
    np.testing.assert_allclose(forecast.seasonal_naive(y, 6).mean, y[24:30])
    growing = np.tile(season, 3) * 100 * 1.01 ** np.arange(36)
    scores = {s.model: s for s in forecast.backtest(growing, 3, models=("seasonal_naive",))}
    sn = scores["seasonal_naive"]
    # By hand: from origin o, step k forecasts y[o+k-13] for y[o+k-1], an error of
    # y * (1 - 1.01^-12), scaled by the seasonal-naive MAE of the training months.
    errors, apes = [], []
    for origin in range(24, 36):
        train = growing[:origin]
        scale = np.mean(np.abs(train[12:] - train[:-12]))
        for k in range(min(3, 36 - origin)):
            err = abs(growing[origin + k] - growing[origin + k - 12])
            errors.append(err / scale)
            apes.append(err / growing[origin + k])
    assert sn.mase == pytest.approx(np.mean(errors))
    assert sn.mape == pytest.approx(np.mean(apes)) and sn.errors == 12 + 11 + 10
    assert sn.mape == pytest.approx(1 - 1.01 ** -12)


def test_forecast_horizons_slice_one_bundle():
    y = simulated_daily(ORDERS, 0.0, 2).resample("MS").sum()
    # ETS left out for speed (it is exercised on the loaded data below); the slicing is
    # the same for every model.
    fast_models = ("seasonal_naive", "theta", "trend_season")
    bundle = forecast.bundle_from_dict(forecast.bundle_to_dict(
        forecast.prepare(y, models=fast_models)))
    six = forecast.select(bundle, 6)
    assert six.available and len(six.periods) == 6 and six.periods[0] == pd.Timestamp("2022-01")
    for h in range(1, 7):
        fc = forecast.select(bundle, h)
        if fc.model == six.model:
            np.testing.assert_allclose(fc.mean, six.mean[:h])
        lo95, hi95 = fc.bounds[0.95]
        lo80, hi80 = fc.bounds[0.8]
        assert np.all(lo95 <= lo80) and np.all(lo80 <= fc.mean) and np.all(fc.mean <= hi80)
        assert np.all(hi80 <= hi95)
    with pytest.raises(ValueError):
        forecast.select(bundle, 7)


# --- pure: shortages ------------------------------------------------------------------------


def _rates_frame(all_orders: np.ndarray, unavailable: np.ndarray) -> pd.DataFrame:
    n = len(all_orders)
    deliv = np.round(all_orders * 0.97)
    return pd.DataFrame({
        "sales": all_orders * 100.0, "orders": all_orders, "all_orders": all_orders,
        "unavailable": unavailable, "canceled": np.zeros(n), "deliv_n": deliv,
        "ontime_n": np.round(deliv * 0.92), "deliv_days": deliv * 12.0,
    }, index=pd.date_range("2019-01-01", periods=n, freq="MS"))


def test_spike_rule_flags_a_jump_and_not_small_sample_noise():
    rng = np.random.default_rng(5)
    n = np.full(36, 4000.0)
    k = rng.binomial(4000, 0.006, 36).astype(float)
    k[20] = 4000 * 0.02  # x3.3, like the demo's spring 2020
    out = shortages.detect(_rates_frame(n, k))
    flagged = out.index[out["unavailable_rate_spike"]].tolist()
    assert flagged == [pd.Timestamp("2020-09-01")]
    assert out["unavailable_rate_baseline"].iloc[20] == pytest.approx(0.006, rel=0.3)
    # A small group: 40 orders a period, 0.6% unavailable. Counts of 0..3 happen by chance
    # all the time; none of 600 periods may be flagged.
    small = shortages.detect(_rates_frame(np.full(600, 40.0),
                                          rng.binomial(40, 0.006, 600).astype(float)))
    assert not small["unavailable_rate_spike"].any()
    assert not small["late_rate_spike"].any() and not small["avg_delivery_days_spike"].any()


# --- on generated demo data, through PostgreSQL ----------------------------------------------


@pytest.fixture(scope="module")
def engines(pg_admin_url, template_db, tmp_path_factory):
    """{strength: engine}: demo datasets with and without the pandemic (same seed)."""
    out, dbs = {}, []
    for strength, orders in SIZES.items():
        folder = tmp_path_factory.mktemp(f"demo-{strength}")
        generate(DemoSpec(orders=orders, seed=SEED, pandemic=strength), folder)
        ctx = fresh_database(pg_admin_url, template_db)
        out[strength] = loaded_engine(ctx.__enter__(), folder)
        dbs.append(ctx)
    yield out
    for eng in out.values():
        eng.dispose()
    for ctx in dbs:
        ctx.__exit__(None, None, None)


def _filters(engine) -> Filters:
    with engine.connect() as conn:
        return Filters().resolve(report.load_domain(conn))


def _impact(engine, **params) -> dict:
    with engine.connect() as conn:
        return reports.impact(conn, _filters(engine), reports.ImpactParams(**params))


@pytest.mark.slow
def test_impact_recovers_the_injected_pandemic(engines):
    started = time.perf_counter()
    body = _impact(engines[1.0])
    elapsed = time.perf_counter() - started
    truth = true_lift(1.0)
    assert truth == pytest.approx(0.29, abs=0.01)  # docs/DEMO_DATA.md: +60% peak, decaying
    assert body["window"] == {"start": "2020-03-11", "end": "2020-09-08", "days": AFTER}
    assert body["baseline"] == {"start": "2019-01-01", "end": "2020-03-10", "days": 435}
    assert body["lift_low"] <= truth <= body["lift_high"], body
    assert body["significant"] is True and body["lift_low"] > 0.1
    orders = body["totals"]["orders"]
    assert orders["lift"] == body["lift"]
    assert orders["difference"] == pytest.approx(orders["actual"] - orders["expected"],
                                                 abs=0.2)
    assert body["totals"]["sales"]["significant"] is True
    print(f"impact on 40k orders with 12 + 12 group fits: {elapsed:.2f}s")


@pytest.mark.slow
def test_impact_finds_nothing_without_an_event(engines):
    body = _impact(engines[0.0])
    assert body["lift_low"] <= 0 <= body["lift_high"], body
    assert body["significant"] is False
    assert body["totals"]["sales"]["lift_low"] <= 0 <= body["totals"]["sales"]["lift_high"]


@pytest.mark.slow
def test_impact_per_category_recovers_each_categorys_shift(engines):
    """The pandemic tilts the category mix (docs/DEMO_DATA.md, category_tilt): each of
    the top categories' intervals must hold its own truth, bar the odd miss of a 95%
    interval, and the ranking must follow the truth."""
    body = _impact(engines[1.0])
    rows = body["by_category"]
    assert len(rows) == reports.DEFAULT_TOP
    truths = [true_lift(1.0, category=r["key"]) for r in rows]
    covered = sum(r["lift_low"] <= t <= r["lift_high"] for r, t in zip(rows, truths,
                                                                      strict=True))
    assert covered >= 10, list(zip([r["key"] for r in rows], truths, strict=True))
    lifts = [r["lift"] for r in rows]
    assert lifts == sorted(lifts, reverse=True)
    rank = pd.Series(truths).rank().corr(pd.Series(lifts).rank())
    assert rank > 0.6
    # States: the demo has no regional differences, so every state holds the national
    # truth (again bar the odd miss).
    truth = true_lift(1.0)
    states = body["by_state"]
    assert sum(r["lift_low"] <= truth <= r["lift_high"] for r in states) >= len(states) - 2


def test_impact_per_group_lifts_are_sane_within_one_state(demo_engine):
    """The small demo dataset (4,000 orders) filtered to SP, as `/impact?state=SP` asks:
    its categories hold from 1 to ~60 orders before the event. Every ranked lift is null
    with a reason or sane and inside its interval; the null ones come last."""
    with demo_engine.connect() as conn:
        f = Filters(states=("SP",)).resolve(report.load_domain(conn))
        bodies = [reports.impact(conn, f, reports.ImpactParams(metric=m))
                  for m in reports.METRICS]
    for body in bodies:
        assert body["lift"] is not None and body["lift_low"] <= body["lift"] <= body["lift_high"]
        for dim in ("by_category", "by_state"):
            rows = body[dim]
            _assert_sane(rows)
            nulls = [r["lift"] is None for r in rows]
            assert nulls == sorted(nulls), [(r["key"], r["lift"]) for r in rows]
        assert any(r["lift"] is None for r in body["by_category"])
        assert any(r["lift"] is not None for r in body["by_category"])


@pytest.mark.slow
def test_category_series_equals_the_metrics_path(engines):
    """data.category_daily reads the item rollup; METRICS.md's path is order_sums with
    the category filter. Same numbers."""
    eng = engines[1.0]
    f = _filters(eng)
    with eng.connect() as conn:
        for key in data.top_categories(conn, f, 3):
            fast_path = data.category_daily(conn, f, key)
            ref = data.daily(conn, f.with_values("category", [key]))
            pd.testing.assert_series_equal(fast_path["orders"], ref["orders"])
            pd.testing.assert_series_equal(fast_path["sales"], ref["sales"])


@pytest.mark.slow
@pytest.mark.parametrize("strength", [1.0, 0.0])
def test_chosen_forecaster_beats_seasonal_naive(engines, strength):
    eng = engines[strength]
    with eng.connect() as conn:
        bundle = reports.forecast_bundle(conn, _filters(eng))
    for horizon in (1, 3, 6):
        body = reports.forecast_view(bundle, horizon)
        assert body["available"] is True and len(body["points"]) == horizon
        for p in body["points"]:
            assert p["lower"] <= p["lower_80"] <= p["sales"] <= p["upper_80"] <= p["upper"]
            assert p["orders_lower"] <= p["orders"] <= p["orders_upper"]
        for part in (body, body["orders"]):
            scores = {m["model"]: m for m in part["backtest"]["models"]}
            assert part["model"] != "seasonal_naive"
            assert part["backtest"]["mase"] < scores["seasonal_naive"]["mase"]
            assert part["backtest"]["mase"] == min(m["mase"] for m in scores.values())
    assert [p["period"] for p in body["points"]] == [f"2022-0{k}" for k in range(1, 7)]


@pytest.mark.slow
def test_shortages_flag_the_supply_shock_and_nothing_else(engines):
    shock = {"2020-03", "2020-04", "2020-05", "2020-06", "2020-07"}
    with engines[1.0].connect() as conn:
        body = reports.shortage_report(conn, _filters(engines[1.0]), "month", 12)
    flagged = {(s["metric"], s["period"]) for s in body["spikes"]}
    assert {p for _, p in flagged} <= shock, flagged
    assert ("unavailable_rate", "2020-04") in flagged
    assert ("avg_delivery_days", "2020-04") in flagged and ("late_rate", "2020-04") in flagged
    # Most groups show the shock on their own; false alarms outside it are rare.
    for dim in ("by_category", "by_state"):
        periods = [s["period"] for g in body[dim] for s in g["spikes"]]
        assert sum(p in shock for p in periods) >= 10
        assert sum(p not in shock for p in periods) <= 2
    with engines[0.0].connect() as conn:
        quiet = reports.shortage_report(conn, _filters(engines[0.0]), "month", 12)
    assert quiet["spikes"] == []
    assert sum(len(g["spikes"]) for d in ("by_category", "by_state") for g in quiet[d]) <= 2
