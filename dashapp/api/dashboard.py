"""The dashboard endpoints of `/api/v1`: the JSON twin of every chart on the page.

Same filters as the page's URL, same service and cache underneath: a number
on screen and the API's number are one computation.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from ..filters import FilterError, shown
from ..jsonout import jsonable
from ..metrics import KPI_FIELDS
from ..queries.report import DIMENSIONS, GRAINS
from .common import (
    OUTPUT_PARAMS,
    choice_param,
    error,
    output_format,
    parsed_filters,
    register_error_handlers,
    respond,
    service,
)
from .openapi import openapi_document

log = logging.getLogger(__name__)
api = Blueprint("pulse_api", __name__, url_prefix="/api/v1")
health = Blueprint("pulse_health", __name__)


register_error_handlers(api)


@api.errorhandler(404)
def _not_found(exc: Exception) -> Response:
    return error(404, f"no such endpoint: {request.path} (see /api/v1/openapi.json)")


@api.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def _unknown(anything: str) -> Response:
    """Without this, the page's catch-all route would answer unknown API paths with HTML."""
    if request.method != "GET":
        return _not_allowed(None)  # type: ignore[arg-type]
    return _not_found(None)  # type: ignore[arg-type]


@api.errorhandler(405)
def _not_allowed(exc: Exception) -> Response:
    return error(405, "the API is read-only: use GET")


@api.get("/kpis")
def kpis() -> Response:
    fmt = output_format()
    with parsed_filters() as (reader, filters):
        body = service().kpis(filters, reader=reader)
    if fmt == "csv":
        rows = [{"metric": k, "current": body["current"][k], "previous": body["previous"][k],
                 "growth": body["growth"][k]} for k in KPI_FIELDS]
        return respond(body, lambda _: (rows, ["metric", "current", "previous", "growth"]),
                        "kpis")
    return respond(body, lambda b: ([], []), "kpis")


@api.get("/timeseries")
def timeseries() -> Response:
    output_format()
    grain = choice_param("grain", "month", GRAINS)
    with parsed_filters(("grain",)) as (reader, filters):
        body = service().timeseries(filters, grain, reader=reader)
    cols = ["period", "sales", "orders", "aov", "mom", "yoy"]
    return respond(body, lambda b: (b["points"], cols), f"timeseries-{grain}")


@api.get("/breakdown/<dim>")
def breakdown(dim: str) -> Response:
    output_format()
    if dim not in DIMENSIONS:
        raise FilterError("dim", f"breakdown dimension must be one of {', '.join(DIMENSIONS)}, "
                                 f"got {shown(dim)}")
    with parsed_filters() as (reader, filters):
        body = service().breakdown(filters, dim, reader=reader)
    if dim == "payment_type":
        cols = ["key", "payment_rows", "orders", "value", "share_orders", "share_value",
                "avg_installments"]
    elif dim == "category":
        cols = ["key", "sales", "freight", "revenue", "items", "orders", "aov"]
    else:
        cols = ["key", *KPI_FIELDS]
    return respond(body, lambda b: (b["rows"], cols), f"breakdown-{dim}")


@api.get("/meta")
def meta() -> Response:
    fmt = output_format()
    unknown = [k for k in request.args if k not in OUTPUT_PARAMS]
    if unknown:
        raise FilterError(unknown[0], f"unknown parameter {shown(unknown[0])}")
    body = service().meta()
    if fmt == "csv":
        rows = [{"field": k, "value": ",".join(v) if isinstance(v, list) else v}
                for k, v in body.items()]
        return respond(body, lambda _: (rows, ["field", "value"]), "meta")
    return jsonify(jsonable(body))


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@health.get("/healthz")
def healthz() -> Response:
    body = service().health()
    resp = jsonify(body)
    resp.status_code = 200 if body["status"] == "ok" else 503
    return resp
