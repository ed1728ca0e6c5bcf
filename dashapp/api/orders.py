"""/api/v1/orders and /api/v1/orders/{order_id}: the orders behind every number.

The list takes every filter of the other endpoints (same parser, same 400s) and pages
through the orders the KPIs count, with totals that equal the cards; `format=csv`
streams the whole list, not a page, as CSV that PostgreSQL writes (COPY), in constant
memory.
The detail is one order whole. Definitions: docs/METRICS.md, "The order list".
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..filters import FilterError
from ..jsonout import jsonable
from ..queries.orders import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    ORDER_ID,
    ORDERS,
    SORTS,
    STATUSES,
    OrderQuery,
)
from .common import (
    CsvStyle,
    choice_param,
    copied_csv,
    csv_filename,
    csv_style,
    error,
    int_param,
    one,
    output_format,
    parsed_filters,
    register_error_handlers,
    service,
)

orders_api = Blueprint("orders_api", __name__, url_prefix="/api/v1")
register_error_handlers(orders_api)

LIST_PARAMS = ("status", "sort", "order", "limit", "cursor")


@orders_api.get("/orders")
def order_list() -> Response:
    fmt = output_format()
    style = csv_style()
    status = choice_param("status", "sales", STATUSES)
    sort = choice_param("sort", "purchased_at", SORTS)
    order = choice_param("order", "desc", ORDERS)
    limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, " rows")
    cursor = one("cursor")
    with parsed_filters(LIST_PARAMS) as (reader, filters):
        query = OrderQuery(filters, status=status, sort=sort, order=order)
        if fmt == "csv":  # one statement: consistent by itself (see queries/orders.py)
            return _csv_response(query, style)
        page = service().order_page(query, limit, cursor, reader=reader)
    body = {"filters": filters.to_json(), "status": status, "sort": sort, "order": order,
            "limit": limit, **page}
    return jsonify(jsonable(body))


@orders_api.get("/orders/<order_id>")
def order_detail(order_id: str) -> Response:
    if not ORDER_ID.fullmatch(order_id):
        raise FilterError("order_id", "order_id must be 1 to 64 letters, digits, '_', '.' "
                                      f"or '-', got {order_id[:70]!r}")
    unknown = list(request.args)
    if unknown:
        raise FilterError(unknown[0], f"unknown parameter {unknown[0]!r}")
    body = service().order_detail(order_id)
    if body is None:
        return error(404, f"no order {order_id!r} in the loaded data")
    return jsonify(jsonable(body))


# --- CSV -------------------------------------------------------------------------------


def _csv_response(query: OrderQuery, style: CsvStyle) -> Response:
    """Every row of the list (limit and cursor do not apply), streamed."""
    parts = ["orders"] + ([query.status] if query.status != "sales" else [])
    name = csv_filename(parts, query.filters, set(request.args))
    return copied_csv(service().order_csv(query, style.delimiter, style.decimal), name)

