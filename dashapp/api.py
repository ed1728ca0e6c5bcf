"""The read-only REST API (`/api/v1`), the JSON twin of every chart on the page.

Same filters as the page's URL, same service and cache underneath: a number
on screen and the API's number are one computation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .filters import FilterError
from .jsonout import jsonable, to_csv
from .metrics import KPI_FIELDS
from .openapi import openapi_document
from .queries.report import DIMENSIONS, GRAINS
from .service import DatabaseUnavailable, NoData, PulseService

log = logging.getLogger(__name__)
api = Blueprint("pulse_api", __name__, url_prefix="/api/v1")
health = Blueprint("pulse_health", __name__)


def service() -> PulseService:
    return current_app.extensions["pulse"]


def _error(status: int, message: str, parameter: str | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    resp = jsonify(body)
    resp.status_code = status
    return resp


def _params(extra: tuple[str, ...] = ()) -> dict[str, list[str]]:
    return {k: request.args.getlist(k) for k in request.args if k not in ("format", *extra)}


def _format() -> str:
    fmt = request.args.get("format", "json").lower()
    if fmt not in ("json", "csv"):
        raise FilterError("format", f"format must be json or csv, got {fmt!r}")
    return fmt


def _respond(body: dict, csv_rows: Callable[[dict], tuple[list[dict], list[str]]],
             name: str) -> Response:
    if _format() == "csv":
        rows, columns = csv_rows(body)
        return Response(to_csv(rows, columns), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return jsonify(jsonable(body))


def _bad_filter(exc: FilterError) -> Response:
    return _error(400, exc.message, exc.parameter)


def _db_down(exc: DatabaseUnavailable) -> Response:
    log.warning("api: database unavailable: %s", exc)
    resp = _error(503, f"database unavailable: {exc}")
    resp.headers["Retry-After"] = "5"
    return resp


def _no_data(exc: NoData) -> Response:
    return _error(503, str(exc))


def register_error_handlers(blueprint: Blueprint) -> None:
    """The API's error bodies, shared by every blueprint under /api/v1."""
    blueprint.register_error_handler(FilterError, _bad_filter)
    blueprint.register_error_handler(DatabaseUnavailable, _db_down)
    blueprint.register_error_handler(NoData, _no_data)


register_error_handlers(api)


@api.errorhandler(404)
def _not_found(exc: Exception) -> Response:
    return _error(404, f"no such endpoint: {request.path} (see /api/v1/openapi.json)")


@api.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def _unknown(anything: str) -> Response:
    """Without this, the page's catch-all route would answer unknown API paths with HTML."""
    if request.method != "GET":
        return _not_allowed(None)  # type: ignore[arg-type]
    return _not_found(None)  # type: ignore[arg-type]


@api.errorhandler(405)
def _not_allowed(exc: Exception) -> Response:
    return _error(405, "the API is read-only: use GET")


@api.get("/kpis")
def kpis() -> Response:
    fmt = _format()
    svc = service()
    body = svc.kpis(svc.parse(_params()))
    if fmt == "csv":
        rows = [{"metric": k, "current": body["current"][k], "previous": body["previous"][k],
                 "growth": body["growth"][k]} for k in KPI_FIELDS]
        return _respond(body, lambda _: (rows, ["metric", "current", "previous", "growth"]),
                        "kpis")
    return _respond(body, lambda b: ([], []), "kpis")


@api.get("/timeseries")
def timeseries() -> Response:
    _format()
    grain = request.args.get("grain", "month").lower()
    if grain not in GRAINS:
        raise FilterError("grain", f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
    svc = service()
    body = svc.timeseries(svc.parse(_params(("grain",)), extra=("grain",)), grain)
    cols = ["period", "sales", "orders", "aov", "mom", "yoy"]
    return _respond(body, lambda b: (b["points"], cols), f"timeseries-{grain}")


@api.get("/breakdown/<dim>")
def breakdown(dim: str) -> Response:
    _format()
    if dim not in DIMENSIONS:
        raise FilterError("dim", f"breakdown dimension must be one of {', '.join(DIMENSIONS)}, "
                                 f"got {dim!r}")
    svc = service()
    body = svc.breakdown(svc.parse(_params()), dim)
    if dim == "payment_type":
        cols = ["key", "payment_rows", "orders", "value", "share_orders", "share_value",
                "avg_installments"]
    elif dim == "category":
        cols = ["key", "sales", "freight", "revenue", "items", "orders", "aov"]
    else:
        cols = ["key", *KPI_FIELDS]
    return _respond(body, lambda b: (b["rows"], cols), f"breakdown-{dim}")


@api.get("/meta")
def meta() -> Response:
    fmt = _format()
    unknown = [k for k in request.args if k != "format"]
    if unknown:
        raise FilterError(unknown[0], f"unknown parameter {unknown[0]!r}")
    body = service().meta()
    if fmt == "csv":
        rows = [{"field": k, "value": ",".join(v) if isinstance(v, list) else v}
                for k, v in body.items()]
        return _respond(body, lambda _: (rows, ["field", "value"]), "meta")
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
