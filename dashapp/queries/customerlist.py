"""The customers of a segment, one row each: who is behind a segment's numbers.

The rows are `customers.PER_CUSTOMER` over the same matching orders the segment counts,
so the list's length is the segment's `customers` and its sums are the segment's
`orders` and `sales`, for any filters. Sorted by sales, largest first, ties by
customer id (byte order) the same way; paged by keyset like the order list
(queries/orders.py says why), the cursor being opaque urlsafe base64 of JSON that names
its list, checked here, so a broken or foreign one is a 400 naming `cursor`.

A row's `state` is the state of the customer's last matching order in the range (a
customer who moved is listed where they bought last), `first_order` the day of their
first sales order in the whole dataset (the one their cohort is named after, whatever
the filters), `last_order` the day of their last matching order in the range, from
which `recency` is counted to `end`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, text

from ..filters import FilterError, Filters, shown
from . import csvtext
from .customers import PER_CUSTOMER, SEGMENT_WHERE, SEGMENTS, source
from .stream import CopyStream, RowStream, sort_in_memory

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR = 1024
ROW_FIELDS = ("customer_unique_id", "state", "orders", "sales", "first_order", "last_order",
              "recency")


@dataclass(frozen=True)
class CustomerQuery:
    """Which customers: the segment of a view (and which path computes it)."""

    filters: Filters
    segment: str
    path: str = "fast"

    def __post_init__(self) -> None:
        if self.segment not in SEGMENTS:
            raise FilterError("segment", f"segment must be one of {', '.join(SEGMENTS)}, "
                                         f"got {shown(self.segment)}")

    def cache_key(self) -> str:
        return f"{self.segment}|{self.filters.cache_key()}"

    def fingerprint(self) -> str:
        """A cursor is refused on another list (other segment or filters)."""
        return hashlib.sha256(self.cache_key().encode()).hexdigest()[:16]


# --- the cursor ----------------------------------------------------------------------------


def encode_cursor(query: CustomerQuery, sales: Decimal, person: str) -> str:
    raw = {"v": 1, "view": query.fingerprint(), "k": str(sales), "id": person}
    data = json.dumps(raw, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _bad_cursor(why: str) -> FilterError:
    return FilterError("cursor", f"cursor is not valid: {why}; use the next_cursor of the "
                                 "previous page with the same segment and filters, or leave "
                                 "cursor out for the first page")


def decode_cursor(query: CustomerQuery, cursor: str) -> tuple[Decimal, str]:
    """(sales, customer id) of the last row before the page, after checking the cursor
    was written for this very list."""
    if len(cursor) > MAX_CURSOR:
        raise _bad_cursor("it is too long")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise _bad_cursor("it is not one this API wrote") from None
    if not isinstance(data, dict) or data.get("v") != 1 or set(data) != {"v", "view", "k",
                                                                         "id"}:
        raise _bad_cursor("it is not one this API wrote")
    if data["view"] != query.fingerprint():
        raise _bad_cursor("it belongs to another list (other segment or filters)")
    key, person = data["k"], data["id"]
    if not isinstance(person, str) or not 0 < len(person) <= MAX_CURSOR // 2:
        raise _bad_cursor("its customer id is malformed")
    try:
        sales = Decimal(key) if isinstance(key, str) and len(key) <= 64 else None
    except InvalidOperation:
        sales = None
    if sales is None or not sales.is_finite():
        raise _bad_cursor("its sort key is not an amount")
    return sales, person


# --- SQL -----------------------------------------------------------------------------------


def _rows_sql(query: CustomerQuery, after: tuple[Decimal, str] | None, limit: int | None
              ) -> tuple[str, dict[str, Any]]:
    f = query.filters
    assert f.start and f.end, "resolve() the filters first"
    ctes, params = source(f, f.start, f.end, query.path)
    params["end"] = f.end
    where = [SEGMENT_WHERE[query.segment]]
    if after is not None:
        where.append('(sales, person COLLATE "C") < (:after_sales, :after_id COLLATE "C")')
        params["after_sales"], params["after_id"] = after
    tail = ""
    if limit is not None:
        tail = "LIMIT :limit"
        params["limit"] = limit
    return (ctes + PER_CUSTOMER + f"""
    SELECT person, state, f, sales, first_day, last_day, r FROM per
    WHERE {' AND '.join(where)}
    ORDER BY sales DESC, person COLLATE "C" DESC {tail}"""), params


def _row(r: Any) -> dict[str, Any]:
    person, state, f, sales, first_day, last_day, recency = tuple(r)
    return {"customer_unique_id": person, "state": state, "orders": int(f),
            "sales": Decimal(sales), "first_order": first_day, "last_order": last_day,
            "recency": int(recency)}


#: A whole segment is grouped and sorted at once; keep it off the disk.
WORK_MEM = "64MB"


def customer_page(conn: Connection, query: CustomerQuery, limit: int = DEFAULT_LIMIT,
                  cursor: str | None = None) -> dict[str, Any]:
    """One page: `rows` and `next_cursor` (None on the last page)."""
    after = decode_cursor(query, cursor) if cursor else None
    sql, params = _rows_sql(query, after, limit + 1)
    sort_in_memory(conn, WORK_MEM)
    found = [_row(r) for r in conn.execute(text(sql), params).all()]
    rows = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = rows[-1]
        next_cursor = encode_cursor(query, last["sales"], last["customer_unique_id"])
    return {"rows": rows, "next_cursor": next_cursor}


def customer_total(conn: Connection, query: CustomerQuery) -> dict[str, Any]:
    """How many customers the whole list holds, their orders and sales: the segment's."""
    sql, params = _rows_sql(query, None, None)
    sort_in_memory(conn, WORK_MEM)
    row = conn.execute(text(f"SELECT count(*), coalesce(sum(f), 0), coalesce(sum(sales), 0) "
                            f"FROM ({sql}) s(person, state, f, sales, a, b, r)"),
                       params).one()
    return {"customers": int(row[0]), "orders": int(row[1]), "sales": Decimal(row[2])}


class CustomerStream(RowStream):
    """Every customer of a segment (queries/stream.py): a CRM's list in constant memory."""

    def __init__(self, engine: Engine, query: CustomerQuery) -> None:
        sql, params = _rows_sql(query, None, None)
        super().__init__(engine, sql, params, _row, work_mem=WORK_MEM)


#: ROW_FIELDS as CSV cells from `_rows_sql`'s columns (queries/csvtext.py).
_CSV_CELLS = [
    ("customer_unique_id", "text", "r.person"), ("state", "text", "r.state"),
    ("orders", "int", "r.f"), ("sales", "money", "r.sales"),
    ("first_order", "date", "r.first_day"), ("last_order", "date", "r.last_day"),
    ("recency", "int", "r.r")]


def export_sql(query: CustomerQuery, mark: str = ".") -> tuple[str, dict[str, Any]]:
    """The whole list in its order, one text column per CSV cell of ROW_FIELDS (what
    `api.common.csv_cell` writes of `_row`'s values; queries/csvtext.py)."""
    sql, params = _rows_sql(query, None, None)
    return csvtext.cells_sql(_CSV_CELLS, sql, mark), params


class CustomerCopy(CopyStream):
    """A segment's whole list as CSV written by PostgreSQL (queries/stream.py)."""

    def __init__(self, engine: Engine, query: CustomerQuery, delimiter: str = ",",
                 mark: str = ".") -> None:
        sql, params = export_sql(query, mark)
        super().__init__(engine, sql, params, delimiter, work_mem=WORK_MEM)
