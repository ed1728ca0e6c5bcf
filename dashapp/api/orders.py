"""/api/v1/orders and /api/v1/orders/{order_id}: the orders behind every number.

The list takes every filter of the other endpoints (same parser, same 400s) and pages
through the orders the KPIs count, with totals that equal the cards; `format=csv`
streams the whole list, not a page, from a server-side cursor in constant memory.
The detail is one order whole. Definitions: docs/METRICS.md, "The order list".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context

from ..filters import DATE_PARAMS, FILTER_PARAMS, FilterError, Filters
from ..jsonout import jsonable
from ..queries.orders import (
    DEFAULT_LIMIT,
    LIST_SEPARATOR,
    MAX_LIMIT,
    ORDER_ID,
    ORDERS,
    ROW_FIELDS,
    SORTS,
    STATUSES,
    OrderQuery,
    OrderStream,
)
from .common import (
    choice_param,
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
    status = choice_param("status", "sales", STATUSES)
    sort = choice_param("sort", "purchased_at", SORTS)
    order = choice_param("order", "desc", ORDERS)
    limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, " rows")
    cursor = one("cursor")
    with parsed_filters(LIST_PARAMS, raw=fmt == "json") as (reader, filters):
        query = OrderQuery(filters, status=status, sort=sort, order=order)
        if fmt == "csv":  # one statement: consistent by itself (see queries/orders.py)
            return _csv_response(query)
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


def _cell(value: Any) -> Any:
    """A CSV cell written like the JSON value: money to the cent, lists joined by '|'."""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    value = jsonable(value)
    return "" if value is None else value


def _csv_chunks(stream: OrderStream) -> Iterator[str]:
    """The header, then one chunk per batch the cursor fetches: nothing accumulates."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def take() -> str:
        chunk = out.getvalue()
        out.seek(0)
        out.truncate()
        return chunk

    try:
        writer.writerow(ROW_FIELDS)
        yield take()
        for batch in stream.batches():
            writer.writerows([_cell(row[name]) for name in ROW_FIELDS] for row in batch)
            yield take()
    finally:
        stream.close()


def csv_filename(filters: Filters, status: str, given: set[str]) -> str:
    """`orders-start-2021-01-01-state-SP.csv`: the filters the request named (dates only
    when given, not the data's own range), made safe for a header and a file system."""
    parts = ["orders"] + ([status] if status != "sales" else [])
    params = filters.to_params()
    for name in FILTER_PARAMS:
        if name in params and (name not in DATE_PARAMS or name in given):
            parts += [name, *params[name]]
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("._-")[:150]
    return f"{stem or 'orders'}.csv"


def _csv_response(query: OrderQuery) -> Response:
    """Every row of the list (limit and cursor do not apply), streamed. The connection
    is released when the rows run out or the response is closed, even unread."""
    stream = service().order_stream(query)
    name = csv_filename(query.filters, query.status, set(request.args))
    resp = Response(stream_with_context(_csv_chunks(stream)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
    resp.call_on_close(stream.close)
    return resp

