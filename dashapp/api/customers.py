"""/api/v1/customers/... and /api/v1/delivery/lateness: who the customers are, whether
they come back, and how lateness shows in reviews (docs/METRICS.md, "Customers and
retention", "Delivery and reviews").

Every endpoint takes the filters of the others (same parser, same 400s). The customer
list pages a segment's customers by keyset like the order list, and with `format=csv`
streams all of them, not a page, in constant memory.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..filters import FilterError
from ..jsonout import jsonable
from ..queries.customerlist import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CustomerQuery,
)
from ..queries.customers import SEGMENTS
from .common import (
    CsvStyle,
    copied_csv,
    csv_filename,
    csv_style,
    int_param,
    one,
    output_format,
    parsed_filters,
    register_error_handlers,
    respond,
    service,
)

customers_api = Blueprint("customers_api", __name__, url_prefix="/api/v1")
register_error_handlers(customers_api)

LIST_PARAMS = ("segment", "limit", "cursor")
COHORT_COLUMNS = ["cohort", "size", "k", "active", "retention"]
SEGMENT_COLUMNS = ["segment", "customers", "orders", "sales", "avg_recency"]
BUCKET_COLUMNS = ["bucket", "orders", "avg_review", "low_review_share"]


@customers_api.get("/customers/cohorts")
def cohorts() -> Response:
    output_format()
    with parsed_filters() as (reader, filters):
        body = {"filters": filters.to_json(),
                "cohorts": service().cohorts(filters, reader=reader)}
    return respond(body, lambda b: ([{"cohort": c["cohort"], "size": c["size"], **point}
                                     for c in b["cohorts"] for point in c["retention"]],
                                    COHORT_COLUMNS), "cohorts")


@customers_api.get("/customers/segments")
def segments() -> Response:
    output_format()
    with parsed_filters() as (reader, filters):
        body = {"filters": filters.to_json(),
                "segments": service().segments(filters, reader=reader)}
    return respond(body, lambda b: (b["segments"], SEGMENT_COLUMNS), "segments")


@customers_api.get("/delivery/lateness")
def lateness() -> Response:
    output_format()
    with parsed_filters() as (reader, filters):
        body = {"filters": filters.to_json(),
                "buckets": service().lateness(filters, reader=reader)}
    return respond(body, lambda b: (b["buckets"], BUCKET_COLUMNS), "lateness")


@customers_api.get("/customers")
def customer_list() -> Response:
    fmt = output_format()
    style = csv_style()
    segment = one("segment")
    if segment is None:
        raise FilterError("segment", f"segment is required: one of {', '.join(SEGMENTS)}")
    limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, " rows")
    cursor = one("cursor")
    with parsed_filters(LIST_PARAMS) as (reader, filters):
        query = CustomerQuery(filters, segment.lower())
        if fmt == "csv":  # one statement over MVCC tables: consistent by itself
            return _csv_response(query, style)
        page = service().customer_page(query, limit, cursor, reader=reader)
    body = {"filters": filters.to_json(), "segment": query.segment, "limit": limit, **page}
    return jsonify(jsonable(body))


def _csv_response(query: CustomerQuery, style: CsvStyle) -> Response:
    """Every row of the list (limit and cursor do not apply), streamed."""
    name = csv_filename(["customers", query.segment], query.filters, set(request.args))
    return copied_csv(service().customer_csv(query, style.delimiter, style.decimal), name)
