"""Event impact: how far did a daily series move from what its pre-event history predicted?

The question ("what would sales have been without the pandemic?") has no observed answer,
so the answer is a projection, and it is only as useful as its stated uncertainty. The
model is therefore deliberately plain and its error budget explicit:

* **Model.** A log-linear quasi-Poisson regression on DAILY values of the baseline window
  (the days before the event): ``log E[y] = trend + weekday + yearly Fourier terms + retail
  events``. Daily data gives ~7x more observations than weekly totals for the weekday
  profile; the log link makes the trend and every effect multiplicative (a Black Friday is
  "x4", not "+300 orders"), and the quasi-Poisson variance (proportional to the mean,
  dispersion estimated) fits counts and money alike and copes with days without orders.
  Fitted by IRLS here (a few lines of numpy, ~1 ms) rather than statsmodels' GLM (~10 ms):
  /impact fits one model per category and state; the test suite holds the two equal.
* **Seasonality.** The weekday profile and the yearly curve (4 Fourier pairs). Hence at
  least a year of baseline (``MIN_BASELINE_DAYS``): a shorter window cannot tell a season
  from a trend. Retail events (``calendar.EVENTS``) get their own indicators when the baseline
  contains them; an event of the projection window the baseline never saw is reported in
  ``notes`` (its effect is then assumed to be 0).
* **Uncertainty.** Simulated: coefficient draws from their estimated normal distribution
  (trend extrapolation is the main term for long windows) plus the noise of the
  counterfactual days themselves. Both are inflated by ``kappa``, the over-dispersion
  measured on 28-day blocks of the baseline residuals (see ``_block_kappa``): day-level
  dispersion understates the error of a monthly sum when residuals are correlated (a
  misfitted season, a promotion), and kappa measures exactly that on the data at hand.
* **Lift.** ``sum(actual) / sum(expected) - 1`` over the post-event window, with the
  ``level`` interval of ``sum(actual) / counterfactual - 1`` over the draws; it is
  ``significant`` when that interval excludes 0.
* **Not estimable.** A ratio to an expectation near zero is noise, not a lift: a series
  with fewer than ``MIN_ACTIVE_DAYS`` days with a value in its baseline, or whose
  projection over the window rests on fewer than ``MIN_EXPECTED_COUNT`` counts' worth of
  volume (``expected / (scale * dispersion * kappa)``: orders for counts, "orders'
  equivalents" for money), gets ``lift = None`` and a ``reason``. Typical case: a category
  with a handful of orders in one state, whose fit is dominated by its few sale days (one
  sale on its first day once gave a trend of -250/year and a lift of +1e118). Weak priors
  on the trend and the weekdays (``TREND_SD``, ``WEEKDAY_SD``) damp what a thin series that
  passes cannot support, instead of extrapolating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .calendar import EVENTS, event_indicators
from .notes import Note, note

#: Fewest baseline days accepted: a year. A shorter window cannot tell the yearly season
#: from the trend, and its interval is not honest: with 200 days of demo data a nominal 95%
#: interval covered the truth 68-75% of the time (docs/INSIGHT.md).
MIN_BASELINE_DAYS = 365
#: Fewest post-event days: one full week, so the weekday profile cannot bias the sum.
MIN_POST_DAYS = 7
#: Baseline length from which the yearly curve is fitted (always, with the minimum above;
#: kept separate so the model stays usable on shorter windows in experiments).
YEARLY_MIN_DAYS = 365
FOURIER_PAIRS = 4
#: Fewest days with a value (> 0) in the baseline. The model has ~25 coefficients; with a
#: handful of sale days it fits them exactly (dispersion ~0, so no prior holds it) and its
#: trend runs off to minus infinity. Unit-free: counts days, not orders or money.
MIN_ACTIVE_DAYS = 30
#: Fewest "counts' worth" the projection over the window may rest on (its expected sum
#: over the variance of one count, scale * dispersion * kappa). Below it the
#: counterfactual's own noise puts 0 inside its interval and the lift is a ratio to ~0.
MIN_EXPECTED_COUNT = 10.0
#: Prior sd of the trend, log units per year (x2.7 a year at one sd) and of each weekday's
#: effect against Sunday (x2.7). Negligible for a big series; for a sparse one they damp
#: a trend (or a weekday) its few sale days cannot support instead of extrapolating it.
TREND_SD = 1.0
WEEKDAY_SD = 1.0
#: Linear predictor bound: exp() of it stays finite and a projection never overflows.
ETA_MAX = 50.0
#: Block length (days) of the over-dispersion estimate: about one month.
BLOCK_DAYS = 28
N_DRAWS = 1000
MODEL = "quasi-Poisson log-linear regression on daily values"
YEAR = 365.25
_EPOCH = pd.Timestamp("2000-01-01")


class ImpactError(ValueError):
    """The series cannot support an estimate (too little history, nothing after the event).

    Its text is English (the API's 400); `note` says the same as a code and values, for a
    face to translate (``notes``)."""

    def __init__(self, why: Note) -> None:
        super().__init__(why.text)
        self.note = why


@dataclass(frozen=True)
class Fit:
    """A fitted baseline model; `predict` and `draws_from` project it onto any days."""

    beta: np.ndarray
    cov: np.ndarray          # covariance of beta, already scaled by dispersion and kappa
    scale: float             # values were divided by this before fitting
    dispersion: float        # quasi-Poisson phi in scaled units (Var y = phi * mu)
    kappa: float             # block over-dispersion, >= 1
    origin: pd.Timestamp
    harmonics: int
    events: tuple[str, ...]
    fitted: pd.Series        # in-sample expectation, original units

    def design(self, days: pd.DatetimeIndex) -> np.ndarray:
        return _design(days, self.origin, self.harmonics, self.events)

    def predict(self, days: pd.DatetimeIndex) -> np.ndarray:
        return self.project(self.design(days))

    def project(self, x: np.ndarray) -> np.ndarray:
        """Expected values of the rows of design `x` (original units)."""
        return self.scale * np.exp(np.clip(x @ self.beta, -ETA_MAX, ETA_MAX))

    def counts(self, expected: float) -> float:
        """How many counts' worth of volume `expected` (original units) is: its ratio to
        the variance of one count (scale * dispersion, inflated by kappa)."""
        unit = self.scale * self.dispersion * self.kappa
        return expected / unit if unit > 0 else float("inf")

    def draws_from(self, x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Expected values (rows of design `x` by n) under n coefficient draws."""
        # beta + L z with cov = L L' (eigen-decomposition: cov may be singular).
        w, v = np.linalg.eigh(self.cov)
        root = v * np.sqrt(np.clip(w, 0.0, None))
        eta = (x @ self.beta)[:, None] + (x @ root) @ rng.standard_normal((len(w), n))
        return self.scale * np.exp(np.clip(eta, -ETA_MAX, ETA_MAX))

    def noisy(self, sums: np.ndarray, days: int, rng: np.random.Generator) -> np.ndarray:
        """Counterfactual realisations of sums over `days` days (adds the process noise)."""
        k = 1.0 + (self.kappa - 1.0) * min(1.0, days / BLOCK_DAYS)
        sd = np.sqrt(np.maximum(sums, 0.0) * self.scale * self.dispersion * k)
        return np.maximum(sums + sd * rng.standard_normal(sums.shape), 1e-9 * self.scale)


@dataclass(frozen=True)
class Impact:
    """The answer for one series; money or counts in the series' own unit."""

    event: date
    baseline_start: date
    baseline_end: date
    post_end: date
    actual: float
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    lift: float | None
    lift_low: float | None
    lift_high: float | None
    significant: bool
    level: float
    model: str
    notes: tuple[str, ...]
    series: pd.DataFrame = field(repr=False)  # period, actual, expected, lower, upper
    #: Why there is no lift (then expected*, lift* are None), else None.
    reason: str | None = None
    #: `notes` (and so `reason`) as codes and values, for a face to translate.
    coded: tuple[Note, ...] = ()


def _design(days: pd.DatetimeIndex, origin: pd.Timestamp, harmonics: int,
            events: tuple[str, ...]) -> np.ndarray:
    t = (days - origin).days.to_numpy(dtype=float) / YEAR
    cols = [np.ones(len(days)), t]
    dow = days.day_of_week.to_numpy()
    cols += [(dow == k).astype(float) for k in range(6)]  # Sunday is the reference
    phase = 2 * np.pi * (days - _EPOCH).days.to_numpy(dtype=float) / YEAR
    for k in range(1, harmonics + 1):
        cols += [np.sin(k * phase), np.cos(k * phase)]
    if events:
        ind = event_indicators(days)
        cols += [ind[:, EVENTS.index(e)] for e in events]
    return np.column_stack(cols)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def fit_quasi_poisson(x: np.ndarray, y: np.ndarray, precision: np.ndarray | None = None,
                      max_iter: int = 100, tol: float = 1e-9
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Log-link quasi-Poisson GLM by IRLS: (beta, unscaled covariance, mu, dispersion).

    `precision` (one value per column, 0 for none) is that of a zero-mean normal prior on
    the coefficient, i.e. a ridge penalty in log-effect units. Weighed against the data
    through the dispersion (re-estimated every iteration), so it does not depend on the
    unit of `y`: for a big series it is negligible, for a category with a handful of
    orders it keeps an event seen on two days without orders from running off to minus
    infinity (and its draws from exploding the interval). The covariance returned times
    the dispersion is the posterior covariance of beta.

    Works on the p x p normal equations: the only BLAS calls are small, which matters on a
    busy server where a threaded BLAS contending for cores can be 50x slower than the
    arithmetic. A singular system falls back to the pseudo-inverse.
    """
    n, p = x.shape
    prior = np.zeros(p) if precision is None else np.asarray(precision, dtype=float)
    mu = y + max(float(y.mean()), 1e-9) * 0.1
    eta = np.log(mu)
    beta = np.zeros(p)
    dof = max(n - p, 1)
    dispersion = 1.0
    for _ in range(max_iter):
        z = eta + (y - mu) / mu
        xw = x * mu[:, None]
        new = _solve(xw.T @ x + np.diag(dispersion * prior), xw.T @ z)
        eta = np.clip(x @ new, -ETA_MAX, ETA_MAX)
        mu = np.exp(eta)
        dispersion = max(float(np.sum((y - mu) ** 2 / mu) / dof), 1e-12)
        done = float(np.max(np.abs(new - beta))) <= tol
        beta = new
        if done:
            break
    cov = np.linalg.pinv((x * mu[:, None]).T @ x + np.diag(dispersion * prior))
    return beta, cov, mu, dispersion


def _precision(harmonics: int, events: int) -> np.ndarray:
    """Prior precision per design column: none for the level; trend sd ``TREND_SD`` per
    year and weekdays sd ``WEEKDAY_SD`` (an unsupported trend is damped towards flat rather
    than extrapolated); Fourier terms sd 0.5 (a yearly swing beyond x1.6 per harmonic is
    implausible); events sd 1.5 (Black Friday's x4 is log 1.4). Only small series feel it."""
    return np.concatenate([[0.0, 1 / TREND_SD ** 2], np.full(6, 1 / WEEKDAY_SD ** 2),
                           np.full(2 * harmonics, 1 / 0.5 ** 2),
                           np.full(events, 1 / 1.5 ** 2)])


def _block_kappa(x: np.ndarray, y: np.ndarray, mu: np.ndarray, dispersion: float,
                 precision: np.ndarray) -> float:
    """Over-dispersion of 28-day sums of the residuals, relative to what independent
    day-level noise would give them.

    The comparison is with the null expectation of the same statistic for THIS fit, not
    with the raw day-level dispersion: the trend and the Fourier terms are low-frequency
    and soak up part of any block-level deviation (with ~15 blocks and ~10 such terms,
    in-sample block sums are about half as variable as fresh ones). Under independent
    noise E[(A e)_b^2] = phi * sum_i M_bi^2 mu_i with M = A (I - H), A the block sums and
    H the (penalised, weighted) hat matrix, so kappa = observed / expected is ~1 then,
    and larger when the residuals are correlated. Never below 1.
    """
    nb = len(y) // BLOCK_DAYS
    if nb < 3 or dispersion <= 0:
        return 1.0
    cut = len(y) - nb * BLOCK_DAYS  # whole blocks ending on the last baseline day
    blocks = np.repeat(np.arange(nb), BLOCK_DAYS)
    a = np.zeros((nb, len(y)))
    a[blocks, np.arange(cut, len(y))] = 1.0
    xw = x * mu[:, None]
    inv = np.linalg.pinv(xw.T @ x + np.diag(dispersion * precision))
    m = a - ((a @ x) @ inv) @ xw.T  # A (I - H)
    expected = dispersion * (m ** 2 @ mu)
    observed = (a @ (y - mu)) ** 2
    return max(1.0, float(observed.sum() / expected.sum()))


def fit_baseline(y: pd.Series) -> Fit:
    """Fit the baseline model to a complete daily series (DatetimeIndex, no gaps)."""
    days = pd.DatetimeIndex(y.index)
    values = y.to_numpy(dtype=float)
    scale = float(values.mean())
    if not np.isfinite(scale) or scale <= 0:
        raise ImpactError(note("baseline_no_sales", "the baseline window has no sales"))
    harmonics = FOURIER_PAIRS if len(days) >= YEARLY_MIN_DAYS else 0
    ind = event_indicators(days)
    events = tuple(e for i, e in enumerate(EVENTS) if ind[:, i].any())
    origin = days[-1]
    x = _design(days, origin, harmonics, events)
    precision = _precision(harmonics, len(events))
    beta, cov, mu, phi = fit_quasi_poisson(x, values / scale, precision)
    kappa = _block_kappa(x, values / scale, mu, phi, precision)
    return Fit(beta=beta, cov=cov * phi * kappa, scale=scale, dispersion=phi, kappa=kappa,
               origin=origin, harmonics=harmonics, events=events,
               fitted=pd.Series(mu * scale, index=days))


def _periods(days: pd.DatetimeIndex, anchor: pd.Timestamp, grain: str) -> np.ndarray:
    """Period start of each day: days, or 7-day weeks aligned on the event day."""
    if grain == "day":
        return days.to_numpy()
    offset = ((days - anchor).days.to_numpy() // 7) * 7
    return (anchor + pd.to_timedelta(offset, unit="D")).to_numpy()


def _group_sums(periods: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """(unique periods, sums of `values` rows per period, days per period); rows in order."""
    keys, start, counts = np.unique(periods, return_index=True, return_counts=True)
    order = np.argsort(start)
    keys, start, counts = keys[order], start[order], counts[order]
    return keys, np.add.reduceat(values, start, axis=0), counts


def estimate_impact(y: pd.Series, event: date, baseline_days: int | None = None,
                    post_days: int | None = None, level: float = 0.95, grain: str = "week",
                    n_draws: int = N_DRAWS, seed: int = 0, with_series: bool = True) -> Impact:
    """Impact of `event` on a daily series (index: consecutive days; zeros where none).

    The baseline is the `baseline_days` days before the event (default: all of them), the
    post-event window the `post_days` days from the event on (default: to the series' end).
    Leading days without any value are treated as "before the data started" and dropped.
    `seed` fixes the simulation, so the same data always gives the same interval (and the
    cache never holds two answers to one question).
    """
    if grain not in ("day", "week"):
        raise ValueError(f"grain must be day or week, not {grain!r}")
    y = y.astype(float).sort_index()
    y.index = pd.DatetimeIndex(y.index)
    nonzero = np.flatnonzero(y.to_numpy() > 0)
    if nonzero.size == 0:
        raise ImpactError(note("no_sales", "no sales at all for these filters"))
    y = y.iloc[nonzero[0]:]
    ev = pd.Timestamp(event)
    pre = y[y.index < ev]
    if baseline_days is not None:
        pre = pre[pre.index >= ev - pd.Timedelta(days=baseline_days)]
    if len(pre) < MIN_BASELINE_DAYS:
        have = f"only {len(pre)} days" if len(pre) else "no days"
        raise ImpactError(note(
            "short_baseline", f"{have} of data before {event} (at least {MIN_BASELINE_DAYS} "
            "are needed to fit the baseline)",
            days=len(pre), event=ev.date().isoformat(), needed=MIN_BASELINE_DAYS))
    post = y[y.index >= ev]
    if post_days is not None:
        post = post[post.index < ev + pd.Timedelta(days=post_days)]
    if len(post) < MIN_POST_DAYS:
        raise ImpactError(note(
            "short_window", f"only {len(post)} days of data from {event} on (at least "
            f"{MIN_POST_DAYS} are needed)",
            days=len(post), event=ev.date().isoformat(), needed=MIN_POST_DAYS))
    a = (1 - level) / 2
    actual = float(post.sum())
    span = {"event": event, "baseline_start": pre.index[0].date(),
            "baseline_end": (ev - pd.Timedelta(days=1)).date(),
            "post_end": post.index[-1].date(), "actual": actual, "level": level}
    active = int((pre.to_numpy() > 0).sum())
    if active < MIN_ACTIVE_DAYS:
        return _not_estimable(span, pre, post, ev, grain, with_series, note(
            "few_active_days",
            f"only {active} day{'s' if active != 1 else ''} with sales in the baseline (at "
            f"least {MIN_ACTIVE_DAYS} are needed to fit it): too little data for a lift",
            days=active, needed=MIN_ACTIVE_DAYS))
    fit = fit_baseline(pre)
    post_idx = pd.DatetimeIndex(post.index)
    x_post = fit.design(post_idx)
    mu_hat = fit.project(x_post)
    expected = float(mu_hat.sum())
    worth = fit.counts(expected)
    if not (np.isfinite(expected) and worth >= MIN_EXPECTED_COUNT):
        return _not_estimable(span, pre, post, ev, grain, with_series, note(
            "thin_projection",
            f"the baseline expects only about {worth:.1f} orders' worth over the window (at "
            f"least {MIN_EXPECTED_COUNT:g} are needed): too little data for a lift",
            worth=round(float(worth), 1) if np.isfinite(worth) else None,
            needed=MIN_EXPECTED_COUNT), _model_name(fit))
    rng = np.random.default_rng(seed)
    mu_draws = fit.draws_from(x_post, n_draws, rng)
    cf = fit.noisy(mu_draws.sum(axis=0), len(post), rng)
    cf_low, cf_high = (float(v) for v in np.quantile(cf, [a, 1 - a]))
    lift = actual / expected - 1
    lift_low, lift_high = (float(v) for v in np.quantile(actual / cf - 1, [a, 1 - a]))

    series = pd.DataFrame(columns=["period", "actual", "expected", "lower", "upper"])
    if with_series:
        series = _series(fit, pre, post, ev, grain, mu_hat, mu_draws, a, rng)

    notes = []
    if fit.harmonics == 0:
        notes.append(note(
            "no_yearly_season", f"baseline shorter than {YEARLY_MIN_DAYS} days: no yearly "
            "seasonality fitted, the projection has the weekday profile and the trend only",
            days=YEARLY_MIN_DAYS))
    in_window = event_indicators(post_idx).any(axis=0)
    unseen = [e for i, e in enumerate(EVENTS) if in_window[i] and e not in fit.events]
    if unseen:
        notes.append(note("unseen_events", "retail events in the window that the baseline "
                          "never saw (assumed to have no effect): " + ", ".join(unseen),
                          events=unseen))
    return Impact(
        **span, expected=expected, expected_low=cf_low, expected_high=cf_high, lift=lift,
        lift_low=lift_low, lift_high=lift_high,
        significant=bool(lift_low > 0 or lift_high < 0), model=_model_name(fit),
        notes=tuple(n.text for n in notes), series=series, coded=tuple(notes),
    )


def _model_name(fit: Fit) -> str:
    return (MODEL + ": trend, weekday"
            + (f", yearly Fourier ({fit.harmonics} pairs)" if fit.harmonics else "")
            + (", retail events" if fit.events else ""))


def _not_estimable(span: dict, pre: pd.Series, post: pd.Series, ev: pd.Timestamp,
                   grain: str, with_series: bool, reason: Note,
                   model: str = MODEL + " (not fitted: too little data)") -> Impact:
    """The answer for a series too thin for a lift: the actual values, no expectation."""
    series = pd.DataFrame(columns=["period", "actual", "expected", "lower", "upper"])
    if with_series:
        parts = []
        for part in (pre, post):
            keys, sums, _ = _group_sums(_periods(pd.DatetimeIndex(part.index), ev, grain),
                                        part.to_numpy())
            parts.append(pd.DataFrame({"period": keys, "actual": sums, "expected": np.nan,
                                       "lower": np.nan, "upper": np.nan}))
        series = pd.concat(parts, ignore_index=True)
    return Impact(**span, expected=None, expected_low=None, expected_high=None, lift=None,
                  lift_low=None, lift_high=None, significant=False,
                  model=model, notes=(reason.text,),
                  series=series, reason=reason.text, coded=(reason,))


def _series(fit: Fit, pre: pd.Series, post: pd.Series, ev: pd.Timestamp, grain: str,
            mu_hat: np.ndarray, mu_draws: np.ndarray, a: float,
            rng: np.random.Generator) -> pd.DataFrame:
    """Per period: fitted values before the event; projection and its band after it."""
    keys, sums, _ = _group_sums(
        _periods(pd.DatetimeIndex(pre.index), ev, grain),
        np.column_stack([pre.to_numpy(), fit.fitted.to_numpy()]))
    before = pd.DataFrame({"period": keys, "actual": sums[:, 0], "expected": sums[:, 1],
                           "lower": np.nan, "upper": np.nan})
    periods = _periods(pd.DatetimeIndex(post.index), ev, grain)
    keys, actual, counts = _group_sums(periods, post.to_numpy())
    _, expected, _ = _group_sums(periods, mu_hat)
    _, draws, _ = _group_sums(periods, mu_draws)
    noisy = np.vstack([fit.noisy(draws[i], int(counts[i]), rng) for i in range(len(keys))])
    lo, hi = np.quantile(noisy, [a, 1 - a], axis=1)
    after = pd.DataFrame({"period": keys, "actual": actual, "expected": expected,
                          "lower": lo, "upper": hi})
    return pd.concat([before, after], ignore_index=True)
