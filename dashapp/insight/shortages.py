"""Shortage signals: unavailable orders and delivery delays per period, spikes flagged.

`unavailable` is the order status for "the product could not be supplied" (METRICS.md),
so its rate is the shop's most direct shortage signal; delivery time and the share of late
deliveries show the logistics side of the same stress.

Why this spike rule: a spike is a period far above what the preceding periods make
normal, and "far" must hold up on small groups, where a state with 40 orders a month
swings from 0% to 5% unavailable by pure chance. Each period is compared with the median
of the trailing `WINDOWS[grain]` periods (robust: one earlier spike does not move it), and its
score `z` is the SMALLER of two z-scores, so both must be extreme:

* against the period-to-period spread: (value - median) / (1.4826 x MAD), the robust
  standard deviation of the trailing values; it captures whatever extra variation the
  metric really has;
* against the period's own sampling noise. Rates: the exact binomial tail of the period's
  count under the trailing pooled rate, turned into a z-score (a normal approximation
  would flag 7 late deliveries out of 30 where 2 are usual, which happens 1 week in 150
  by chance). Mean delivery days: on the log scale, with a coefficient of variation of
  0.75 per delivery (about the spread of Olist delivery times: mean ~12.5 days, standard
  deviation ~9.5), and never less than 2% (below that no one calls it a delay).

A period is a spike when z >= `THRESHOLD` (3.5, the usual cut-off for modified z-scores,
Iglewicz & Hoaglin) and, for rates, at least `MIN_EVENTS` orders are affected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

THRESHOLD = 3.5
#: Trailing periods that define "normal": a year of months, half a year of weeks (a
#: quarter would let a shortage that lasts two months become the norm).
WINDOWS = {"month": 12, "week": 26}
WINDOW = WINDOWS["month"]
#: Periods of history needed before a period can be judged.
MIN_HISTORY = {"month": 6, "week": 8}
MIN_EVENTS = 3
DELIVERY_CV = 0.75
DELIVERY_FLOOR = 0.02
MAD_TO_SD = 1.4826

#: metric -> (numerator column, denominator column, kind)
METRICS: dict[str, tuple[str, str, str]] = {
    "unavailable_rate": ("unavailable", "all_orders", "rate"),
    "late_rate": ("late", "deliv_n", "rate"),
    "avg_delivery_days": ("deliv_days", "deliv_n", "mean"),
}


def with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the rates (NaN where the denominator is 0) to additive per-period sums."""
    out = frame.copy()
    out["late"] = out["deliv_n"] - out["ontime_n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, (num, den, _) in METRICS.items():
            out[name] = np.where(out[den] > 0, out[num] / out[den].where(out[den] > 0), np.nan)
        out["canceled_rate"] = np.where(out["all_orders"] > 0,
                                        out["canceled"] / out["all_orders"].where(
                                            out["all_orders"] > 0), np.nan)
    return out


def robust_z(values: np.ndarray, counts: np.ndarray, events: np.ndarray | None, kind: str,
             window: int = WINDOW, min_history: int = MIN_HISTORY["month"]
             ) -> tuple[np.ndarray, np.ndarray]:
    """(baseline, z) per period; NaN where there is not enough history or no value."""
    n = len(values)
    baseline = np.full(n, np.nan)
    z_spread = np.full(n, np.nan)
    pooled = np.full(n, np.nan)
    for t in range(n):
        if not np.isfinite(values[t]) or counts[t] <= 0:
            continue
        lo = max(0, t - window)
        past, past_n = values[lo:t], counts[lo:t]
        keep = np.isfinite(past) & (past_n > 0)
        if keep.sum() < min_history:
            continue
        past = past[keep] if kind == "rate" else np.log(np.maximum(past[keep], 1e-9))
        med = float(np.median(past))
        spread = MAD_TO_SD * float(np.median(np.abs(past - med)))
        current = values[t] if kind == "rate" else math.log(max(values[t], 1e-9))
        z_spread[t] = (current - med) / spread if spread > 0 else np.inf
        baseline[t] = med if kind == "rate" else math.exp(med)
        if kind == "rate":
            assert events is not None
            total = float(past_n[keep].sum())
            pooled[t] = max(float(events[lo:t][keep].sum()) / total, 0.5 / total)
    ok = np.isfinite(baseline)
    z = np.full(n, np.nan)
    if kind == "rate":
        assert events is not None
        k, m, p = events[ok], counts[ok], pooled[ok]
        tail = stats.binom.sf(k - 1, m, p)  # P(X >= k) under the trailing rate
        z_noise = np.clip(stats.norm.isf(tail), -40, 40)
        # Below the baseline the tail test is one-sided; keep the sign of the deviation.
        z_noise = np.where(k < m * p, -np.abs(z_noise), z_noise)
    else:
        sd = np.maximum(DELIVERY_CV / np.sqrt(counts[ok]), DELIVERY_FLOOR)
        z_noise = (np.log(np.maximum(values[ok], 1e-9)) - np.log(baseline[ok])) / sd
    z[ok] = np.minimum(z_noise, z_spread[ok])
    return baseline, z


def detect(frame: pd.DataFrame, grain: str = "month",
           threshold: float = THRESHOLD) -> pd.DataFrame:
    """Per period: rates, their baselines, robust z-scores and spike flags.

    `frame` holds additive sums per period (``data.period_frame``): all_orders,
    unavailable, canceled, deliv_n, ontime_n, deliv_days.
    """
    window, min_history = WINDOWS[grain], MIN_HISTORY[grain]
    out = with_rates(frame)
    for name, (num, den, kind) in METRICS.items():
        values = out[name].to_numpy(dtype=float)
        counts = out[den].to_numpy(dtype=float)
        events = out[num].to_numpy(dtype=float) if kind == "rate" else None
        baseline, z = robust_z(values, counts, events, kind, window, min_history)
        spike = np.nan_to_num(z) >= threshold
        if kind == "rate":
            spike &= out[num].to_numpy() >= MIN_EVENTS
        out[f"{name}_baseline"] = baseline
        out[f"{name}_z"] = z
        out[f"{name}_spike"] = spike
    return out


@dataclass(frozen=True)
class Spike:
    period: str
    metric: str
    value: float
    baseline: float
    z: float


def spike_list(detected: pd.DataFrame,
               label: Callable[[pd.Timestamp], str]) -> list[Spike]:
    """The flagged (period, metric) pairs of a `detect` result, strongest first."""
    out = []
    for period, row in detected.iterrows():
        for name in METRICS:
            if row[f"{name}_spike"]:
                out.append(Spike(period=label(pd.Timestamp(period)), metric=name,
                                 value=float(row[name]),
                                 baseline=float(row[f"{name}_baseline"]),
                                 z=float(row[f"{name}_z"])))
    out.sort(key=lambda s: -s.z)
    return out
