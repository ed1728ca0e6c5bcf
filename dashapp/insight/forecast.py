"""Monthly forecasts with prediction intervals, the model chosen per series by backtest.

Why several models and a backtest: no single method wins on every shop and filter. A
rolling-origin backtest over the last months is the honest referee - every candidate
forecasts months it has not seen, from every origin, and the one with the smallest mean
absolute scaled error (MASE) is used. Its backtest errors are shown with the forecast, so
a reader can judge it. (The error of the winner is slightly optimistic: it was chosen on
the same months. With four candidates that bias is small, and it is the usual practice.)

Candidates (all on whole calendar months; ``data.monthly`` drops cut months):

* ``seasonal_naive`` - next January = last January. The yardstick: MASE is scaled by its
  in-sample error, and a model that cannot beat it is not worth its complexity.
* ``ets`` - exponential smoothing ETS(A,N,A) on log values (a level and a multiplicative
  season, both updated by every month), statsmodels ``ETSModel``, initial states estimated
  by maximum likelihood. Why this member of the family: on the demo data it was the best
  ETS in the backtest (ahead of (A,Ad,A), and AICc picked it every time too), and it adapts
  its level within months of a shock like the pandemic, where heuristic initial states
  (fitted on the first two years) carried the 2020 bump into the season for good.
* ``theta`` - the Theta method (M3 competition winner) on the multiplicatively
  deseasonalised series, statsmodels ``ThetaModel``.
* ``trend_season`` - least squares on log values with a linear trend and one term per
  calendar month: a constant growth rate and a fixed monthly profile.

Minimum history: 30 whole months (``MIN_MONTHS``): every backtest origin trains on at
least 24 (a yearly season has to be seen twice before it can be told from noise; ETS and
Theta need two cycles to initialise), and at least 6 months are held out, so every model
is judged on 6 x 1..6 forecasts before one is shown. Below it, or with a month without any
order (log models cannot use it, and a forecast of such a sparse series would be noise),
no forecast is made and ``reason`` says why (in English; ``reason_code`` and
``reason_values`` say it for a face to translate, see ``notes``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .notes import Note, note

SEASON = 12
MAX_HORIZON = 6
#: Months held out by the backtest (fewer when the history is short, see `backtest_months`).
BACKTEST_MONTHS = 12
#: Shortest training set of any backtest origin: two seasons.
MIN_TRAIN = 2 * SEASON
#: Fewest months held out: one per step of the longest horizon.
MIN_HELD_OUT = MAX_HORIZON
MIN_MONTHS = MIN_TRAIN + MIN_HELD_OUT
LEVELS = (0.8, 0.95)
MODELS = ("seasonal_naive", "ets", "theta", "trend_season")
LABELS = {
    "seasonal_naive": "Seasonal naive (same month last year)",
    "ets": "Exponential smoothing ETS(A,N,A) on log values",
    "theta": "Theta method, multiplicative deseasonalising",
    "trend_season": "Log-linear trend + month-of-year regression",
}


@dataclass(frozen=True)
class Prediction:
    """Point forecasts and (lower, upper) bounds per level, each of length h."""

    mean: np.ndarray
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]


# --- the candidate models -------------------------------------------------------------


_QUIETED = False


def _quiet_statsmodels() -> None:
    """Ignore statsmodels' ConvergenceWarning, process-wide, once.

    Why not ``warnings.catch_warnings()`` around each fit: it swaps the process-wide filter
    list and is not thread-safe, so two model threads interleaving can leave "ignore
    everything" behind for the whole server. This one targeted filter hides only the
    optimiser's non-convergence notices, which carry no information here: the backtest
    judges every fit by its forecast errors, converged or not.
    """
    global _QUIETED
    if not _QUIETED:
        from statsmodels.tools.sm_exceptions import ConvergenceWarning

        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        _QUIETED = True


def _monthly_index(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2000-01-01", periods=n, freq="MS")


def _season(n: int) -> int:
    return SEASON if n > SEASON else 1


def seasonal_naive(y: np.ndarray, h: int, levels: tuple[float, ...] = ()) -> Prediction:
    m = _season(len(y))
    steps = np.arange(1, h + 1)
    mean = y[len(y) - m + (steps - 1) % m]
    bounds = {}
    if levels:
        resid = y[m:] - y[:-m]
        sigma = math.sqrt(float(np.mean(resid ** 2))) if resid.size else 0.0
        k = (steps - 1) // m
        for lv in levels:
            z = stats.norm.ppf(0.5 + lv / 2)
            half = z * sigma * np.sqrt(k + 1)
            bounds[lv] = (np.maximum(mean - half, 0.0), mean + half)
    return Prediction(mean=mean.astype(float), bounds=bounds)


def ets(y: np.ndarray, h: int, levels: tuple[float, ...] = ()) -> Prediction:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    _quiet_statsmodels()
    series = pd.Series(np.log(y), index=_monthly_index(len(y)))
    res = ETSModel(series, error="add", trend=None, seasonal="add",
                   seasonal_periods=SEASON).fit(disp=False)
    if not levels:
        return Prediction(mean=np.exp(res.forecast(h).to_numpy()), bounds={})
    pred = res.get_prediction(start=len(y), end=len(y) + h - 1)
    bounds = {}
    for lv in levels:
        frame = pred.summary_frame(alpha=1 - lv)
        bounds[lv] = (np.exp(frame["pi_lower"].to_numpy()),
                      np.exp(frame["pi_upper"].to_numpy()))
    return Prediction(mean=np.exp(pred.predicted_mean.to_numpy()), bounds=bounds)


def theta(y: np.ndarray, h: int, levels: tuple[float, ...] = ()) -> Prediction:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    _quiet_statsmodels()
    series = pd.Series(y, index=_monthly_index(len(y)))
    res = ThetaModel(series, period=SEASON, deseasonalize=True, use_test=False,
                     method="multiplicative").fit()
    bounds = {}
    for lv in levels:
        frame = res.prediction_intervals(h, alpha=1 - lv)
        bounds[lv] = (np.maximum(frame["lower"].to_numpy(), 0.0), frame["upper"].to_numpy())
    return Prediction(mean=res.forecast(h).to_numpy(), bounds=bounds)


def trend_season(y: np.ndarray, h: int, levels: tuple[float, ...] = ()) -> Prediction:
    n = len(y)
    t = np.arange(n + h, dtype=float)
    month = t.astype(int) % SEASON  # position in the year relative to the first month
    x = np.column_stack([np.ones(n + h), t / SEASON,
                         *[(month == k).astype(float) for k in range(1, SEASON)]])
    xs, xf = x[:n], x[n:]
    logy = np.log(y)
    xtx_inv = np.linalg.pinv(xs.T @ xs)
    beta = xtx_inv @ xs.T @ logy
    resid = logy - xs @ beta
    dof = max(n - xs.shape[1], 1)
    sigma2 = float(resid @ resid) / dof
    centre = xf @ beta
    bounds = {}
    se = np.sqrt(sigma2 * (1 + np.einsum("ij,jk,ik->i", xf, xtx_inv, xf)))
    for lv in levels:
        q = stats.t.ppf(0.5 + lv / 2, dof)
        bounds[lv] = (np.exp(centre - q * se), np.exp(centre + q * se))
    return Prediction(mean=np.exp(centre), bounds=bounds)


FORECASTERS: dict[str, Callable[..., Prediction]] = {
    "seasonal_naive": seasonal_naive, "ets": ets, "theta": theta, "trend_season": trend_season,
}


# --- backtest and choice ---------------------------------------------------------------


def backtest_months(n: int) -> int:
    """Months held out: up to 12, keeping at least MIN_TRAIN months at the first origin."""
    return max(0, min(BACKTEST_MONTHS, n - MIN_TRAIN))


def mase_scale(train: np.ndarray) -> float:
    """In-sample MAE of the seasonal naive forecast (season 12; 1 if too short)."""
    m = _season(len(train))
    diffs = np.abs(train[m:] - train[:-m])
    return float(diffs.mean()) if diffs.size else float("nan")


def backtest_errors(y: np.ndarray, max_horizon: int, months: int,
                    models: tuple[str, ...] = MODELS) -> dict[str, list[tuple[int, float, float]]]:
    """Rolling origin over the last `months` months: per model, (step, scaled error, APE).

    From each origin o (training = the first o months) every model forecasts up to
    `max_horizon` months that lie inside the series. The absolute error is scaled by that
    origin's in-sample seasonal-naive MAE (MASE) and by the actual value (APE, a fraction;
    NaN when the actual is 0). Keeping the step lets any horizon <= max_horizon be scored
    from one run.
    """
    n = len(y)
    out: dict[str, list[tuple[int, float, float]]] = {}
    for name in models:
        fn = FORECASTERS[name]
        rows: list[tuple[int, float, float]] = []
        for origin in range(n - months, n):
            train = y[:origin]
            steps = min(max_horizon, n - origin)
            pred = fn(train, steps).mean
            actual = y[origin:origin + steps]
            scale = mase_scale(train)
            for k in range(steps):
                err = abs(float(actual[k]) - float(pred[k]))
                rows.append((k + 1, err / scale if scale > 0 else float("nan"),
                             err / float(actual[k]) if actual[k] > 0 else float("nan")))
        out[name] = rows
    return out


@dataclass(frozen=True)
class Score:
    model: str
    mape: float | None
    mase: float | None
    errors: int  # (origin, step) pairs scored


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else None


def score(errors: dict[str, list[tuple[int, float, float]]], horizon: int) -> list[Score]:
    """MAPE and MASE per model over the backtest pairs of steps 1..horizon."""
    out = []
    for name, rows in errors.items():
        kept = [r for r in rows if r[0] <= horizon]
        out.append(Score(model=name, mape=_mean([r[2] for r in kept]),
                         mase=_mean([r[1] for r in kept]), errors=len(kept)))
    return out


def backtest(y: np.ndarray, horizon: int, months: int | None = None,
             models: tuple[str, ...] = MODELS) -> list[Score]:
    """Scores of every model, rolling origin over the last `months` months (default: all
    that `backtest_months` allows), steps 1..horizon."""
    months = backtest_months(len(y)) if months is None else months
    return score(backtest_errors(y, horizon, months, models), horizon)


def choose(scores: list[Score]) -> Score:
    """Smallest MASE; ties go to the simpler model (the order of MODELS)."""
    ranked = [s for s in scores if s.mase is not None]
    if not ranked:
        return scores[0]
    return min(ranked, key=lambda s: (round(s.mase, 12), MODELS.index(s.model)))


# --- the answer for one series ----------------------------------------------------------


def refusal(y: pd.Series) -> Note | None:
    """Why `y` (whole months) cannot be forecast, or None when it can."""
    if len(y) < MIN_MONTHS:
        return note("short_history",
                    f"only {len(y)} whole months of history for these filters; a forecast "
                    f"needs at least {MIN_MONTHS} ({MIN_TRAIN} to fit on, as a yearly season "
                    f"must be seen twice, and {MIN_HELD_OUT} to backtest on)",
                    months=len(y), needed=MIN_MONTHS, train=MIN_TRAIN, held_out=MIN_HELD_OUT)
    empty = [p.strftime("%Y-%m") for p, v in y.items() if not v > 0]
    if empty:
        shown = ", ".join(empty[:6]) + (" ..." if len(empty) > 6 else "")
        return note("empty_months",
                    f"{len(empty)} month(s) without any sales for these filters ({shown}): "
                    "the series is too sparse to forecast",
                    count=len(empty), months=empty[:6], more=len(empty) > 6)
    return None


@dataclass(frozen=True)
class Bundle:
    """Everything needed to answer any horizon 1..MAX_HORIZON for one series.

    Computed once per series (the backtest is the slow part), then `select` picks the
    model and slices the predictions for a horizon: the API caches one bundle per filter
    set, not one per horizon.
    """

    available: bool
    reason: str | None = None
    months: int = 0
    last: pd.Timestamp | None = None
    #: `reason` as a code and its values (notes.py), for a face to translate.
    reason_code: str | None = None
    reason_values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, list[tuple[int, float, float]]] = field(default_factory=dict)
    predictions: dict[str, Prediction] = field(default_factory=dict)


@dataclass(frozen=True)
class SeriesForecast:
    """Forecast of one series for one horizon, or the reason why there is none."""

    available: bool
    reason: str | None = None
    model: str | None = None
    reason_code: str | None = None
    reason_values: dict[str, object] = field(default_factory=dict)
    scores: list[Score] = field(default_factory=list)
    backtest_months: int = 0
    periods: list[pd.Timestamp] = field(default_factory=list)
    mean: np.ndarray | None = None
    bounds: dict[float, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def chosen(self) -> Score | None:
        return next((s for s in self.scores if s.model == self.model), None)


def prepare(y: pd.Series, levels: tuple[float, ...] = LEVELS,
            models: tuple[str, ...] = MODELS) -> Bundle:
    """Backtest every model on `y` (monthly, index = month starts) and forecast with each."""
    why = refusal(y)
    if why:
        return Bundle(available=False, reason=why.text, reason_code=why.code,
                      reason_values=dict(why.values))
    values = y.to_numpy(dtype=float)
    months = backtest_months(len(values))
    errors = backtest_errors(values, MAX_HORIZON, months, models)
    predictions = {name: FORECASTERS[name](values, MAX_HORIZON, levels) for name in models}
    return Bundle(available=True, months=months, last=pd.Timestamp(y.index[-1]),
                  errors=errors, predictions=predictions)


def select(bundle: Bundle, horizon: int) -> SeriesForecast:
    """The model with the best backtest for `horizon`, and its first `horizon` months."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be 1..{MAX_HORIZON}, not {horizon}")
    if not bundle.available or bundle.last is None:
        return SeriesForecast(available=False, reason=bundle.reason,
                              reason_code=bundle.reason_code,
                              reason_values=bundle.reason_values)
    scores = score(bundle.errors, horizon)
    best = choose(scores)
    pred = bundle.predictions[best.model]
    periods = [bundle.last + pd.DateOffset(months=k) for k in range(1, horizon + 1)]
    return SeriesForecast(
        available=True, model=best.model, scores=scores, backtest_months=bundle.months,
        periods=periods, mean=pred.mean[:horizon],
        bounds={lv: (lo[:horizon], hi[:horizon]) for lv, (lo, hi) in pred.bounds.items()})


def forecast_series(y: pd.Series, horizon: int, levels: tuple[float, ...] = LEVELS,
                    models: tuple[str, ...] = MODELS) -> SeriesForecast:
    """Backtest, choose and forecast in one call (``prepare`` + ``select``)."""
    if not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be 1..{MAX_HORIZON}, not {horizon}")
    return select(prepare(y, levels, models), horizon)


# --- plain-data form (for caches: lists and numbers only, no pickled classes) ------------


def bundle_to_dict(bundle: Bundle) -> dict[str, object]:
    return {
        "available": bundle.available, "reason": bundle.reason, "months": bundle.months,
        "reason_code": bundle.reason_code, "reason_values": bundle.reason_values,
        "last": bundle.last.date().isoformat() if bundle.last is not None else None,
        "errors": {m: [list(r) for r in rows] for m, rows in bundle.errors.items()},
        "predictions": {
            m: {"mean": p.mean.tolist(),
                "bounds": {str(lv): [lo.tolist(), hi.tolist()] for lv, (lo, hi)
                           in p.bounds.items()}}
            for m, p in bundle.predictions.items()},
    }


def bundle_from_dict(raw: dict) -> Bundle:
    return Bundle(
        available=bool(raw["available"]), reason=raw["reason"], months=int(raw["months"]),
        # .get: a bundle cached before the codes existed has none (the page then shows
        # the English reason)
        reason_code=raw.get("reason_code"), reason_values=dict(raw.get("reason_values") or {}),
        last=pd.Timestamp(raw["last"]) if raw["last"] else None,
        errors={m: [(int(s), float(e), float(a)) for s, e, a in rows]
                for m, rows in raw["errors"].items()},
        predictions={
            m: Prediction(mean=np.array(p["mean"]),
                          bounds={float(lv): (np.array(lo), np.array(hi))
                                  for lv, (lo, hi) in p["bounds"].items()})
            for m, p in raw["predictions"].items()},
    )
