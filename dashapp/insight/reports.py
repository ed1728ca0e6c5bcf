"""The insight answers as plain data: what /api/v1/impact, /forecast and /shortages return.

Why a layer between the models and the API: the page's insight panels need the same
answers without Flask, and the cache needs values made of lists, numbers and strings only
(a pickled class would break on the next deploy). Each function takes a connection and
resolved filters, reads its series through ``data`` and returns a JSON-ready dict; numbers
are rounded here (money to the cent, counts to 0.1, fractions to 5 decimals) so the JSON
does not pretend to a precision the models do not have.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Connection

from ..filters import FilterError, Filters
from . import data, forecast, shortages
from .impact import (
    MIN_BASELINE_DAYS,
    MIN_POST_DAYS,
    N_DRAWS,
    Impact,
    ImpactError,
    estimate_impact,
)
from .notes import Note, note

DEFAULT_EVENT = date(2020, 3, 11)
#: Selectable events (the page offers those inside the data's range).
EVENT_PRESETS: tuple[dict[str, str], ...] = (
    {"date": "2020-03-11", "label": "WHO declares COVID-19 a pandemic"},
    {"date": "2020-03-24", "label": "São Paulo state quarantine begins"},
    {"date": "2021-01-17", "label": "COVID-19 vaccination starts in Brazil"},
    {"date": "2018-05-21", "label": "Truck drivers' strike begins in Brazil"},
)
#: Default baseline: up to two years before the event (longer windows make a single
#: log-linear trend too rigid; one year is the minimum, see impact.MIN_BASELINE_DAYS).
DEFAULT_BASELINE_DAYS = 730
MAX_BASELINE_DAYS = 1826
DEFAULT_AFTER_DAYS = 182
MAX_AFTER_DAYS = 1096
DEFAULT_TOP = 12
MAX_TOP = 30
METRICS = ("orders", "sales")
#: Fewer draws for the ranked tables: /impact fits up to 2 x MAX_TOP of them, and their
#: intervals are wide anyway (500 draws move a 95% bound by ~2% of its width).
ROW_DRAWS = 500


def _r(value: float | None, digits: int) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def _digits(metric: str) -> int:
    return 2 if metric == "sales" else 1


# --- impact --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactParams:
    """The question /impact answers (besides the filters); validated by the API."""

    event: date = DEFAULT_EVENT
    baseline_days: int = DEFAULT_BASELINE_DAYS
    after_days: int = DEFAULT_AFTER_DAYS
    metric: str = "orders"
    grain: str = "week"
    top: int = DEFAULT_TOP

    def cache_args(self) -> tuple:
        return (self.event.isoformat(), self.baseline_days, self.after_days, self.metric,
                self.grain, self.top)


def _summary(imp: Impact, metric: str) -> dict[str, object]:
    """Totals over the post-event window: actual vs expected, absolute and relative.
    A series too thin for a lift (`imp.reason`) has its actual total and nulls."""
    d = _digits(metric)
    if imp.reason is not None or imp.expected is None:
        return {**dict.fromkeys(SUMMARY_KEYS), "actual": _r(imp.actual, d)}
    return {
        "actual": _r(imp.actual, d), "expected": _r(imp.expected, d),
        "expected_low": _r(imp.expected_low, d), "expected_high": _r(imp.expected_high, d),
        "difference": _r(imp.actual - imp.expected, d),
        "difference_low": _r(imp.actual - imp.expected_high, d),
        "difference_high": _r(imp.actual - imp.expected_low, d),
        "lift": _r(imp.lift, 5), "lift_low": _r(imp.lift_low, 5),
        "lift_high": _r(imp.lift_high, 5), "significant": imp.significant,
    }


SUMMARY_KEYS = ("actual", "expected", "expected_low", "expected_high", "difference",
                "difference_low", "difference_high", "lift", "lift_low", "lift_high",
                "significant")


def _estimate(y: pd.Series, p: ImpactParams, with_series: bool = True,
              n_draws: int = N_DRAWS) -> Impact:
    return estimate_impact(y, p.event, baseline_days=p.baseline_days,
                           post_days=p.after_days, grain=p.grain, n_draws=n_draws,
                           with_series=with_series)


def impact_inputs(conn: Connection, filters: Filters, metric: str,
                  top: int) -> dict[str, object]:
    """The daily series /impact needs, as plain lists (cacheable on their own).

    Reading them is most of the cost of a first /impact call (a query per category and
    state); the models are fast. Cached apart from the answer, so picking another event
    date or window refits without reading the database again.
    """
    assert filters.start
    national = data.daily(conn, filters)
    groups: dict[str, list[dict[str, object]]] = {"category": [], "state": []}
    for key in data.top_groups(conn, filters, "category", top) if top else []:
        series = data.category_daily(conn, filters, key)[metric]
        groups["category"].append({"key": key, "values": series.tolist()})
    for key in data.top_groups(conn, filters, "state", top) if top else []:
        series = data.daily(conn, filters.with_values("state", [key]))[metric]
        groups["state"].append({"key": key, "values": series.tolist()})
    return {"start": filters.start.isoformat(),
            "orders": national["orders"].tolist(), "sales": national["sales"].tolist(),
            "by_category": groups["category"], "by_state": groups["state"]}


def _series_of(inputs: dict, values: list[float]) -> pd.Series:
    index = pd.date_range(inputs["start"], periods=len(values), freq="D")
    return pd.Series(values, index=index, dtype=float)


def _group_rows(inputs: dict, p: ImpactParams, dim: str) -> list[dict[str, object]]:
    """One impact per top group, each against its own baseline; ranked by lift. A group
    too thin for a lift (impact.MIN_ACTIVE_DAYS, MIN_EXPECTED_COUNT) or without a year of
    history gets `lift: null` and a `reason`, and is ranked after the estimable ones."""
    rows = []
    for group in inputs[f"by_{dim}"]:
        try:
            imp = _estimate(_series_of(inputs, group["values"]), p, with_series=False,
                            n_draws=ROW_DRAWS)
        except ImpactError as exc:
            rows.append({"key": group["key"], **dict.fromkeys(SUMMARY_KEYS),
                         "reason": str(exc), **_reason_code(exc.note)})
            continue
        rows.append({"key": group["key"], **_summary(imp, p.metric), "reason": imp.reason,
                     **_reason_code(imp.coded[0] if imp.reason and imp.coded else None)})
    rows.sort(key=_by_lift)
    return rows


def _reason_code(why: Note | None) -> dict[str, object]:
    """A row's `reason` as a code and values (``notes``), beside its English text."""
    return {"reason_code": why.code if why else None,
            "reason_values": dict(why.values) if why else None}


def _by_lift(row: dict[str, object]) -> tuple[bool, float, str]:
    lift = row["lift"]
    return (lift is None, -float(lift) if isinstance(lift, float | int) else 0.0,
            str(row["key"]))


def impact(conn: Connection, filters: Filters, p: ImpactParams) -> dict[str, object]:
    """`impact_inputs` then `impact_from_inputs`, for callers without a cache."""
    return impact_from_inputs(impact_inputs(conn, filters, p.metric, p.top), p,
                              filters.to_json())


def impact_from_inputs(inputs: dict, p: ImpactParams,
                       filters_json: dict[str, object]) -> dict[str, object]:
    """Event impact: headline lift, both metrics' totals, the series and the ranked
    categories and states. Raises ImpactError when the series cannot support an estimate
    (the API answers 400 naming `event`)."""
    fits = {m: _estimate(_series_of(inputs, inputs[m]), p) for m in METRICS}
    main = fits[p.metric]
    series = []
    merged = fits["orders"].series.merge(fits["sales"].series, on="period",
                                         suffixes=("_o", "_s"))
    ev = pd.Timestamp(p.event)
    for row in merged.itertuples(index=False):
        point: dict[str, object] = {"period": pd.Timestamp(row.period).date().isoformat(),
                                    "post": bool(pd.Timestamp(row.period) >= ev)}
        for m, sfx in (("orders", "_o"), ("sales", "_s")):
            d = _digits(m)
            point[m] = _r(getattr(row, "actual" + sfx), d)
            point[f"{m}_expected"] = _r(getattr(row, "expected" + sfx), d)
            point[f"{m}_lower"] = _r(getattr(row, "lower" + sfx), d)
            point[f"{m}_upper"] = _r(getattr(row, "upper" + sfx), d)
        series.append(point)
    return {
        "event": p.event.isoformat(),
        "metric": p.metric,
        "level": main.level,
        "baseline": {"start": main.baseline_start.isoformat(),
                     "end": main.baseline_end.isoformat(),
                     "days": (main.baseline_end - main.baseline_start).days + 1},
        "window": {"start": p.event.isoformat(), "end": main.post_end.isoformat(),
                   "days": (main.post_end - p.event).days + 1},
        "lift": _r(main.lift, 5), "lift_low": _r(main.lift_low, 5),
        "lift_high": _r(main.lift_high, 5), "significant": main.significant,
        "totals": {m: _summary(fits[m], m) for m in METRICS},
        "model": main.model,
        "notes": list(dict.fromkeys(main.notes + fits["sales"].notes)),
        "note_codes": list({n.text: n.to_json()
                            for n in main.coded + fits["sales"].coded}.values()),
        "grain": p.grain,
        "series": series,
        "by_category": _group_rows(inputs, p, "category"),
        "by_state": _group_rows(inputs, p, "state"),
        "presets": list(EVENT_PRESETS),
        "filters": filters_json,
    }


class WindowError(FilterError):
    """An event or window the filters' date range cannot support: the API's 400 naming
    `event`, in English; `note` says it as a code and values (``notes``)."""

    def __init__(self, why: Note) -> None:
        super().__init__("event", why.text)
        self.note = why


def window_check(filters: Filters, p: ImpactParams) -> WindowError | None:
    """The problem when the event or windows cannot work with the filters' date range;
    cheap, so the API answers 400 before any model work."""
    assert filters.start and filters.end
    event, start, end = p.event.isoformat(), filters.start.isoformat(), filters.end.isoformat()
    if not filters.start <= p.event <= filters.end:
        return WindowError(note(
            "event_outside", f"event {event} is outside the data range {start} to {end} "
            "(for these filters)", event=event, start=start, end=end))
    before = (p.event - filters.start).days
    if before < MIN_BASELINE_DAYS:
        first = (filters.start + timedelta(days=MIN_BASELINE_DAYS)).isoformat()
        return WindowError(note(
            "event_too_early", f"event {event} has only {before} days of data before it "
            f"(from {start}); the baseline needs at least {MIN_BASELINE_DAYS}, so the "
            f"earliest possible event is {first}", event=event, days=before, start=start,
            needed=MIN_BASELINE_DAYS, earliest=first))
    after = (filters.end - p.event).days + 1
    if after < MIN_POST_DAYS:
        return WindowError(note(
            "event_too_late", f"event {event} leaves only {after} days of data after it (to "
            f"{end}); at least {MIN_POST_DAYS} are needed", event=event, days=after, end=end,
            needed=MIN_POST_DAYS))
    return None


# --- forecast ------------------------------------------------------------------------


def forecast_bundle(conn: Connection, filters: Filters) -> dict[str, object]:
    """Backtests and forecasts of monthly sales and orders for every horizon (cacheable)."""
    monthly = data.monthly(conn, filters)
    history = [{"period": p.strftime("%Y-%m"), "sales": _r(row.sales, 2),
                "orders": int(row.orders)} for p, row in monthly.iterrows()]
    return {
        "history": history,
        "sales": forecast.bundle_to_dict(forecast.prepare(monthly["sales"])),
        "orders": forecast.bundle_to_dict(forecast.prepare(monthly["orders"])),
        "filters": filters.to_json(),
    }


def _bounds(fc: forecast.SeriesForecast, level: float, k: int) -> tuple[float, float]:
    lo, hi = fc.bounds[level]
    return float(lo[k]), float(hi[k])


def _score(s: forecast.Score) -> dict[str, object]:
    return {"model": s.model, "label": forecast.LABELS[s.model], "mape": _r(s.mape, 5),
            "mase": _r(s.mase, 4), "errors": s.errors}


def forecast_view(bundle: dict, horizon: int) -> dict[str, object]:
    """The answer for one horizon, sliced from a cached bundle."""
    sales = forecast.select(forecast.bundle_from_dict(bundle["sales"]), horizon)
    orders = forecast.select(forecast.bundle_from_dict(bundle["orders"]), horizon)
    available = sales.available and orders.available
    points = []
    if available:
        assert sales.mean is not None and orders.mean is not None
        for k, period in enumerate(sales.periods):
            s95, s80 = _bounds(sales, 0.95, k), _bounds(sales, 0.8, k)
            o95, o80 = _bounds(orders, 0.95, k), _bounds(orders, 0.8, k)
            points.append({
                "period": period.strftime("%Y-%m"),
                "sales": _r(sales.mean[k], 2), "lower": _r(s95[0], 2), "upper": _r(s95[1], 2),
                "lower_80": _r(s80[0], 2), "upper_80": _r(s80[1], 2),
                "orders": _r(orders.mean[k], 1), "orders_lower": _r(o95[0], 1),
                "orders_upper": _r(o95[1], 1), "orders_lower_80": _r(o80[0], 1),
                "orders_upper_80": _r(o80[1], 1),
            })

    def describe(fc: forecast.SeriesForecast) -> dict[str, object]:
        chosen = fc.chosen
        if not available or chosen is None:
            return {"model": None, "model_label": None, "backtest": None}
        return {"model": chosen.model, "model_label": forecast.LABELS[chosen.model],
                "backtest": {"mape": _r(chosen.mape, 5), "mase": _r(chosen.mase, 4),
                             "months": fc.backtest_months,
                             "models": [_score(s) for s in fc.scores]}}

    refused = sales if sales.reason else orders
    return {
        "horizon": horizon,
        "level": 0.95,
        "available": available,
        "reason": None if available else refused.reason,
        "reason_code": None if available else refused.reason_code,
        "reason_values": None if available else refused.reason_values,
        **describe(sales),
        "points": points,
        "orders": describe(orders),
        "history": bundle["history"],
        "filters": bundle["filters"],
    }


# --- shortages -----------------------------------------------------------------------


def _label(grain: str) -> Callable[[pd.Timestamp], str]:
    if grain == "month":
        return lambda p: p.strftime("%Y-%m")
    return lambda p: p.date().isoformat()


def _metric_digits(name: str) -> int:
    return 2 if name == "avg_delivery_days" else 5


def _spikes(detected: pd.DataFrame, grain: str) -> list[dict[str, object]]:
    return [{"period": s.period, "metric": s.metric,
             "value": _r(s.value, _metric_digits(s.metric)),
             "baseline": _r(s.baseline, _metric_digits(s.metric)), "z": _r(s.z, 2)}
            for s in shortages.spike_list(detected, _label(grain))]


def _points(detected: pd.DataFrame, grain: str) -> list[dict[str, object]]:
    label = _label(grain)
    out = []
    for period, row in detected.iterrows():
        point: dict[str, object] = {
            "period": label(pd.Timestamp(period)), "all_orders": int(row["all_orders"]),
            "unavailable": int(row["unavailable"]), "deliveries": int(row["deliv_n"]),
            "canceled_rate": _r(row["canceled_rate"], 5)}
        for name in shortages.METRICS:
            digits = _metric_digits(name)
            point[name] = _r(row[name], digits)
            point[f"{name}_baseline"] = _r(row[f"{name}_baseline"], digits)
            point[f"{name}_z"] = _r(row[f"{name}_z"], 2)
            point[f"{name}_spike"] = bool(row[f"{name}_spike"])
        out.append(point)
    return out


def _ratio(num: float, den: float, digits: int) -> float | None:
    return _r(num / den, digits) if den else None


def _shortage_groups(conn: Connection, filters: Filters, grain: str, dim: str,
                     top: int) -> list[dict[str, object]]:
    """Per top group: its totals, its spikes (strongest first) and its series; groups
    with more spikes first, then the strongest spike."""
    rows = []
    for key in data.top_groups(conn, filters, dim, top):
        frame = data.period_frame(conn, filters.with_values(dim, [key]), grain)
        detected = shortages.detect(frame, grain)
        t = frame.sum()
        spikes = _spikes(detected, grain)
        z = [float(s["z"]) for s in spikes if isinstance(s["z"], float)]
        rows.append({
            "key": key, "all_orders": int(t["all_orders"]),
            "unavailable_rate": _ratio(t["unavailable"], t["all_orders"], 5),
            "late_rate": _ratio(t["deliv_n"] - t["ontime_n"], t["deliv_n"], 5),
            "avg_delivery_days": _ratio(t["deliv_days"], t["deliv_n"], 2),
            "spike_count": len(spikes),
            "max_z": max(z) if z else None,
            "spikes": spikes,
            "points": _points(detected, grain),
        })
    rows.sort(key=_by_spikes)
    return rows


def _by_spikes(row: dict) -> tuple[int, float, str]:
    return (-int(row["spike_count"]), -float(row["max_z"] or 0.0), str(row["key"]))


def shortage_report(conn: Connection, filters: Filters, grain: str,
                    top: int) -> dict[str, object]:
    """Unavailable rate and delivery delays per period, nationally and per top category
    and state, with spikes flagged (see ``shortages``)."""
    detected = shortages.detect(data.period_frame(conn, filters, grain), grain)
    return {
        "grain": grain,
        "method": {"window": shortages.WINDOWS[grain],
                   "min_history": shortages.MIN_HISTORY[grain],
                   "threshold": shortages.THRESHOLD, "min_events": shortages.MIN_EVENTS},
        "series": _points(detected, grain),
        "spikes": _spikes(detected, grain),
        "by_category": _shortage_groups(conn, filters, grain, "category", top) if top else [],
        "by_state": _shortage_groups(conn, filters, grain, "state", top) if top else [],
        "filters": filters.to_json(),
    }
