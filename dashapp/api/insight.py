"""/api/v1/impact, /api/v1/forecast and /api/v1/shortages: the insight answers over HTTP.

Same filter parameters, validation, error bodies (400 naming the parameter, 503 when the
database is away), JSON and CSV as the rest of /api/v1 (``dashapp.api.common``). The
answers themselves, cached and computed off the request thread, are
``dashapp.insight.answers`` (the page's panels give the same ones); the models are in
``dashapp.insight`` and docs/INSIGHT.md explains them. A slow answer is a
``202 {"status": "computing"}`` with Retry-After; too many questions in flight, a 503.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from ..insight import forecast, reports
from ..insight.answers import GRAINS_IMPACT, GRAINS_SHORTAGES
from ..insight.impact import MIN_BASELINE_DAYS, ImpactError
from ..insight.runner import RETRY_AFTER, Busy, Pending
from .common import (
    answers,
    choice_param,
    date_param,
    error,
    int_param,
    output_format,
    parsed_filters,
    register_error_handlers,
    respond,
)

insight_api = Blueprint("insight_api", __name__, url_prefix="/api/v1")
register_error_handlers(insight_api)


@insight_api.errorhandler(ImpactError)
def _bad_event(exc: ImpactError) -> Response:
    return error(400, str(exc), "event")


@insight_api.errorhandler(Busy)
def _busy(exc: Busy) -> Response:
    resp = error(503, f"the insight models are busy ({exc}); try again shortly")
    resp.headers["Retry-After"] = str(RETRY_AFTER * 2)
    return resp


@insight_api.errorhandler(Pending)
def _pending(exc: Pending) -> Response:
    resp = jsonify({"status": "computing", "retry_after": exc.retry_after})
    resp.status_code = 202
    resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


IMPACT_PARAMS = ("event", "baseline", "after", "metric", "grain", "top")


@insight_api.get("/impact")
def impact() -> Response:
    output_format()
    params = reports.ImpactParams(
        event=date_param("event", reports.DEFAULT_EVENT),
        baseline_days=int_param("baseline", reports.DEFAULT_BASELINE_DAYS, MIN_BASELINE_DAYS,
                                reports.MAX_BASELINE_DAYS, " days"),
        after_days=int_param("after", reports.DEFAULT_AFTER_DAYS, 7, reports.MAX_AFTER_DAYS,
                             " days"),
        metric=choice_param("metric", "orders", reports.METRICS),
        grain=choice_param("grain", "week", GRAINS_IMPACT),
        top=int_param("top", reports.DEFAULT_TOP, 0, reports.MAX_TOP),
    )
    with parsed_filters(IMPACT_PARAMS) as (reader, filters):
        body = answers().impact(filters, params, reader=reader)
    cols = ["period", "post", "orders", "orders_expected", "orders_lower", "orders_upper",
            "sales", "sales_expected", "sales_lower", "sales_upper"]
    return respond(body, lambda b: (b["series"], cols), f"impact-{params.event}")


@insight_api.get("/forecast")
def forecast_() -> Response:
    output_format()
    horizon = int_param("horizon", 3, 1, forecast.MAX_HORIZON, " months")
    with parsed_filters(("horizon",)) as (reader, filters):
        body = answers().forecast(filters, horizon, reader=reader)
    cols = ["period", "sales", "lower", "upper", "lower_80", "upper_80", "orders",
            "orders_lower", "orders_upper", "orders_lower_80", "orders_upper_80"]
    return respond(body, lambda b: (b["points"], cols), f"forecast-{horizon}m")


@insight_api.get("/shortages")
def shortages() -> Response:
    output_format()
    grain = choice_param("grain", "month", GRAINS_SHORTAGES)
    top = int_param("top", reports.DEFAULT_TOP, 0, reports.MAX_TOP)
    with parsed_filters(("grain", "top")) as (reader, filters):
        body = answers().shortages(filters, grain, top, reader=reader)
    cols = ["period", "all_orders", "unavailable", "unavailable_rate",
            "unavailable_rate_baseline", "unavailable_rate_z", "unavailable_rate_spike",
            "deliveries", "late_rate", "late_rate_baseline", "late_rate_z", "late_rate_spike",
            "avg_delivery_days", "avg_delivery_days_baseline", "avg_delivery_days_z",
            "avg_delivery_days_spike", "canceled_rate"]
    return respond(body, lambda b: (b["series"], cols), f"shortages-{grain}")
