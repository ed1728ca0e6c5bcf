"""The OpenAPI 3.1 description of the REST API, served at /api/v1/openapi.json.

Kept next to the code and checked by tests against real responses, so the
document cannot drift from what the API returns.
"""

from __future__ import annotations

from typing import Any

from .metrics import KPI_FIELDS, MONEY_FIELDS

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
            props[f] = _num(nullable=f == "aov", description="R$, rounded to 2 decimals")
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


FILTER_PARAMETERS = [
    {"$ref": "#/components/parameters/start"},
    {"$ref": "#/components/parameters/end"},
    {"$ref": "#/components/parameters/state"},
    {"$ref": "#/components/parameters/region"},
    {"$ref": "#/components/parameters/category"},
    {"$ref": "#/components/parameters/payment_type"},
    {"$ref": "#/components/parameters/format"},
]


def _responses(schema_ref: str, csv: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": schema_ref}}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {
        "200": {"description": "OK", "content": content},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "503": {"$ref": "#/components/responses/Unavailable"},
    }


def openapi_document() -> dict[str, Any]:
    date_schema = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "Pulse API",
            "version": "1.0.0",
            "description": (
                "Read-only sales metrics of the loaded Olist-format dataset. Every metric "
                "follows METRICS.md. Filter parameters are repeatable or comma-separated; "
                "values of one kind combine with OR, kinds combine with AND."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "paths": {
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
                                   "with the same period a year (52 weeks) before.",
                }],
                "responses": _responses("#/components/schemas/Timeseries"),
            }},
            "/api/v1/breakdown/{dim}": {"get": {
                "operationId": "getBreakdown",
                "summary": "Metrics per state, region, category or payment type",
                "parameters": [{
                    "name": "dim", "in": "path", "required": True,
                    "schema": {"type": "string",
                               "enum": ["state", "region", "category", "payment_type"]},
                }, *FILTER_PARAMETERS],
                "responses": _responses("#/components/schemas/Breakdown"),
            }},
            "/api/v1/meta": {"get": {
                "operationId": "getMeta",
                "summary": "Data version, load time, date range and the values present",
                "parameters": [{"$ref": "#/components/parameters/format"}],
                "responses": _responses("#/components/schemas/Meta"),
            }},
            "/api/v1/openapi.json": {"get": {
                "operationId": "getOpenapi",
                "summary": "This document",
                "responses": {"200": {"description": "OK", "content": {
                    "application/json": {"schema": {"type": "object"}}}}},
            }},
            "/healthz": {"get": {
                "operationId": "getHealth",
                "summary": "State of the database and the cache",
                "responses": {
                    "200": {"description": "healthy", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Health"}}}},
                    "503": {"description": "database unreachable", "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Health"}}}},
                },
            }},
        },
        "components": {
            "parameters": {
                "start": _param("start", "first purchase day, inclusive (default: data start)",
                                date_schema),
                "end": _param("end", "last purchase day, inclusive (default: data end)",
                              date_schema),
                "state": _param("state", "customer state code(s), e.g. SP"),
                "region": _param("region", "region code(s): N, NE, CO, SE, S"),
                "category": _param("category", "product category (English name)"),
                "payment_type": _param("payment_type", "payment type(s), e.g. credit_card"),
                "format": _param("format", "json (default) or csv",
                                 {"type": "string", "enum": ["json", "csv"], "default": "json"}),
            },
            "responses": {
                "BadRequest": {"description": "a parameter is wrong", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "Unavailable": {"description": "database unreachable or no data loaded",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}}}},
            },
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {
                    "error": {"type": "string"}, "parameter": {"type": "string"}}},
                "Filters": {"type": "object", "required": [
                    "start", "end", "state", "region", "category", "payment_type"],
                    "properties": {
                        "start": {"type": ["string", "null"], "format": "date"},
                        "end": {"type": ["string", "null"], "format": "date"},
                        **{k: {"type": "array", "items": {"type": "string"}} for k in (
                            "state", "region", "category", "payment_type")},
                    }},
                "KpiSet": _kpi_set(),
                "Growth": {"type": "object", "required": list(KPI_FIELDS), "properties": {
                    f: _num(description="(current - previous) / previous") for f in KPI_FIELDS},
                    "additionalProperties": False},
                "KpiReport": {"type": "object",
                              "required": ["filters", "current", "previous", "growth"],
                              "properties": {
                                  "filters": {"$ref": "#/components/schemas/Filters"},
                                  "previous_period": {"type": "object", "properties": {
                                      "start": {"type": "string", "format": "date"},
                                      "end": {"type": "string", "format": "date"}}},
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
                    "payment_types": {"type": "array", "items": {"type": "string"}}}},
                "Health": {"type": "object", "required": ["status", "database", "cache"],
                           "properties": {
                               "status": {"type": "string", "enum": ["ok", "unavailable"]},
                               "database": {"type": "string"},
                               "cache": {"type": "string"},
                               "data_version": {"type": ["string", "null"]}}},
            },
        },
    }
    from .insight_api import merge_openapi  # late import: insight_api imports this module

    return merge_openapi(doc)
