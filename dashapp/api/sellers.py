"""/api/v1/breakdown/seller: the seller breakdown, the API twin of the page's Sellers panel.

Its own endpoint rather than a dimension of `/breakdown/{dim}`: a seller's row has fields
of its own (state, late-shipping rate) and there are thousands of sellers, so it is paged
(`limit`, `offset`) and says how many rows there are in all. A static route, so it wins
over the generic one. Definitions: docs/METRICS.md, "Sellers".
"""

from __future__ import annotations

from flask import Blueprint, Response

from ..queries.sellers import DEFAULT_LIMIT, MAX_LIMIT, ROW_FIELDS
from .common import int_param, output_format, parsed_filters, register_error_handlers, respond
from .common import service as pulse_service

sellers_api = Blueprint("sellers_api", __name__, url_prefix="/api/v1")
register_error_handlers(sellers_api)

PAGE_PARAMS = ("limit", "offset")
#: The largest offset taken: far beyond any real seller count, small enough for PostgreSQL.
MAX_OFFSET = 1_000_000_000


@sellers_api.get("/breakdown/seller")
def seller_breakdown() -> Response:
    output_format()
    limit = int_param("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, " rows")
    offset = int_param("offset", 0, 0, MAX_OFFSET)
    with parsed_filters(PAGE_PARAMS) as (reader, filters):
        body = pulse_service().sellers(filters, limit=limit, offset=offset, reader=reader)
    body = {"dim": "seller", **body}
    return respond(body, lambda b: (b["rows"], list(ROW_FIELDS)), "breakdown-seller")
