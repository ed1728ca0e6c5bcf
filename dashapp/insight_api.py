"""/api/v1/impact, /api/v1/forecast and /api/v1/shortages: the insight answers over HTTP.

Same filter parameters, validation, error bodies (400 naming the parameter, 503 when the
database is away), JSON and CSV as the rest of /api/v1 (``dashapp.api``); the models are in
``dashapp.insight`` and docs/INSIGHT.md explains them.

Why model work runs on a thread pool: a forecast backtest fits dozens of models, which
takes a second or more on a busy machine, and a gunicorn worker busy with it serves no one
else. So every insight answer is
  1. looked up in the service's result cache (per data version, filters and parameters):
     a hit costs what any cached answer costs;
  2. otherwise computed on a small per-process pool (``InsightRunner``), one computation
     per distinct question however many users ask it at once, and stored in the cache
     by the pool thread itself;
  3. waited for at most ``PULSE_INSIGHT_WAIT`` seconds (Flask config, default 3). A slower
     answer gets ``202 {"status": "computing"}`` with ``Retry-After``; asking again
     later returns it from the cache (or from the runner's short memory when the cache
     is down). Too many different questions in flight at once get a 503, not a queue
     that grows without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .api import _error, _format, _params, _respond, register_error_handlers, service
from .filters import FilterError, Filters
from .insight import forecast, reports
from .insight.impact import MIN_BASELINE_DAYS, ImpactError
from .openapi import FILTER_PARAMETERS

log = logging.getLogger(__name__)
insight_api = Blueprint("insight_api", __name__, url_prefix="/api/v1")

DEFAULT_WAIT = 3.0
RETRY_AFTER = 2
WORKERS = 2
MAX_PENDING = 16
#: Seconds a finished answer stays in the runner's memory (for when the cache is down).
KEEP_SECONDS = 120.0
GRAINS_IMPACT = ("week", "day")
GRAINS_SHORTAGES = ("month", "week")


class Pending(RuntimeError):
    """The answer is being computed; ask again after `retry_after` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER) -> None:
        super().__init__("computing")
        self.retry_after = retry_after


class Busy(RuntimeError):
    """Too many distinct insight computations in flight in this process."""


class InsightRunner:
    """A small thread pool with single-flight per key and a short memory of answers."""

    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING,
                 keep_seconds: float = KEEP_SECONDS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix="pulse-insight")
        # Re-entrant: a future that is already done runs its done-callback (which takes the
        # lock) right inside add_done_callback, i.e. inside `submit`'s critical section.
        self._lock = threading.RLock()
        self._futures: dict[str, Future] = {}
        self._done_at: dict[str, float] = {}
        self.max_pending = max_pending
        self.keep_seconds = keep_seconds

    def _prune(self) -> None:
        now = time.monotonic()
        for key, at in list(self._done_at.items()):
            if now - at > self.keep_seconds:
                self._done_at.pop(key, None)
                self._futures.pop(key, None)

    def _finished(self, key: str, fut: Future) -> None:
        with self._lock:
            if fut.cancelled() or fut.exception() is not None:
                # An error is not an answer to remember: the next request tries again.
                if self._futures.get(key) is fut:
                    del self._futures[key]
            else:
                self._done_at[key] = time.monotonic()

    def submit(self, key: str, compute: Callable[[], Any]) -> Future:
        with self._lock:
            self._prune()
            fut = self._futures.get(key)
            if fut is not None and fut.done() and (fut.cancelled()
                                                   or fut.exception() is not None):
                fut = None  # failed (its callback may not have run yet): try again
            if fut is None:
                running = sum(1 for f in self._futures.values() if not f.done())
                if running >= self.max_pending:
                    raise Busy(f"{running} insight computations are already running")
                fut = self._pool.submit(compute)
                self._futures[key] = fut
                fut.add_done_callback(lambda f, key=key: self._finished(key, f))
            return fut

    def result(self, key: str, compute: Callable[[], Any], wait: float) -> Any:
        fut = self.submit(key, compute)
        try:
            return fut.result(timeout=max(wait, 0.0))
        except FutureTimeout:
            raise Pending() from None

    def pending(self) -> int:
        with self._lock:
            return sum(1 for f in self._futures.values() if not f.done())


@insight_api.record_once
def _install_runner(state: Any) -> None:
    state.app.extensions.setdefault("pulse_insight", InsightRunner())


def runner() -> InsightRunner:
    found = current_app.extensions.get("pulse_insight")
    if found is None:  # the blueprint was registered before this module's record_once ran
        found = current_app.extensions.setdefault("pulse_insight", InsightRunner())
    return found


def computed(version: str, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
    """Cached answer, else computed off the request thread (see the module docstring).

    Needs a Flask app context (a request to the API, or a Dash callback of the page: the
    page's insight views call this too, so a page and an API client asking the same
    question at once share one computation). Raises Pending or Busy."""
    svc = service()
    key = svc.cache.key(version, name, *args)
    wait = float(current_app.config.get("PULSE_INSIGHT_WAIT", DEFAULT_WAIT))
    run = runner()

    def job() -> Any:  # on the pool: computes and stores, even when the asker gave up
        return svc._cached(version, name, args, compute)

    return svc._cached(version, name, args, lambda: run.result(key, job, wait))


# --- errors (the same bodies as dashapp.api) ----------------------------------------------

register_error_handlers(insight_api)


@insight_api.errorhandler(ImpactError)
def _bad_event(exc: ImpactError) -> Response:
    return _error(400, str(exc), "event")


@insight_api.errorhandler(Busy)
def _busy(exc: Busy) -> Response:
    resp = _error(503, f"the insight models are busy ({exc}); try again shortly")
    resp.headers["Retry-After"] = str(RETRY_AFTER * 2)
    return resp


@insight_api.errorhandler(Pending)
def _pending(exc: Pending) -> Response:
    resp = jsonify({"status": "computing", "retry_after": exc.retry_after})
    resp.status_code = 202
    resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


# --- parameters -----------------------------------------------------------------------------


def _one(name: str) -> str | None:
    values = [v.strip() for v in request.args.getlist(name) if v.strip()]
    if len(values) > 1:
        raise FilterError(name, f"{name} takes one value, got {len(values)}")
    return values[0] if values else None


def _int(name: str, default: int, lo: int, hi: int, unit: str = "") -> int:
    raw = _one(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FilterError(name, f"{name} must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise FilterError(name, f"{name} must be between {lo} and {hi}{unit}, got {value}")
    return value


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _one(name)
    value = default if raw is None else raw.lower()
    if value not in choices:
        raise FilterError(name, f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def _event() -> date:
    raw = _one("event")
    if raw is None:
        return reports.DEFAULT_EVENT
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError("event", f"event must be a date as YYYY-MM-DD, got {raw!r}") from None


def _parse(extra: tuple[str, ...]) -> tuple[str, Filters]:
    svc = service()
    version = svc.version()
    return version, svc.parse(_params(extra), extra=extra, version=version)


# --- endpoints ------------------------------------------------------------------------------

IMPACT_PARAMS = ("event", "baseline", "after", "metric", "grain", "top")


def impact_key(params: reports.ImpactParams, filters) -> tuple:
    """The cache key of one impact answer (the page's panel and the API share entries)."""
    return (*params.cache_args(), filters.cache_key())


def impact_computation(svc, version: str, filters, params: reports.ImpactParams):
    """How to compute one impact answer: the series are cached apart from the model fit,
    so another event date or window refits without reading the database again."""
    def compute() -> dict:
        inputs = svc._cached(
            version, "impact-data", (params.metric, params.top, filters.cache_key()),
            lambda: svc._run(lambda c: reports.impact_inputs(c, filters, params.metric,
                                                             params.top)))
        return reports.impact_from_inputs(inputs, params, filters.to_json())

    return compute


@insight_api.get("/impact")
def impact() -> Response:
    _format()
    params = reports.ImpactParams(
        event=_event(),
        baseline_days=_int("baseline", reports.DEFAULT_BASELINE_DAYS, MIN_BASELINE_DAYS,
                           reports.MAX_BASELINE_DAYS, " days"),
        after_days=_int("after", reports.DEFAULT_AFTER_DAYS, 7, reports.MAX_AFTER_DAYS,
                        " days"),
        metric=_choice("metric", "orders", reports.METRICS),
        grain=_choice("grain", "week", GRAINS_IMPACT),
        top=_int("top", reports.DEFAULT_TOP, 0, reports.MAX_TOP),
    )
    version, filters = _parse(IMPACT_PARAMS)
    problem = reports.window_check(filters, params)
    if problem:
        raise FilterError(*problem)
    body = computed(version, "impact", impact_key(params, filters),
                    impact_computation(service(), version, filters, params))
    cols = ["period", "post", "orders", "orders_expected", "orders_lower", "orders_upper",
            "sales", "sales_expected", "sales_lower", "sales_upper"]
    return _respond(body, lambda b: (b["series"], cols), f"impact-{params.event}")


def forecast_key(filters: Filters) -> tuple:
    """The cache key of one forecast bundle: per filters only, as the bundle answers every
    horizon (the page's forecast view and the API share the entry)."""
    return (filters.cache_key(),)


def forecast_answer(version: str, filters: Filters, horizon: int) -> dict:
    """/api/v1/forecast's body: the cached bundle (computed once per filter set, off the
    request thread) sliced to `horizon`. The page's forecast view calls exactly this."""
    svc = service()
    bundle = computed(version, "forecast", forecast_key(filters),
                      lambda: svc._run(lambda c: reports.forecast_bundle(c, filters)))
    return reports.forecast_view(bundle, horizon)


def shortages_key(grain: str, top: int, filters: Filters) -> tuple:
    """The cache key of one shortages answer (shared by the page's view and the API)."""
    return (grain, top, filters.cache_key())


def shortages_answer(version: str, filters: Filters, grain: str, top: int) -> dict:
    """/api/v1/shortages's body, cached per data version, filters, grain and top, computed
    off the request thread. The page's shortages view calls exactly this."""
    svc = service()
    return computed(version, "shortages", shortages_key(grain, top, filters),
                    lambda: svc._run(lambda c: reports.shortage_report(c, filters, grain,
                                                                       top)))


@insight_api.get("/forecast")
def forecast_() -> Response:
    _format()
    horizon = _int("horizon", 3, 1, forecast.MAX_HORIZON, " months")
    version, filters = _parse(("horizon",))
    body = forecast_answer(version, filters, horizon)
    cols = ["period", "sales", "lower", "upper", "lower_80", "upper_80", "orders",
            "orders_lower", "orders_upper", "orders_lower_80", "orders_upper_80"]
    return _respond(body, lambda b: (b["points"], cols), f"forecast-{horizon}m")


@insight_api.get("/shortages")
def shortages() -> Response:
    _format()
    grain = _choice("grain", "month", GRAINS_SHORTAGES)
    top = _int("top", reports.DEFAULT_TOP, 0, reports.MAX_TOP)
    version, filters = _parse(("grain", "top"))
    body = shortages_answer(version, filters, grain, top)
    cols = ["period", "all_orders", "unavailable", "unavailable_rate",
            "unavailable_rate_baseline", "unavailable_rate_z", "unavailable_rate_spike",
            "deliveries", "late_rate", "late_rate_baseline", "late_rate_z", "late_rate_spike",
            "avg_delivery_days", "avg_delivery_days_baseline", "avg_delivery_days_z",
            "avg_delivery_days_spike", "canceled_rate"]
    return _respond(body, lambda b: (b["series"], cols), f"shortages-{grain}")


# --- OpenAPI --------------------------------------------------------------------------------


def _num(nullable: bool = True, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["number", "null"] if nullable else "number"}
    if description:
        schema["description"] = description
    return schema


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _ok(schema: str) -> dict[str, Any]:
    return {
        "200": {"description": "OK", "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
            "text/csv": {"schema": {"type": "string"}}}},
        "202": {"$ref": "#/components/responses/InsightPending"},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }


def _totals() -> dict[str, Any]:
    return {"type": "object", "required": list(reports.SUMMARY_KEYS), "properties": {
        "actual": _num(False), "expected": _num(), "expected_low": _num(),
        "expected_high": _num(), "difference": _num(), "difference_low": _num(),
        "difference_high": _num(),
        "lift": _num(description="actual / expected - 1 over the window (a fraction); "
                     "null when the series is too thin for one (why: a row's reason, "
                     "or the answer's notes)"),
        "lift_low": _num(description="lower bound of the lift's interval"),
        "lift_high": _num(description="upper bound of the lift's interval"),
        "significant": {"type": ["boolean", "null"],
                        "description": "the interval excludes 0"}}}


def _group_row() -> dict[str, Any]:
    t = _totals()
    return {"type": "object", "required": ["key", *reports.SUMMARY_KEYS, "reason"],
            "properties": {"key": {"type": "string"}, **t["properties"],
                           "actual": _num(), "reason": {
                               "type": ["string", "null"],
                               "description": "why there is no estimate for this row"}}}


def _shortage_point() -> dict[str, Any]:
    props: dict[str, Any] = {"period": {"type": "string"},
                             "all_orders": {"type": "integer"},
                             "unavailable": {"type": "integer"},
                             "deliveries": {"type": "integer"},
                             "canceled_rate": _num()}
    for name in ("unavailable_rate", "late_rate", "avg_delivery_days"):
        props[name] = _num()
        props[f"{name}_baseline"] = _num(description="median of the trailing periods")
        props[f"{name}_z"] = _num(description="robust z-score against the baseline")
        props[f"{name}_spike"] = {"type": "boolean"}
    return {"type": "object", "required": list(props), "properties": props}


def _backtest() -> dict[str, Any]:
    model = {"type": "object", "required": ["model", "mape", "mase"], "properties": {
        "model": {"type": "string", "enum": list(forecast.MODELS)},
        "label": {"type": "string"}, "mape": _num(), "mase": _num(),
        "errors": {"type": "integer"}}}
    return {"type": ["object", "null"], "required": ["mape", "mase", "months", "models"],
            "properties": {
                "mape": _num(description="mean absolute percentage error, a fraction"),
                "mase": _num(description="mean absolute error / in-sample seasonal-naive "
                                         "MAE"),
                "months": {"type": "integer", "description": "months held out (rolling "
                                                            "origin)"},
                "models": {"type": "array", "items": model}}}


def openapi_paths() -> dict[str, Any]:
    """Path items and components of the insight endpoints, to merge into the document of
    ``dashapp.openapi`` (see `merge_openapi`)."""
    date_schema = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    top = _q("top", {"type": "integer", "minimum": 0, "maximum": reports.MAX_TOP,
                     "default": reports.DEFAULT_TOP},
             "how many categories and states (the largest by sales) get a row; 0: none")
    paths = {
        "/api/v1/impact": {"get": {
            "operationId": "getImpact",
            "summary": "Actual vs expected after an event, from a model of the data before it",
            "description": (
                "Fits a quasi-Poisson log-linear model (trend, weekday, yearly Fourier "
                "terms, retail events) to the daily values of the baseline window before "
                "`event`, projects it over the window after, and reports "
                "lift = sum(actual) / sum(expected) - 1 with its interval (coefficient "
                "uncertainty and day noise, simulated, inflated by the block "
                "over-dispersion of the baseline residuals). See docs/INSIGHT.md."),
            "parameters": [*FILTER_PARAMETERS,
                           _q("event", {**date_schema, "default": "2020-03-11"},
                              "event date; needs 365 days of data before it and 7 after"),
                           _q("baseline", {"type": "integer", "minimum": MIN_BASELINE_DAYS,
                                           "maximum": reports.MAX_BASELINE_DAYS,
                                           "default": reports.DEFAULT_BASELINE_DAYS},
                              "days before the event to fit on (at most; fewer when the "
                              "data starts later)"),
                           _q("after", {"type": "integer", "minimum": 7,
                                        "maximum": reports.MAX_AFTER_DAYS,
                                        "default": reports.DEFAULT_AFTER_DAYS},
                              "days from the event on to compare (at most; fewer when the "
                              "data ends earlier)"),
                           _q("metric", {"type": "string", "enum": list(reports.METRICS),
                                         "default": "orders"},
                              "the metric of lift and of the ranked tables"),
                           _q("grain", {"type": "string", "enum": list(GRAINS_IMPACT),
                                        "default": "week"},
                              "series points: days, or 7-day periods aligned on the event"),
                           top],
            "responses": _ok("Impact"),
        }},
        "/api/v1/forecast": {"get": {
            "operationId": "getForecast",
            "summary": "Next months of sales and orders with prediction intervals",
            "description": (
                "Seasonal naive, ETS, Theta and a log-linear trend + month model are "
                "backtested on the last months (rolling origin); the one with the smallest "
                "MASE forecasts. Fewer than 30 whole months, or a month without sales: "
                "available is false and reason says why."),
            "parameters": [*FILTER_PARAMETERS,
                           _q("horizon", {"type": "integer", "minimum": 1,
                                          "maximum": forecast.MAX_HORIZON, "default": 3},
                              "months to forecast")],
            "responses": _ok("Forecast"),
        }},
        "/api/v1/shortages": {"get": {
            "operationId": "getShortages",
            "summary": "Unavailable-order rate and delivery delays per period, spikes flagged",
            "parameters": [*FILTER_PARAMETERS,
                           _q("grain", {"type": "string", "enum": list(GRAINS_SHORTAGES),
                                        "default": "month"},
                              "month (YYYY-MM) or week (ISO date of its Monday)"),
                           top],
            "responses": _ok("Shortages"),
        }},
    }
    impact_point = {"type": "object", "required": ["period", "post", "orders", "sales"],
                    "properties": {"period": {"type": "string", "format": "date"},
                                   "post": {"type": "boolean"}}}
    for m in reports.METRICS:
        impact_point["properties"].update({
            m: _num(False), f"{m}_expected": _num(),
            f"{m}_lower": _num(description="null before the event"),
            f"{m}_upper": _num(description="null before the event")})
    span = {"type": "object", "required": ["start", "end", "days"], "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date"}, "days": {"type": "integer"}}}
    group_shortage = {"type": "object", "required": ["key", "spike_count", "spikes", "points"],
                      "properties": {
                          "key": {"type": "string"}, "all_orders": {"type": "integer"},
                          "unavailable_rate": _num(), "late_rate": _num(),
                          "avg_delivery_days": _num(), "spike_count": {"type": "integer"},
                          "max_z": _num(),
                          "spikes": {"type": "array", "items": {
                              "$ref": "#/components/schemas/ShortageSpike"}},
                          "points": {"type": "array", "items": {
                              "$ref": "#/components/schemas/ShortagePoint"}}}}
    forecast_point = {"type": "object", "required": ["period", "sales", "lower", "upper",
                                                     "orders", "orders_lower",
                                                     "orders_upper"],
                      "properties": {"period": {"type": "string"},
                                     **{k: _num(False) for k in (
                                         "sales", "lower", "upper", "lower_80", "upper_80",
                                         "orders", "orders_lower", "orders_upper",
                                         "orders_lower_80", "orders_upper_80")}}}
    model_fields = {"model": {"type": ["string", "null"], "enum": [*forecast.MODELS, None]},
                    "model_label": {"type": ["string", "null"]},
                    "backtest": _backtest()}
    schemas = {
        "ImpactTotals": _totals(),
        "ImpactGroupRow": _group_row(),
        "ImpactPoint": impact_point,
        "Impact": {"type": "object", "required": [
            "event", "lift", "lift_low", "lift_high", "significant", "series", "by_category",
            "by_state"], "properties": {
            "event": {"type": "string", "format": "date"},
            "metric": {"type": "string", "enum": list(reports.METRICS)},
            "level": {"type": "number"},
            "baseline": span, "window": span,
            "lift": _num(description="actual / expected - 1 over the window (a fraction); "
                         "null when the filtered series is too thin for a lift (the "
                         "reason is in notes)"),
            "lift_low": _num(), "lift_high": _num(),
            "significant": {"type": "boolean"},
            "totals": {"type": "object", "properties": {
                m: {"$ref": "#/components/schemas/ImpactTotals"} for m in reports.METRICS}},
            "model": {"type": "string"},
            "notes": {"type": "array", "items": {"type": "string"}},
            "grain": {"type": "string", "enum": list(GRAINS_IMPACT)},
            "series": {"type": "array", "items": {"$ref": "#/components/schemas/ImpactPoint"}},
            "by_category": {"type": "array", "items": {
                "$ref": "#/components/schemas/ImpactGroupRow"}},
            "by_state": {"type": "array", "items": {
                "$ref": "#/components/schemas/ImpactGroupRow"}},
            "presets": {"type": "array", "items": {"type": "object", "properties": {
                "date": {"type": "string", "format": "date"}, "label": {"type": "string"}}}},
            "filters": {"$ref": "#/components/schemas/Filters"}}},
        "ForecastPoint": forecast_point,
        "Forecast": {"type": "object", "required": [
            "horizon", "available", "reason", "model", "backtest", "points", "history"],
            "properties": {
                "horizon": {"type": "integer"}, "level": {"type": "number"},
                "available": {"type": "boolean"},
                "reason": {"type": ["string", "null"]},
                **model_fields,
                "points": {"type": "array", "items": {
                    "$ref": "#/components/schemas/ForecastPoint"}},
                "orders": {"type": "object", "properties": model_fields},
                "history": {"type": "array", "items": {"type": "object", "properties": {
                    "period": {"type": "string"}, "sales": _num(False),
                    "orders": {"type": "integer"}}}},
                "filters": {"$ref": "#/components/schemas/Filters"}}},
        "ShortagePoint": _shortage_point(),
        "ShortageSpike": {"type": "object", "required": ["period", "metric", "value", "z"],
                          "properties": {
                              "period": {"type": "string"},
                              "metric": {"type": "string", "enum": [
                                  "unavailable_rate", "late_rate", "avg_delivery_days"]},
                              "value": _num(), "baseline": _num(), "z": _num()}},
        "ShortageGroup": group_shortage,
        "Shortages": {"type": "object", "required": [
            "grain", "series", "spikes", "by_category", "by_state"], "properties": {
            "grain": {"type": "string", "enum": list(GRAINS_SHORTAGES)},
            "method": {"type": "object"},
            "series": {"type": "array", "items": {
                "$ref": "#/components/schemas/ShortagePoint"}},
            "spikes": {"type": "array", "items": {
                "$ref": "#/components/schemas/ShortageSpike"}},
            "by_category": {"type": "array", "items": {
                "$ref": "#/components/schemas/ShortageGroup"}},
            "by_state": {"type": "array", "items": {
                "$ref": "#/components/schemas/ShortageGroup"}},
            "filters": {"$ref": "#/components/schemas/Filters"}}},
        "InsightPending": {"type": "object", "required": ["status", "retry_after"],
                           "properties": {"status": {"type": "string", "enum": ["computing"]},
                                          "retry_after": {"type": "integer"}}},
    }
    responses = {"InsightPending": {
        "description": "still computing: ask again after Retry-After seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/InsightPending"}}}}}
    return {"paths": paths, "components": {"schemas": schemas, "responses": responses}}


def merge_openapi(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` (from ``dashapp.openapi.openapi_document``) with the insight endpoints added."""
    extra = openapi_paths()
    doc["paths"].update(extra["paths"])
    for section, items in extra["components"].items():
        doc.setdefault("components", {}).setdefault(section, {}).update(items)
    return doc
