"""The OpenAPI 3.1 description of the whole REST API, served at /api/v1/openapi.json.

Kept next to the code and checked by tests against real responses, so the
document cannot drift from what the API returns.
"""

from __future__ import annotations

from typing import Any

from ..config import LOCALES
from ..filters import FILTER_PARAMS, LIST_PARAMS
from ..insight import forecast, notes, reports
from ..insight.answers import GRAINS_IMPACT, GRAINS_SHORTAGES
from ..insight.impact import MIN_BASELINE_DAYS
from ..metrics import KPI_FIELDS, MONEY_FIELDS
from ..queries import customerlist
from ..queries import customers as customer_figures
from ..queries import orders as order_list
from ..queries import sellers as seller_list
from ..queries.report import DIMENSIONS
from ..userdata import ALERT_CHANNELS, ALERT_OPS, ALERT_WINDOWS

#: A date parameter: YYYY-MM-DD in ASCII digits (a JSON Schema `\d` may match any
#: script's digits; the API takes only ASCII ones). The window (1900-01-01..2999-12-31)
#: is in each parameter's description and is a 400 outside: kept out of the pattern so a
#: fuzzer still sends the dates just outside it, which found the OverflowErrors.
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_INT_FIELDS = {"orders", "items", "customers", "new_customers"}


def _num(nullable: bool = True, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["number", "null"] if nullable else "number"}
    if description:
        schema["description"] = description
    return schema


def _kpi_set() -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in KPI_FIELDS:
        if f in _INT_FIELDS:
            props[f] = {"type": "integer", "minimum": 0}
        elif f in MONEY_FIELDS:
            props[f] = _num(nullable=f == "aov", description="in the data's currency "
                                                             "(PULSE_CURRENCY), 2 decimals")
        else:
            props[f] = _num(description="a fraction (0..1) for rates; null when undefined")
    return {"type": "object", "required": list(KPI_FIELDS), "properties": props,
            "additionalProperties": False}


def _param(name: str, description: str, schema: dict[str, Any] | None = None,
           explode: bool = True) -> dict[str, Any]:
    return {
        "name": name, "in": "query", "required": False, "description": description,
        "schema": schema or {"type": "array", "items": {"type": "string"}},
        "style": "form", "explode": explode,
    }


FILTER_PARAMETERS = [{"$ref": f"#/components/parameters/{name}"}
                     for name in (*FILTER_PARAMS, "format", "locale")]


#: What any /api/v1 operation may answer before it runs: sign-in (when it is on) and the
#: per-client rate limit sit in front of every endpoint (dashapp/web/auth.py, security.py).
#: 413 is not listed: it answers a request body, and no operation takes one.
GUARD_RESPONSES = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "429": {"$ref": "#/components/responses/TooManyRequests"},
}


def _responses(schema_ref: str, csv: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": schema_ref}}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {
        "200": {"description": "OK", "content": content},
        "400": {"$ref": "#/components/responses/BadRequest"},
        **GUARD_RESPONSES,
        "503": {"$ref": "#/components/responses/Unavailable"},
    }


def _dashboard_paths() -> dict[str, Any]:
    return {
        "/api/v1/kpis": {"get": {
            "operationId": "getKpis",
            "summary": "KPIs for the filters, the previous period, and growth",
            "parameters": FILTER_PARAMETERS,
            "responses": _responses("#/components/schemas/KpiReport"),
        }},
        "/api/v1/timeseries": {"get": {
            "operationId": "getTimeseries",
            "summary": "Sales and orders per period with mom and yoy change of sales",
            "parameters": [*FILTER_PARAMETERS, {
                "name": "grain", "in": "query", "required": False,
                "schema": {"type": "string", "enum": ["month", "week", "day"],
                           "default": "month"},
                "description": "month: period YYYY-MM; week: the ISO date of its Monday; "
                               "day: the date. mom compares with the period before, yoy "
                               "with the same period a year (52 weeks) before; those "
                               "reference periods are whole and read from the data even "
                               "before start.",
            }],
            "responses": _responses("#/components/schemas/Timeseries"),
        }},
        "/api/v1/breakdown/{dim}": {"get": {
            "operationId": "getBreakdown",
            "summary": "Metrics per state, region, category or payment type",
            "parameters": [{
                "name": "dim", "in": "path", "required": True,
                "schema": {"type": "string", "enum": list(DIMENSIONS)},
            }, *FILTER_PARAMETERS],
            "responses": _responses("#/components/schemas/Breakdown"),
        }},
        "/api/v1/meta": {"get": {
            "operationId": "getMeta",
            "summary": "Data version, load time, date range and the values present",
            "parameters": [{"$ref": "#/components/parameters/format"},
                           {"$ref": "#/components/parameters/locale"}],
            "responses": _responses("#/components/schemas/Meta"),
        }},
        "/api/v1/openapi.json": {"get": {
            "operationId": "getOpenapi",
            "summary": "This document",
            "responses": {"200": {"description": "OK", "content": {
                "application/json": {"schema": {"type": "object"}}}}, **GUARD_RESPONSES,
                # with sign-in on, a token is checked in the database before this answers
                "503": {"$ref": "#/components/responses/Unavailable"}},
        }},
        "/healthz": {"get": {
            "operationId": "getHealth",
            "summary": "State of the database and the cache",
            "security": [{}],  # public, and not rate-limited: load balancers poll it
            "responses": {
                "200": {"description": "healthy", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}},
                "503": {"description": "database unreachable", "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"}}}},
            },
        }},
    }


def _error_responses() -> dict[str, Any]:
    """The answers that are not the operation's own: every one an Error body."""
    return {
        "BadRequest": {"description": "a parameter is wrong", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "Unavailable": {"description": "database unreachable (with Retry-After; also "
                                       "while checking an API token), no data loaded, "
                                       "or, on the insight endpoints, too many model "
                                       "computations in flight",
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Error"}}}},
        "Unauthorized": {
            "description": "sign-in is on (an exposed server) and the request carries "
                           "neither a valid API token nor a signed-in session",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
        "TooManyRequests": {
            "description": "over the per-client limit of API requests per minute "
                           "(PULSE_API_RATE_LIMIT); ask again after Retry-After seconds",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"}}}},
    }


def _security_schemes() -> dict[str, Any]:
    """How a request signs in when sign-in is on (dashapp/web/auth.py)."""
    return {
        "apiToken": {"type": "http", "scheme": "bearer",
                     "description": "a token from `pulse token create`"},
        "session": {"type": "apiKey", "in": "cookie", "name": "pulse_session",
                    "description": "the page's signed-in browser session"},
    }


def _filter_parameters() -> dict[str, Any]:
    """The filter parameters every data endpoint shares, and `format`."""
    return {
        "start": _param("start", "first purchase day, inclusive (default: data start; "
                                 "1900-01-01 to 2999-12-31, and the previous period "
                                 "must begin on or after 1900-01-01)", DATE_SCHEMA),
        "end": _param("end", "last purchase day, inclusive (default: data end; "
                             "1900-01-01 to 2999-12-31)", DATE_SCHEMA),
        "state": _param("state", "customer state code(s), e.g. SP"),
        "region": _param("region", "region code(s): N, NE, CO, SE, S"),
        "category": _param("category", "product category (English name)"),
        "payment_type": _param("payment_type", "payment type(s), e.g. credit_card"),
        "seller": _param("seller", "seller_id(s): orders having an item of one, with only "
                                   "their items in item sums (with category: an item "
                                   "of both)"),
        "format": _param("format", "json (default) or csv, in any case; one value",
                         {"type": "string", "enum": ["json", "csv"], "default": "json"}),
        "locale": _param("locale", "how a CSV writes numbers: absent, `.` decimals and `,` "
                                   "between fields; pt_BR, fr or fr_MA (any case, `-` or "
                                   "`_`): `,` decimals and `;` between fields, for a "
                                   "spreadsheet in that locale; en: the default. JSON is "
                                   "locale-neutral and ignores it; dates stay ISO. One value",
                         {"type": "string", "enum": list(LOCALES)}),
    }


def _dashboard_components() -> dict[str, Any]:
    return {
        "parameters": _filter_parameters(),
        "responses": _error_responses(),
        "securitySchemes": _security_schemes(),
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "parameter": {"type": "string",
                              "description": "the query or path parameter that is wrong"},
                "login": {"type": "string", "description": "where to sign in (401)"}}},
            "Filters": {"type": "object", "required": [*FILTER_PARAMS],
                "properties": {
                    "start": {"type": ["string", "null"], "format": "date"},
                    "end": {"type": ["string", "null"], "format": "date"},
                    **{k: {"type": "array", "items": {"type": "string"}}
                       for k in LIST_PARAMS},
                    "previous_period": {"$ref": "#/components/schemas/PreviousPeriod"},
                }},
            "PreviousPeriod": {
                "type": "object", "required": ["start", "end", "basis", "length"],
                "description": "what the current range is compared with: the same number "
                               "of whole calendar months just before it when the range is "
                               "whole months, else as many days just before it",
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                    "basis": {"type": "string", "enum": ["months", "days"]},
                    "length": {"type": "integer", "minimum": 1,
                               "description": "in months or days, as basis says"}}},
            "KpiSet": _kpi_set(),
            "Growth": {"type": "object", "required": list(KPI_FIELDS), "properties": {
                f: _num(description="(current - previous) / previous") for f in KPI_FIELDS},
                "additionalProperties": False},
            "KpiReport": {"type": "object",
                          "required": ["filters", "current", "previous", "growth"],
                          "properties": {
                              "filters": {"$ref": "#/components/schemas/Filters"},
                              "previous_period": {
                                  "$ref": "#/components/schemas/PreviousPeriod"},
                              "current": {"$ref": "#/components/schemas/KpiSet"},
                              "previous": {"$ref": "#/components/schemas/KpiSet"},
                              "growth": {"$ref": "#/components/schemas/Growth"}}},
            "Point": {"type": "object",
                      "required": ["period", "sales", "orders", "aov", "mom", "yoy"],
                      "properties": {
                          "period": {"type": "string"}, "sales": _num(False),
                          "orders": {"type": "integer"}, "aov": _num(),
                          "freight": _num(False), "items": {"type": "integer"},
                          "mom": _num(), "yoy": _num()}},
            "Timeseries": {"type": "object", "required": ["grain", "points"],
                           "properties": {
                               "grain": {"type": "string",
                                         "enum": ["month", "week", "day"]},
                               "filters": {"$ref": "#/components/schemas/Filters"},
                               "points": {"type": "array", "items": {
                                   "$ref": "#/components/schemas/Point"}}}},
            "BreakdownRow": {"type": "object", "required": ["key"], "properties": {
                "key": {"type": "string"},
                **{f: _kpi_set()["properties"][f] for f in KPI_FIELDS},
                "payment_rows": {"type": "integer"}, "value": _num(False),
                "share_orders": _num(), "share_value": _num(),
                "avg_installments": _num()}},
            "Breakdown": {"type": "object", "required": ["dim", "rows"], "properties": {
                "dim": {"type": "string"},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "rows": {"type": "array", "items": {
                    "$ref": "#/components/schemas/BreakdownRow"}}}},
            "Meta": {"type": "object", "required": [
                "data_version", "loaded_at", "synthetic", "start", "end", "states",
                "categories", "payment_types"], "properties": {
                "data_version": {"type": ["string", "null"]},
                "loaded_at": {"type": ["string", "null"], "format": "date-time"},
                "synthetic": {"type": "boolean"},
                "source": {"type": ["string", "null"]},
                "start": {"type": ["string", "null"], "format": "date"},
                "end": {"type": ["string", "null"], "format": "date"},
                "states": {"type": "array", "items": {"type": "string"}},
                "categories": {"type": "array", "items": {"type": "string"}},
                "payment_types": {"type": "array", "items": {"type": "string"}},
                "sellers": {"type": "array", "items": {"type": "string"},
                            "description": "every seller_id, byte order"}}},
            "Health": {"type": "object", "required": ["status", "database", "cache"],
                       "properties": {
                           "status": {"type": "string", "enum": ["ok", "unavailable"]},
                           "database": {"type": "string"},
                           "cache": {"type": "string"},
                           "data_version": {"type": ["string", "null"]}}},
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document: the dashboard endpoints, the insight ones, the order list."""
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Pulse API",
            "version": "1.0.0",
            "description": (
                "Sales metrics of the loaded Olist-format dataset (read-only), and what "
                "people save beside them: views, targets, events. Every metric "
                "follows METRICS.md. Filter parameters are repeatable or comma-separated; "
                "values of one kind combine with OR, kinds combine with AND."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        # Sign-in is off on a laptop (127.0.0.1) and on when the server is exposed: then
        # an API token or a signed-in session; hence the empty alternative.
        "security": [{}, {"apiToken": []}, {"session": []}],
        "paths": _dashboard_paths(),
        "components": _dashboard_components(),
    }
    doc["paths"].update(_insight_paths())
    for section, items in _insight_components().items():
        doc["components"][section].update(items)
    doc["paths"].update(_order_paths())
    for section, items in _order_components().items():
        doc["components"].setdefault(section, {}).update(items)
    doc["paths"].update(_customer_paths())
    doc["components"]["schemas"].update(_customer_schemas())
    doc["paths"].update(_seller_paths())
    doc["components"]["schemas"].update(_seller_schemas())
    doc["paths"].update(_userdata_paths())
    doc["components"]["schemas"].update(_userdata_schemas())
    return doc


# --- the insight endpoints ------------------------------------------------------------


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
        **GUARD_RESPONSES,
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


def _reason_code(what: str) -> dict[str, Any]:
    """`reason_code` and `reason_values`: `what` as a stable code, to translate."""
    return {"reason_code": {
        "type": ["string", "null"], "enum": [*notes.CODES, None],
        "description": f"{what} as a stable code (the English text may change; the code "
                       "does not), for a client that writes its own words"},
            "reason_values": {"type": ["object", "null"],
                              "description": "the code's values (numbers, ISO dates, lists)"}}


def _note_code() -> dict[str, Any]:
    return {"type": "object", "required": ["code", "values"], "properties": {
        "code": {"type": "string", "enum": list(notes.CODES)},
        "values": {"type": "object"}}}


def _group_row() -> dict[str, Any]:
    t = _totals()
    return {"type": "object", "required": ["key", *reports.SUMMARY_KEYS, "reason"],
            "properties": {"key": {"type": "string"}, **t["properties"],
                           "actual": _num(), "reason": {
                               "type": ["string", "null"],
                               "description": "why there is no estimate for this row"},
                           **_reason_code("reason")}}


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


def _insight_paths() -> dict[str, Any]:
    """Path items of /api/v1/impact, /forecast and /shortages."""
    date_schema = DATE_SCHEMA
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
                              "event date (1900-01-01 to 2999-12-31); needs 365 days of data "
                              "before it and 7 after"),
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
    return paths


def _shortage_group() -> dict[str, Any]:
    return {"type": "object", "required": ["key", "spike_count", "spikes", "points"],
            "properties": {
                "key": {"type": "string"}, "all_orders": {"type": "integer"},
                "unavailable_rate": _num(), "late_rate": _num(),
                "avg_delivery_days": _num(), "spike_count": {"type": "integer"},
                "max_z": _num(),
                "spikes": {"type": "array", "items": {
                    "$ref": "#/components/schemas/ShortageSpike"}},
                "points": {"type": "array", "items": {
                    "$ref": "#/components/schemas/ShortagePoint"}}}}


def _forecast_point() -> dict[str, Any]:
    return {"type": "object", "required": ["period", "sales", "lower", "upper", "orders",
                                           "orders_lower", "orders_upper"],
            "properties": {"period": {"type": "string"},
                           **{k: _num(False) for k in (
                               "sales", "lower", "upper", "lower_80", "upper_80",
                               "orders", "orders_lower", "orders_upper",
                               "orders_lower_80", "orders_upper_80")}}}


def _impact_point() -> dict[str, Any]:
    point: dict[str, Any] = {"type": "object", "required": ["period", "post", "orders", "sales"],
                             "properties": {"period": {"type": "string", "format": "date"},
                                            "post": {"type": "boolean"}}}
    for m in reports.METRICS:
        point["properties"].update({
            m: _num(False), f"{m}_expected": _num(),
            f"{m}_lower": _num(description="null before the event"),
            f"{m}_upper": _num(description="null before the event")})
    return point


def _insight_components() -> dict[str, Any]:
    """Schemas and responses of the insight endpoints."""
    impact_point = _impact_point()
    span = {"type": "object", "required": ["start", "end", "days"], "properties": {
        "start": {"type": "string", "format": "date"},
        "end": {"type": "string", "format": "date"}, "days": {"type": "integer"}}}
    group_shortage = _shortage_group()
    forecast_point = _forecast_point()
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
            "note_codes": {"type": "array", "items": _note_code(),
                           "description": "notes as stable codes and values"},
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
                **_reason_code("reason"),
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
    return {"schemas": schemas, "responses": responses}


# --- the order list and one order --------------------------------------------------------

_TIMESTAMP = {"type": "string", "description": "as written in the data: ISO 8601, no time "
                                               "zone (none is converted)"}
_MAYBE_TIMESTAMP = {**_TIMESTAMP, "type": ["string", "null"]}
_MONEY = {"type": "number",
          "description": "in the data's currency, exact sum rounded half-up to 2 decimals"}
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _order_list_parameters() -> list[dict[str, Any]]:
    return [
        *FILTER_PARAMETERS,
        _q("status", {"type": "string", "enum": list(order_list.STATUSES),
                      "default": "sales"},
           "sales: the orders the `orders` KPI counts; all: every order the filters match "
           "whatever its status (the ones `canceled_rate` counts); canceled / "
           "unavailable: those of `all` with that status (the orders behind "
           "`canceled_rate` / `unavailable_rate`)"),
        _q("sort", {"type": "string", "enum": list(order_list.SORTS),
                    "default": "purchased_at"},
           "the sort key; ties are broken by order_id in the same direction, and rows "
           "without a review or days_late come last in both directions"),
        _q("order", {"type": "string", "enum": list(order_list.ORDERS), "default": "desc"},
           "direction of the sort"),
        _q("limit", {"type": "integer", "minimum": 1, "maximum": order_list.MAX_LIMIT,
                     "default": order_list.DEFAULT_LIMIT},
           "rows per page (JSON only: format=csv returns every row)"),
        _q("cursor", {"type": "string", "maxLength": order_list.MAX_CURSOR},
           "next_cursor of the previous page of the same list (same filters, status, sort "
           "and order); absent for the first page. Another list's cursor is a 400"),
    ]


def _order_paths() -> dict[str, Any]:
    """/api/v1/orders (the list, JSON pages or a streamed CSV) and /api/v1/orders/{id}."""
    csv_description = (
        "every row of the list (not one page), streamed; columns are the row fields in "
        "order, lists joined with '" + order_list.LIST_SEPARATOR + "', empty for null; the "
        "file name (Content-Disposition) names the filters")
    return {
        "/api/v1/orders": {"get": {
            "operationId": "getOrders",
            "summary": "The orders behind the numbers: one row per order, with totals",
            "description": (
                "The orders of the view, one row each, paged by keyset (`next_cursor`). "
                "`total` is summed over all of them and, with status=sales, equals the "
                "`orders`, `sales`, `freight` and `payments` of /api/v1/kpis for the same "
                "filters. Under a category filter a row's items, sales, freight and "
                "categories are those of its items in the selected categories; payments "
                "and payment_types are always all of its payment rows. See METRICS.md."),
            "parameters": _order_list_parameters(),
            "responses": {
                "200": {"description": "a page (JSON) or the whole list (CSV)",
                        "headers": {"Content-Disposition": {
                            "schema": {"type": "string"},
                            "description": "CSV only: attachment; filename=\"orders-....csv\""}},
                        "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/OrderList"}},
                            "text/csv": {"schema": {"type": "string",
                                                    "description": csv_description}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "503": {"$ref": "#/components/responses/Unavailable"},
                **GUARD_RESPONSES,
            },
        }},
        "/api/v1/orders/{order_id}": {"get": {
            "operationId": "getOrder",
            "summary": "One order whole: timestamps, customer, items, payments, reviews",
            "parameters": [{
                "name": "order_id", "in": "path", "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                           "pattern": f"^{order_list.ORDER_ID.pattern}$"},
                "description": "an order id; anything else is a 400 naming order_id"}],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/OrderDetail"}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "404": {"$ref": "#/components/responses/NotFound"},
                "503": {"$ref": "#/components/responses/Unavailable"},
                **GUARD_RESPONSES,
            },
        }},
    }


def _order_row() -> dict[str, Any]:
    props: dict[str, Any] = {
        "order_id": {"type": "string"},
        "purchased_at": _TIMESTAMP,
        "customer_unique_id": {"type": "string"},
        "state": {"type": "string"},
        "status": {"type": "string"},
        "items": {"type": "integer", "minimum": 0, "description": "its counted items"},
        "sales": {**_MONEY, "description": "price of its counted items, data's currency"},
        "freight": {**_MONEY, "description": "freight of its counted items, data's currency"},
        "payments": {**_MONEY, "description": "all its payment rows, data's currency; 0 if "
                                              "none"},
        "categories": {**_STRINGS, "description": "sorted distinct, of its counted items"},
        "payment_types": {**_STRINGS, "description": "sorted distinct, all its payments"},
        "review": {"type": ["number", "null"],
                   "description": "mean review_score of its review rows; null if none"},
        "delivered_at": _MAYBE_TIMESTAMP,
        "estimated_at": _MAYBE_TIMESTAMP,
        "days_late": {"type": ["integer", "null"],
                      "description": "delivery day minus estimated day (negative: early); "
                                     "null when either is missing"},
    }
    assert tuple(props) == order_list.ROW_FIELDS
    return {"type": "object", "required": list(props), "properties": props,
            "additionalProperties": False}


def _order_detail() -> dict[str, Any]:
    def obj(props: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "required": list(props), "properties": props,
                "additionalProperties": False}

    text_or_null = {"type": ["string", "null"]}
    return obj({
        "order_id": {"type": "string"}, "status": {"type": "string"},
        "purchased_at": _TIMESTAMP, "approved_at": _MAYBE_TIMESTAMP,
        "delivered_carrier_at": _MAYBE_TIMESTAMP, "delivered_at": _MAYBE_TIMESTAMP,
        "estimated_at": _MAYBE_TIMESTAMP, "days_late": {"type": ["integer", "null"]},
        "customer": obj({"customer_id": {"type": "string"},
                         "customer_unique_id": {"type": "string"},
                         "city": text_or_null, "state": {"type": "string"}}),
        "items": {"type": "array", "items": obj({
            "order_item_id": {"type": "integer"}, "product_id": {"type": "string"},
            "category": {"type": "string", "description": "English name, else the "
                                                          "original, else unknown"},
            "seller_id": {"type": "string"}, "price": _MONEY, "freight": _MONEY,
            "shipping_limit": _MAYBE_TIMESTAMP})},
        "payments": {"type": "array", "items": obj({
            "sequential": {"type": "integer"}, "type": {"type": "string"},
            "installments": {"type": "integer", "minimum": 0}, "value": _MONEY})},
        "reviews": {"type": "array", "items": obj({
            "review_id": {"type": "string"},
            "score": {"type": "integer", "minimum": 1, "maximum": 5},
            "title": text_or_null, "message": text_or_null,
            "created_at": _MAYBE_TIMESTAMP, "answered_at": _MAYBE_TIMESTAMP})},
    })


def _order_components() -> dict[str, Any]:
    """Schemas of the order list and the order detail, and the 404 answer."""
    totals = {"type": "object", "required": ["orders", "sales", "freight", "payments"],
              "properties": {"orders": {"type": "integer", "minimum": 0},
                             "sales": _MONEY, "freight": _MONEY, "payments": _MONEY},
              "additionalProperties": False,
              "description": "over every row of the list, not only this page"}
    order_list_schema = {
        "type": "object", "additionalProperties": False,
        "required": ["filters", "status", "sort", "order", "limit", "rows", "next_cursor",
                     "total"],
        "properties": {
            "filters": {"$ref": "#/components/schemas/Filters"},
            "status": {"type": "string", "enum": list(order_list.STATUSES)},
            "sort": {"type": "string", "enum": list(order_list.SORTS)},
            "order": {"type": "string", "enum": list(order_list.ORDERS)},
            "limit": {"type": "integer", "minimum": 1, "maximum": order_list.MAX_LIMIT},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/OrderRow"}},
            "next_cursor": {"type": ["string", "null"],
                            "description": "pass as cursor for the next page; null on the "
                                           "last page"},
            "total": {"$ref": "#/components/schemas/OrderTotals"}}}
    return {
        "schemas": {"OrderRow": _order_row(), "OrderTotals": totals,
                    "OrderList": order_list_schema, "OrderDetail": _order_detail()},
        "responses": {"NotFound": {
            "description": "no such order in the loaded data", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
    }


# --- customers, retention and lateness ---------------------------------------------------

_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}


def _customer_list_parameters() -> list[dict[str, Any]]:
    return [
        *FILTER_PARAMETERS,
        {"name": "segment", "in": "query", "required": True,
         "schema": {"type": "string", "enum": list(customer_figures.SEGMENTS)},
         "description": "whose customers to list (see /api/v1/customers/segments)"},
        _q("limit", {"type": "integer", "minimum": 1, "maximum": customerlist.MAX_LIMIT,
                     "default": customerlist.DEFAULT_LIMIT},
           "rows per page (JSON only: format=csv returns every row)"),
        _q("cursor", {"type": "string", "maxLength": customerlist.MAX_CURSOR},
           "next_cursor of the previous page of the same list (same segment and filters); "
           "absent for the first page. Another list's cursor is a 400"),
    ]


def _customer_paths() -> dict[str, Any]:
    """/api/v1/customers/cohorts, /segments, /customers and /delivery/lateness."""
    csv_list = ("every customer of the segment (not one page), streamed; columns are the "
                "row fields in order, empty for null")
    return {
        "/api/v1/customers/cohorts": {"get": {
            "operationId": "getCohorts",
            "summary": "Retention of the customers first seen in each month of the range",
            "description": (
                "Cohort c: the customers whose first sales order in the whole dataset was "
                "bought in month c and matches the filters (dates aside); one cohort per "
                "month of the range that has any. For k = 0, 1, ... up to the month of "
                "end: active = members with a matching sales order in month c + k, "
                "retention = active / size. CSV: one row per cohort and k. METRICS.md."),
            "parameters": FILTER_PARAMETERS,
            "responses": _responses("#/components/schemas/Cohorts"),
        }},
        "/api/v1/customers/segments": {"get": {
            "operationId": "getSegments",
            "summary": "Customers by recency and frequency: loyal, at_risk, new, one_time, "
                       "lost",
            "description": (
                "Over the customers with a matching sales order in the range, recency "
                "counted in days to end. All five segments always, in that order; their "
                "customers add up to the `customers` KPI. METRICS.md."),
            "parameters": FILTER_PARAMETERS,
            "responses": _responses("#/components/schemas/Segments"),
        }},
        "/api/v1/customers": {"get": {
            "operationId": "getCustomers",
            "summary": "The customers of a segment, one row each, largest sales first",
            "description": (
                "Sorted by sales (descending), ties by customer_unique_id (descending, "
                "byte order), paged by keyset (`next_cursor`). `total` equals the "
                "segment's row of /api/v1/customers/segments. `state` is the state of "
                "the customer's last matching order in the range; `first_order` the day "
                "of their first sales order in the whole dataset; `last_order` the day "
                "of their last matching order, `recency` the days from it to end."),
            "parameters": _customer_list_parameters(),
            "responses": {
                "200": {"description": "a page (JSON) or the whole list (CSV)",
                        "headers": {"Content-Disposition": {
                            "schema": {"type": "string"},
                            "description": "CSV only: attachment; "
                                           "filename=\"customers-....csv\""}},
                        "content": {
                            "application/json": {"schema": {
                                "$ref": "#/components/schemas/CustomerList"}},
                            "text/csv": {"schema": {"type": "string",
                                                    "description": csv_list}}}},
                "400": {"$ref": "#/components/responses/BadRequest"},
                "503": {"$ref": "#/components/responses/Unavailable"},
                **GUARD_RESPONSES,
            },
        }},
        "/api/v1/delivery/lateness": {"get": {
            "operationId": "getLateness",
            "summary": "Reviews by days late: orders, mean review, share of low reviews",
            "description": (
                "Matching sales orders with a delivered and an estimated date, in seven "
                "buckets of days_late (delivered day minus estimated day), always all "
                "seven in order. Reviews are the orders' distinct review rows; low is a "
                "score of 1 or 2. METRICS.md."),
            "parameters": FILTER_PARAMETERS,
            "responses": _responses("#/components/schemas/Lateness"),
        }},
    }


def _customer_schemas() -> dict[str, Any]:
    def obj(props: dict[str, Any], description: str = "") -> dict[str, Any]:
        out = {"type": "object", "required": list(props), "properties": props,
               "additionalProperties": False}
        return {**out, "description": description} if description else out

    filters = {"$ref": "#/components/schemas/Filters"}
    point = obj({"k": _COUNT, "active": _COUNT, "retention": {
        "type": "number", "minimum": 0, "maximum": 1}})
    cohort = obj({"cohort": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
                  "size": {"type": "integer", "minimum": 1},
                  "retention": {"type": "array", "items": point}})
    segment = obj({"segment": {"type": "string", "enum": list(customer_figures.SEGMENTS)},
                   "customers": _COUNT, "orders": _COUNT, "sales": _MONEY,
                   "avg_recency": {"type": ["number", "null"],
                                   "description": "mean days from the last order to end"}})
    bucket = obj({"bucket": {"type": "string", "enum": list(customer_figures.BUCKETS)},
                  "orders": _COUNT,
                  "avg_review": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
                  "low_review_share": _SHARE})
    row = obj({"customer_unique_id": {"type": "string"}, "state": {"type": "string"},
               "orders": {"type": "integer", "minimum": 1}, "sales": _MONEY,
               "first_order": {"type": "string", "format": "date"},
               "last_order": {"type": "string", "format": "date"},
               "recency": _COUNT})
    assert tuple(row["properties"]) == customerlist.ROW_FIELDS
    total = obj({"customers": _COUNT, "orders": _COUNT, "sales": _MONEY},
                "over every row of the list, not only this page")
    return {
        "Cohorts": obj({"filters": filters, "cohorts": {"type": "array", "items": cohort}}),
        "Segments": obj({"filters": filters, "segments": {"type": "array", "items": segment}}),
        "Lateness": obj({"filters": filters, "buckets": {"type": "array", "items": bucket}}),
        "CustomerRow": row,
        "CustomerList": obj({
            "filters": filters,
            "segment": {"type": "string", "enum": list(customer_figures.SEGMENTS)},
            "limit": {"type": "integer", "minimum": 1, "maximum": customerlist.MAX_LIMIT},
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/CustomerRow"}},
            "next_cursor": {"type": ["string", "null"],
                            "description": "pass as cursor for the next page; null on the "
                                           "last page"},
            "total": total}),
    }
# --- the seller breakdown ----------------------------------------------------------------


def _seller_paths() -> dict[str, Any]:
    """/api/v1/breakdown/seller: a static path, answered before /breakdown/{dim}."""
    return {"/api/v1/breakdown/seller": {"get": {
        "operationId": "getSellerBreakdown",
        "summary": "Metrics per seller, paged, largest sales first",
        "description": (
            "One row per seller with at least one matching sales order holding a counted "
            "item of it (under a category or seller filter, only the items of the "
            "selected values count). Sorted by sales (descending), then seller_id in byte "
            "order; `total` is the number of rows of the whole breakdown. With "
            "format=csv, the rows of the page asked for. See METRICS.md, \"Sellers\"."),
        "parameters": [
            *FILTER_PARAMETERS,
            _q("limit", {"type": "integer", "minimum": 1, "maximum": seller_list.MAX_LIMIT,
                         "default": seller_list.DEFAULT_LIMIT}, "rows per page"),
            _q("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000_000,
                          "default": 0}, "rows to skip (the page starts after them)"),
        ],
        "responses": _responses("#/components/schemas/SellerBreakdown"),
    }}}


def _seller_schemas() -> dict[str, Any]:
    rate = _num(description="a fraction (0..1); null when its denominator is 0")
    props: dict[str, Any] = {
        "key": {"type": "string", "description": "seller_id"},
        "seller_state": {"type": ["string", "null"]},
        "sales": {**_MONEY, "description": "price of its counted items, data's currency"},
        "freight": {**_MONEY, "description": "freight of its counted items, data's currency"},
        "items": {"type": "integer", "minimum": 1, "description": "its counted items"},
        "orders": {"type": "integer", "minimum": 1,
                   "description": "matching sales orders with a counted item of it"},
        "aov": {**_MONEY, "type": ["number", "null"], "description": "sales / orders"},
        "avg_review": _num(description="mean review_score of the review rows of its orders"),
        "late_shipping_rate": {**rate, "description": (
            "among its orders handed to the carrier: share handed over after the latest "
            "shipping_limit_date of its items in the order")},
        "canceled_rate": {**rate, "description": (
            "among all matching orders (any status) with a counted item of it: share "
            "canceled")},
    }
    assert tuple(props) == seller_list.ROW_FIELDS
    row = {"type": "object", "required": list(props), "properties": props,
           "additionalProperties": False}
    body = {"type": "object", "additionalProperties": False,
            "required": ["dim", "filters", "limit", "offset", "total", "rows"],
            "properties": {
                "dim": {"type": "string", "enum": ["seller"]},
                "filters": {"$ref": "#/components/schemas/Filters"},
                "limit": {"type": "integer", "minimum": 1, "maximum": seller_list.MAX_LIMIT},
                "offset": {"type": "integer", "minimum": 0},
                "total": {"type": "integer", "minimum": 0,
                          "description": "rows of the whole breakdown, not only this page"},
                "rows": {"type": "array", "items": {"$ref": "#/components/schemas/SellerRow"}}}}
    return {"SellerRow": row, "SellerBreakdown": body}


# --- what people save: views, targets, events (the API's only writes) -------------------


def _write_responses(schema: str, created: bool = False) -> dict[str, Any]:
    ok = "201" if created else "200"
    return {
        ok: {"description": "Created" if created else "OK", "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}},
        "400": {"$ref": "#/components/responses/BadRequest"},
        **GUARD_RESPONSES,
        "403": {"description": "a signed-in browser session posting from another site",
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }


def _by_id(kind: str, schema: str, what: str) -> dict[str, Any]:
    """GET and DELETE of one row; another user's view is a 404 like a missing one."""
    param = {"name": "id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1}}
    missing = {"description": f"no such {what}" + (" of the signed-in user"
                                                   if kind == "View" else ""),
               "content": {"application/json": {
                   "schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "get": {"operationId": f"get{kind}", "summary": f"One {what}",
                "parameters": [param],
                "responses": {**_write_responses(schema), "404": missing}},
        "delete": {"operationId": f"delete{kind}", "summary": f"Delete a {what}",
                   "parameters": [param],
                   "responses": {"204": {"description": "deleted"},
                                 "400": {"$ref": "#/components/responses/BadRequest"},
                                 **GUARD_RESPONSES,
                                 "403": _write_responses(schema)["403"], "404": missing,
                                 "503": {"$ref": "#/components/responses/Unavailable"}}},
    }


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}Input"}}}}


def _userdata_paths() -> dict[str, Any]:
    span = [_q("start", DATE_SCHEMA, "only rows from this day on (months overlapping it)"),
            _q("end", DATE_SCHEMA, "only rows up to this day")]
    return {
        "/api/v1/me": {
            "get": {"operationId": "getMe", "summary": "The signed-in user's e-mail address",
                    "responses": _write_responses("Me")},
            "put": {"operationId": "setMe",
                    "summary": "Change the address digests and alert e-mails go to",
                    "description": "`email`: an address, or null (or \"\") to remove it.",
                    "requestBody": _json_body("Me"), "responses": _write_responses("Me")}},
        "/api/v1/views": {
            "get": {"operationId": "listViews", "summary": "The signed-in user's saved views",
                    "responses": _write_responses("ViewList")},
            "post": {"operationId": "saveView", "summary": "Save a view under a name",
                     "description": (
                         "`query` is the page URL's query string: filters, `lang`, and "
                         "`range` (12m, 30d, 90d, ytd, all or a year) for a date preset "
                         "kept relative to the data's last day. The answer's `url` opens "
                         "it (a link to share)."),
                     "requestBody": _json_body("View"),
                     "responses": _write_responses("View", created=True)}},
        "/api/v1/views/{id}": _by_id("View", "View", "saved view"),
        "/api/v1/targets": {
            "get": {"operationId": "listTargets", "summary": "Monthly sales targets",
                    "parameters": span, "responses": _write_responses("TargetList")},
            "post": {"operationId": "setTarget",
                     "summary": "Set the sales target of a month (replaces the old one)",
                     "description": "For the whole shop, or one `state` or one `category`.",
                     "requestBody": _json_body("Target"),
                     "responses": _write_responses("Target", created=True)}},
        "/api/v1/targets/{id}": _by_id("Target", "Target", "target"),
        "/api/v1/events": {
            "get": {"operationId": "listEvents", "summary": "Events drawn on the charts",
                    "parameters": span, "responses": _write_responses("EventList")},
            "post": {"operationId": "addEvent", "summary": "Add an event (a day or a range)",
                     "requestBody": _json_body("Event"),
                     "responses": _write_responses("Event", created=True)}},
        "/api/v1/events/{id}": _by_id("Event", "Event", "event"),
        "/api/v1/subscriptions": {
            "get": {"operationId": "listSubscriptions",
                    "summary": "The signed-in user's digest subscriptions",
                    "responses": _write_responses("SubscriptionList")},
            "post": {"operationId": "subscribe",
                     "summary": "E-mail a saved view's digest (pulse notify run sends it)",
                     "description": (
                         "One message per period to the user's own address and the "
                         "`recipients` an admin added, all in `To:`: the KPI cards, the top "
                         "states and categories and a small sales chart (an inline PNG)."),
                     "requestBody": _json_body("Subscription"),
                     "responses": {**_write_responses("Subscription", created=True),
                                   "404": {"description": "no such saved view of the user",
                                           "content": {"application/json": {"schema": {
                                               "$ref": "#/components/schemas/Error"}}}}}}},
        "/api/v1/subscriptions/{id}": _by_id("Subscription", "Subscription",
                                             "subscription"),
        **_alert_paths(),
    }


def _alert_paths() -> dict[str, Any]:
    missing = {"content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/Error"}}}}
    history = _by_id("Alert", "AlertHistory", "alert")["get"]
    return {
        "/api/v1/alerts": {
            "get": {"operationId": "listAlerts",
                    "summary": "The signed-in user's alerts, with their state",
                    "responses": _write_responses("AlertList")},
            "post": {"operationId": "addAlert",
                     "summary": "Alert on a KPI of a saved view (pulse notify run checks it)",
                     "description": (
                         "`window`: the last whole day, the last 7 days or the last calendar "
                         "month before the run. `below`/`above` compare the KPI in the unit "
                         "`/api/v1/kpis` gives it (rates as fractions: 0.05 is 5 %); "
                         "`drop_pct`/`rise_pct` compare its change on the period before, in "
                         "percent (20 is 20 %). It fires once when the condition becomes true "
                         "and again only after it has cleared. `email` goes to the user's "
                         "own address and the `recipients` an admin added; `webhook` POSTs "
                         "JSON with a `text` field to `webhook_url` (public addresses "
                         "only, unless the install allows private ones)."),
                     "requestBody": _json_body("Alert"),
                     "responses": {**_write_responses("Alert", created=True), "404": {
                         "description": "no such saved view of the user", **missing}}}},
        "/api/v1/alerts/{id}": _by_id("Alert", "Alert", "alert"),
        "/api/v1/alerts/{id}/history": {"get": {
            **history, "operationId": "getAlertHistory",
            "summary": "An alert's firings, newest first: value, threshold, channel outcomes"}},
    }


#: Addresses a digest or an alert's e-mail goes to besides the owner's (issue #16).
RECIPIENTS = {
    "type": "array", "maxItems": 20, "default": [],
    "items": {"type": "string", "format": "email", "maxLength": 254},
    "description": "other addresses, each once (the owner's own is always sent to and "
                   "left out here); only an admin may name addresses other than their "
                   "own: anyone else gets a 400 naming `recipients`, as does a malformed "
                   "address (ASCII name@domain.tld)"}


def _userdata_schemas() -> dict[str, Any]:
    def obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
        return {"type": "object", "properties": props,
                "required": list(props) if required is None else required}

    ident = {"type": "integer", "minimum": 1}
    stamp = {"type": "string", "format": "date-time"}
    day = {"type": "string", "format": "date"}
    name = {"type": "string", "minLength": 1, "maxLength": 100}
    money = {"type": "number", "minimum": 0, "description": "data's currency, 2 decimals"}
    scope = {"type": "string", "description": "empty for the whole shop"}
    view = obj({"id": ident, "name": name, "query": {"type": "string", "maxLength": 2000},
                "created_at": stamp, "url": {"type": "string"}})
    target = obj({"id": ident, "month": day, "dimension": {
        "type": "string", "enum": ["", "state", "category"]}, "value": scope,
        "amount": money, "updated_at": stamp})
    event = obj({"id": ident, "start_day": day, "end_day": day, "label": name,
                 "note": {"type": ["string", "null"]}, "created_at": stamp})
    frequency = {"type": "string", "enum": ["daily", "weekly", "monthly"]}
    subscription = obj({"id": ident, "view_id": ident, "frequency": frequency,
                        "recipients": RECIPIENTS, "created_at": stamp},
                       ["id", "view_id", "frequency", "recipients", "created_at"])
    return {
        **_alert_schemas(obj, ident, stamp, day),
        "View": view, "Target": target, "Event": event,
        "Me": obj({"email": {"type": ["string", "null"], "format": "email"}}),
        "MeInput": obj({"email": {"type": ["string", "null"], "maxLength": 254}}),
        "ViewList": obj({"views": {"type": "array", "items": view}}),
        "TargetList": obj({"targets": {"type": "array", "items": target}}),
        "EventList": obj({"events": {"type": "array", "items": event}}),
        "Subscription": subscription,
        "SubscriptionList": obj({"subscriptions": {"type": "array", "items": subscription}}),
        "SubscriptionInput": obj({"view_id": ident, "frequency": frequency,
                                  "recipients": RECIPIENTS}, ["view_id", "frequency"]),
        "ViewInput": obj({"name": name, "query": {"type": "string", "maxLength": 2000}},
                         ["name"]),
        "TargetInput": obj({"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                            "amount": {"type": ["number", "string"], "minimum": 0},
                            "state": {"type": "string"}, "category": {"type": "string"}},
                           ["month", "amount"]),
        "EventInput": obj({"start": DATE_SCHEMA, "end": {
            **DATE_SCHEMA, "description": "the last day (default: start); not before start"},
            "label": name, "note": {"type": ["string", "null"], "maxLength": 2000}},
            ["start", "label"]),
    }


def _alert_schemas(obj: Any, ident: dict, stamp: dict, day: dict) -> dict[str, Any]:
    number = {"type": ["number", "null"]}
    rule = {"view_id": ident, "metric": {"type": "string", "enum": list(KPI_FIELDS)},
            "window": {"type": "string", "enum": list(ALERT_WINDOWS)},
            "op": {"type": "string", "enum": list(ALERT_OPS)},
            "threshold": {"type": "number", "minimum": 0},
            "channels": {"type": "array", "minItems": 1, "uniqueItems": True,
                         "items": {"type": "string", "enum": list(ALERT_CHANNELS)}},
            "webhook_url": {
                "type": ["string", "null"], "format": "uri", "maxLength": 2000,
                "description": "http(s) only; a host that is or resolves to a loopback, "
                               "private, link-local, multicast or unspecified address is "
                               "a 400 unless the install sets "
                               "PULSE_WEBHOOK_ALLOW_PRIVATE=1 (checked again at send)"},
            "recipients": {**RECIPIENTS, "description": RECIPIENTS["description"]
                           + "; needs `email` in channels"}}
    alert = obj({"id": ident, **rule, "created_at": stamp,
                 "active": {"type": "boolean",
                            "description": "whether the condition held at the last check"},
                 "last_value": number, "last_change": {
                     **number, "description": "change on the period before, percent"},
                 "checked_at": {"type": ["string", "null"], "format": "date-time"}})
    outcome = obj({"status": {"type": "string", "enum": ["due", "sent", "failed"]},
                   "error": {"type": ["string", "null"],
                             "description": "why it failed (no secrets); retried next run"}})
    firing = obj({"id": ident, "fired_at": stamp, "period_start": day, "period_end": day,
                  "value": number, "change": number, "threshold": {"type": "number"},
                  "attempts": {"type": "integer", "minimum": 0},
                  "channels": {"type": "object", "properties": {
                      "email": outcome, "webhook": outcome}}})
    return {
        "Alert": alert,
        "AlertList": obj({"alerts": {"type": "array", "items": alert}}),
        "AlertInput": obj(rule, ["view_id", "metric", "window", "op", "threshold",
                                 "channels"]),
        "AlertHistory": obj({"alert_id": ident, "history": {"type": "array",
                                                            "items": firing}}),
    }
