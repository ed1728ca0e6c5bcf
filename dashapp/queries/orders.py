"""The orders behind a number: one row per order of a view, read from the raw tables.

The list has to agree with the cards for any filters (docs/METRICS.md, "The order list
behind a number"), so it applies the filters exactly as `queries.raw` does, but its SQL
is its own. A row's fields are always read from the raw tables. Which orders make a
page, in which order, comes from derived keys (`order_keys`, `order_part_keys`, see
loaders/listkeys.py): computing a sort key for every order of the list first cost
seconds at 1M orders, and a walk along an index stops after the page's rows. The raw
page order is kept beside it (`keyed=False`), and tests hold the two equal. The totals
of the sales orders are the cards' own (rollups); the other statuses' are summed here.

Pages are keyset pages (`WHERE key after the last row's key ORDER BY key LIMIT n`), not
OFFSET: a page deep in a 100k-order list costs what the first one costs, and a row is
never shown twice or skipped when pages are fetched one after the other. The cursor
that carries the last row's key is opaque to clients (urlsafe base64 of JSON) and
checked here, so a broken or foreign one is a 400 naming `cursor`, never a SQL error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, text

from ..filters import FilterError, Filters
from ..metrics import OrderSums
from . import csvtext, fast
from .raw import CATEGORY
from .stream import CopyStream, RowStream, sort_in_memory

SORTS = ("purchased_at", "sales", "payments", "review", "days_late")
ORDERS = ("desc", "asc")
#: sales: the orders `orders` counts; all: every status (what `canceled_rate` counts);
#: canceled / unavailable: the orders of that status among all (the rates' numerators).
STATUSES = ("sales", "all", "canceled", "unavailable")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: What an order id may look like: Olist's are 32 hex digits; other shops' ids of up to
#: 64 letters, digits, '_', '.', '-' are accepted, anything else is refused unread.
ORDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: The fields of a row, in the order of the CSV columns.
ROW_FIELDS = ("order_id", "purchased_at", "customer_unique_id", "state", "status", "items",
              "sales", "freight", "payments", "categories", "payment_types", "review",
              "delivered_at", "estimated_at", "days_late")
#: CSV writes a list field (`categories`, `payment_types`) joined with this separator.
LIST_SEPARATOR = "|"
#: Longest cursor accepted (ours are ~130 characters for 32-character ids).
MAX_CURSOR = 1024

#: Sort name -> (SQL of the key, can it be NULL); `it`, `pay`, `rv` are sums per order.
_KEYS = {
    "purchased_at": ("o.order_purchase_timestamp", False),
    "sales": ("coalesce(it.sales, 0)", False),
    "payments": ("coalesce(pay.payments, 0)", False),
    "review": ("rv.review_sum::numeric / NULLIF(rv.review_n, 0)", True),
    "days_late": ("(o.order_delivered_customer_date::date "
                  "- o.order_estimated_delivery_date::date)", True),
}
#: The per-order sums each key needs (none: the key is a column of `orders`).
_KEY_SUMS = {"purchased_at": (), "sales": ("it",), "payments": ("pay",),
             "review": ("rv",), "days_late": ()}


@dataclass(frozen=True)
class OrderQuery:
    """Which orders (filters, status) in which order (sort, order): one list."""

    filters: Filters
    status: str = "sales"
    sort: str = "purchased_at"
    order: str = "desc"

    def __post_init__(self) -> None:
        for name, value, allowed in (("status", self.status, STATUSES),
                                     ("sort", self.sort, SORTS),
                                     ("order", self.order, ORDERS)):
            if value not in allowed:
                raise FilterError(name, f"{name} must be one of {', '.join(allowed)}, "
                                        f"got {value!r}")

    def cache_key(self) -> str:
        return f"{self.status}|{self.sort}|{self.order}|{self.filters.cache_key()}"

    def fingerprint(self) -> str:
        """Short digest of the view a cursor belongs to: a cursor from another list
        (other filters, sort, order or status) is refused rather than silently used."""
        return hashlib.sha256(self.cache_key().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Position:
    """Where a page starts: after the row with this sort key and order id."""

    key: datetime | Decimal | int | None
    order_id: str


# --- the cursor --------------------------------------------------------------------------


def encode_cursor(query: OrderQuery, position: Position) -> str:
    key = position.key
    raw = {"v": 1, "view": query.fingerprint(), "id": position.order_id,
           "k": key.isoformat() if isinstance(key, datetime) else
           (str(key) if isinstance(key, Decimal) else key)}
    data = json.dumps(raw, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _bad_cursor(why: str) -> FilterError:
    return FilterError("cursor", f"cursor is not valid: {why}; use the next_cursor of the "
                                 "previous page with the same filters, sort, order and "
                                 "status, or leave cursor out for the first page")


def _decode_key(sort: str, raw: object) -> datetime | Decimal | int | None:
    """The sort key in the type its SQL column has, or a FilterError naming `cursor`."""
    if raw is None and _KEYS[sort][1]:
        return None
    try:
        if sort == "purchased_at" and isinstance(raw, str):
            when = datetime.fromisoformat(raw)
            if when.tzinfo is None:  # timestamps are stored without a zone
                return when
        if sort in ("sales", "payments", "review") and isinstance(raw, str):
            value = Decimal(raw)
            if value.is_finite() and len(raw) <= 64:
                return value
        if sort == "days_late" and isinstance(raw, int) and not isinstance(raw, bool) \
                and abs(raw) < 10**6:
            return raw
    except (ValueError, InvalidOperation):
        pass
    raise _bad_cursor(f"its sort key does not fit sort={sort}")


def decode_cursor(query: OrderQuery, cursor: str) -> Position:
    """The position a cursor names, after checking it belongs to this very list."""
    if len(cursor) > MAX_CURSOR:
        raise _bad_cursor("it is too long")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise _bad_cursor("it is not one this API wrote") from None
    if not isinstance(data, dict) or data.get("v") != 1 or set(data) != {"v", "view", "id",
                                                                         "k"}:
        raise _bad_cursor("it is not one this API wrote")
    if data["view"] != query.fingerprint():
        raise _bad_cursor("it belongs to another list (other filters, sort, order or status)")
    order_id = data["id"]
    # any text the data holds (a bound parameter, never spliced into SQL), not ORDER_ID:
    # a cursor written after an odd id loaded from a file must still work
    if not isinstance(order_id, str) or not 0 < len(order_id) <= MAX_CURSOR // 2:
        raise _bad_cursor("its order id is malformed")
    return Position(_decode_key(query.sort, data["k"]), order_id)


# --- SQL ---------------------------------------------------------------------------------


#: The product and its category's translation, beside an order item `i`.
_PRODUCTS = """JOIN products p ON p.product_id = i.product_id
            LEFT JOIN product_category_name_translation t
                   ON t.product_category_name = p.product_category_name"""


def _matching(query: OrderQuery) -> tuple[list[str], dict[str, Any]]:
    """WHERE conditions on `orders o JOIN customers c`: the orders of the view.

    The same rules as `queries.raw` (docs/METRICS.md): dates and state select whole
    orders; a category or payment type qualifies an order having one such item or
    payment row, a seller one item of theirs (with a category too, the same item);
    status=sales keeps the orders `orders` counts (not canceled or unavailable, at least
    one item), status=canceled (unavailable) those the rate's numerator counts. The date
    test is a range on the timestamp rather
    than a cast, so the purchase-time index serves it."""
    f = query.filters
    assert f.start and f.end, "resolve() the filters first"
    params: dict[str, Any] = {"start": f.start, "end_next": f.end + timedelta(days=1)}
    where = ["o.order_purchase_timestamp >= :start",
             "o.order_purchase_timestamp < :end_next"]
    states = f.effective_states()
    if states is not None:
        where.append("c.customer_state = ANY(:states)")
        params["states"] = list(states)
    if f.categories or f.sellers:
        where.append(f"""EXISTS (SELECT 1 FROM order_items i {_PRODUCTS if f.categories else ""}
            WHERE i.order_id = o.order_id AND {_counted(f, params)})""")
    if f.payment_types:
        where.append("EXISTS (SELECT 1 FROM order_payments pp WHERE pp.order_id = o.order_id "
                     "AND pp.payment_type = ANY(:pays))")
        params["pays"] = list(f.payment_types)
    if query.status == "sales":
        where.append("o.order_status NOT IN ('canceled', 'unavailable')")
        where.append("EXISTS (SELECT 1 FROM order_items w WHERE w.order_id = o.order_id)")
    elif query.status != "all":  # canceled or unavailable: a rate's numerator
        where.append("o.order_status = :status")
        params["status"] = query.status
    return where, params


def _counted(f: Filters, params: dict[str, Any]) -> str:
    """Which items of `order_items i` (beside its product `p`) count: under a category or
    seller filter only those of the selected values, one item meeting both (METRICS.md);
    binds their parameters."""
    conds = []
    if f.categories:
        conds.append(f"{CATEGORY} = ANY(:cats)")
        params["cats"] = list(f.categories)
    if f.sellers:
        conds.append("i.seller_id = ANY(:sellers)")
        params["sellers"] = list(f.sellers)
    return " AND ".join(conds) or "TRUE"


_C_CATEGORY = f'({CATEGORY}) COLLATE "C"'
_C_PAYMENT = 'q.payment_type COLLATE "C"'


def _sums(query: OrderQuery, name: str, keys_only: bool) -> tuple[str, str, str, str]:
    """(columns, table, joins, condition) of one sum per order, never items and payments
    in one row set: `it` the order's counted items (under a category or seller filter
    only the selected ones' items), `pay` all its payment rows, `rv` its review rows (the
    table's key is (review_id, order_id): they are its distinct review rows).
    `keys_only` leaves out what a sort does not need: the sorted value lists, and the
    product join when no category filter asks for it."""
    by_category = bool(query.filters.categories)
    if name == "it":
        columns = "count(*) AS items, sum(i.price) AS sales, sum(i.freight_value) AS freight"
        if not keys_only:
            columns += (f", array_agg(DISTINCT {_C_CATEGORY} ORDER BY {_C_CATEGORY}) "
                        "AS categories")
        joins = _PRODUCTS if by_category or not keys_only else ""
        return columns, "order_items i", joins, _counted(query.filters, {})
    if name == "pay":
        columns = "sum(q.payment_value) AS payments"
        if not keys_only:
            columns += (f", array_agg(DISTINCT {_C_PAYMENT} ORDER BY {_C_PAYMENT}) "
                        "AS payment_types")
        return columns, "order_payments q", "", "TRUE"
    return ("sum(r.review_score) AS review_sum, count(*) AS review_n", "order_reviews r", "",
            "TRUE")


_ALIAS = {"it": "i", "pay": "q", "rv": "r"}


def _laterals(query: OrderQuery, which: tuple[str, ...]) -> str:
    """The sums computed beside each order of `o`, one index lookup per order: the way
    for a page's few rows."""
    out = []
    for name in which:
        columns, table, joins, cond = _sums(query, name, keys_only=False)
        out.append(f"""LEFT JOIN LATERAL (SELECT {columns} FROM {table} {joins}
            WHERE {_ALIAS[name]}.order_id = o.order_id AND {cond}) {name} ON TRUE""")
    return "\n".join(out)


def _grouped(query: OrderQuery, which: tuple[str, ...], keys_only: bool = False
             ) -> tuple[str, str]:
    """(CTEs, joins): the same sums grouped by order over the orders of `listed`, for
    a whole list at once: the planner can hash whole tables instead of looking each
    order up, several times faster over tens of thousands of orders."""
    ctes, out = [], []
    for name in which:
        columns, table, joins, cond = _sums(query, name, keys_only)
        a = _ALIAS[name]
        ctes.append(f"""{name} AS (SELECT {a}.order_id, {columns}
            FROM listed l JOIN {table} ON {a}.order_id = l.order_id {joins}
            WHERE {cond} GROUP BY {a}.order_id)""")
        out.append(f"LEFT JOIN {name} ON {name}.order_id = o.order_id")
    return ",\n".join(ctes), "\n".join(out)


def _order_by(query: OrderQuery, keys: dict[str, tuple[str, bool]] = _KEYS) -> str:
    """Sort key, then order id the same way; rows without a key (no review, no delivery
    date) come last whichever the direction."""
    key, nullable = keys[query.sort]
    way = query.order.upper()
    nulls = " NULLS LAST" if nullable else ""  # as written, so an index can serve it
    return f"{key} {way}{nulls}, o.order_id {way}"


def _after(query: OrderQuery, position: Position | None, params: dict[str, Any],
           keys: dict[str, tuple[str, bool]] = _KEYS) -> str:
    """The keyset condition: rows strictly after `position` in `_order_by`'s order.
    Written as `key <= last AND (key < last OR id < last_id)` (for desc) so that an
    index on the key can bound the scan."""
    if position is None:
        return "TRUE"
    key, nullable = keys[query.sort]
    op = "<" if query.order == "desc" else ">"
    params["after_id"] = position.order_id
    if position.key is None:  # inside the trailing rows without a key
        return f"({key}) IS NULL AND o.order_id {op} :after_id"
    params["after_key"] = position.key
    after = (f"({key} {op}= :after_key AND ({key} {op} :after_key "
             f"OR o.order_id {op} :after_id))")
    return f"(({key}) IS NULL OR {after})" if nullable else after


_ROW_COLUMNS = """o.order_id, o.order_purchase_timestamp AS purchased_at,
    c.customer_unique_id, c.customer_state AS state, o.order_status AS status,
    coalesce(it.items, 0) AS items, coalesce(it.sales, 0) AS sales,
    coalesce(it.freight, 0) AS freight, coalesce(pay.payments, 0) AS payments,
    coalesce(it.categories, '{}') AS categories,
    coalesce(pay.payment_types, '{}') AS payment_types,
    rv.review_sum, coalesce(rv.review_n, 0) AS review_n,
    o.order_delivered_customer_date AS delivered_at,
    o.order_estimated_delivery_date AS estimated_at,
    (o.order_delivered_customer_date::date - o.order_estimated_delivery_date::date)
        AS days_late"""
_CUSTOMER = "JOIN customers c ON c.customer_id = o.customer_id"
_EVERY_SUM = ("it", "pay", "rv")


def _orders(query: OrderQuery) -> str:
    """`orders o`, joined to its customer only when a state or region filter needs one:
    every order has exactly one (a foreign key, not null), and over a whole list the
    join costs a hash of the customers table for nothing."""
    return f"orders o {_CUSTOMER}" if query.filters.effective_states() is not None \
        else "orders o"


def _listed(query: OrderQuery) -> tuple[str, dict[str, Any]]:
    """`listed AS (...)`: the ids of the list's orders, computed once per query."""
    where, params = _matching(query)
    return (f"listed AS MATERIALIZED (SELECT o.order_id FROM {_orders(query)} "
            f"WHERE {' AND '.join(where)})"), params


def _raw_page_ids(query: OrderQuery, position: Position | None, limit: int
                  ) -> tuple[str, dict[str, Any]]:
    """The CTEs ending in `page`, the ids of one page, from the raw tables: the
    reference the derived keys are held to (tests), and what `keyed=False` reads. A sum
    key is computed for every order of the list, grouped, then sorted."""
    if not _KEY_SUMS[query.sort]:
        where, params = _matching(query)
        where.append(_after(query, position, params))
        params["limit"] = limit
        return (f"""page AS (SELECT o.order_id FROM {_orders(query)}
            WHERE {' AND '.join(where)} ORDER BY {_order_by(query)} LIMIT :limit)"""), params
    listed, params = _listed(query)
    ctes, joins = _grouped(query, _KEY_SUMS[query.sort], keys_only=True)
    after = _after(query, position, params)
    params["limit"] = limit
    return (f"""{listed}, {ctes},
        page AS (SELECT o.order_id FROM listed o {joins} WHERE {after}
            ORDER BY {_order_by(query)} LIMIT :limit)"""), params


#: The sort keys as the derived tables hold them (alias `o`): the same values as `_KEYS`
#: computes from the raw tables (tests/test_orders.py holds them equal). Under a
#: category or seller filter, `sales` is `order_part_keys`' (or a sum of its rows).
_STORED_KEYS = {"purchased_at": ("o.purchased_at", False), "sales": ("o.sales", False),
                "payments": ("o.payments", False), "review": ("o.review", True),
                "days_late": ("o.days_late", True)}
#: `kind` of the orders each status lists (loaders/rollups.py's kinds).
_KINDS = {"sales": "s", "canceled": "c", "unavailable": "u"}


#: The ids of the sets a filter's values overlap, as SQL: `set_ids` reads them before a
#: page; a statement without `SetIds` at hand (the export) computes them itself.
_SET_LOOKUPS = {
    "catset_id": "ARRAY(SELECT catset_id FROM dim_catset WHERE categories && "
                 "CAST(:cats AS text[]))",
    "payset_id": "ARRAY(SELECT payset_id FROM dim_payset WHERE types && CAST(:pays AS text[]))",
    "sellerset_id": "ARRAY(SELECT sellerset_id FROM dim_sellerset "
                    "WHERE sellers && CAST(:sellers AS text[]))"}


#: The ids of the sets holding two selected values or more: the orders whose sales under
#: several categories (sellers) are a sum of parts, not one part's key.
_SHARED_LOOKUPS = {
    "catset_id": "ARRAY(SELECT catset_id FROM dim_catset WHERE categories && "
                 "CAST(:cats AS text[]) AND cardinality(ARRAY(SELECT unnest(categories) "
                 "INTERSECT SELECT unnest(CAST(:cats AS text[])))) > 1)",
    "sellerset_id": "ARRAY(SELECT sellerset_id FROM dim_sellerset WHERE sellers && "
                    "CAST(:sellers AS text[]) AND cardinality(ARRAY(SELECT unnest(sellers) "
                    "INTERSECT SELECT unnest(CAST(:sellers AS text[])))) > 1)"}


@dataclass(frozen=True)
class SetIds:
    """The ids of the category, payment and seller sets a filter's values overlap: a set
    id is tested on a derived row as an integer, and given as constants the planner can
    weigh how many rows they select (an index walk, or the few rows then a sort)."""

    catsets: list[int]
    paysets: list[int]
    sellersets: list[int]
    #: How many orders (any status, any date) the seller sets hold: at most the list's
    #: length under the seller filter.
    seller_orders: int = 0
    #: The category (seller) sets with two selected categories (sellers) or more.
    shared_catsets: list[int] = field(default_factory=list)
    shared_sellersets: list[int] = field(default_factory=list)
    #: The list's own length when the cells know it cheaply (`_counted_list`), else None.
    listed: int | None = None


def set_ids(conn: Connection, f: Filters) -> SetIds:
    row = conn.execute(text(f"""SELECT {_SET_LOOKUPS["catset_id"]},
        {_SET_LOOKUPS["payset_id"]}, {_SET_LOOKUPS["sellerset_id"]},
        (SELECT coalesce(sum(n_orders), 0) FROM dim_sellerset
         WHERE sellers && CAST(:sellers AS text[])),
        {_SHARED_LOOKUPS["catset_id"]}, {_SHARED_LOOKUPS["sellerset_id"]}"""),
        {"cats": list(f.categories), "pays": list(f.payment_types),
         "sellers": list(f.sellers)}).one()
    return SetIds(*(list(v) for v in row[:3]), seller_orders=int(row[3]),
                  shared_catsets=list(row[4]), shared_sellersets=list(row[5]))


#: A seller filter's list at most this long is read whole through the seller sets'
#: index, then sorted. The planner cannot know how few orders a seller has (thousands of
#: sets, most outside its statistics): it walked a sort key's index instead, reading
#: most of `order_keys` for a seller of ~100 orders (1 s at 1M). The same for any list
#: a category, payment or state filter thins out, its length known from the cells
#: (`_counted_list`).
GATHER_LIMIT = 20_000


def key_plan(query: OrderQuery) -> str:
    """Which derived rows a page walks. `order_keys` holds every key of the whole order;
    sales under a category or seller filter counts only the selected items: one value is
    a key of `order_part_keys`, several are summed per order from its rows. With both
    kinds together (one item must be of both), the list is `agg_seller_order`'s rows of
    the selected sellers in the selected categories: summed per order for sales, and
    read with the other keys they carry for the other sorts."""
    f = query.filters
    if f.categories and f.sellers:
        return "seller_sums" if query.sort == "sales" else "seller_rows"
    if query.sort != "sales" or not (f.categories or f.sellers):
        return "order_keys"
    return "part" if len(f.categories or f.sellers) == 1 else "part_sums"


def _row_filters(query: OrderQuery, ids: SetIds | None, params: dict[str, Any],
                 sets: bool = True) -> list[str]:
    """`_matching`'s conditions on a derived row `o` (order_keys or order_part_keys):
    the same orders. A set overlapping the selection is an item (a payment row) of it.
    Not for a category and a seller filter together, where one item must be of both,
    which the sets cannot tell (`_seller_where`)."""
    f = query.filters
    assert f.start and f.end, "resolve() the filters first"
    params.update(start=f.start, end_next=f.end + timedelta(days=1))
    where = ["o.purchased_at >= :start", "o.purchased_at < :end_next"]
    states = f.effective_states()
    if states is not None:
        where.append("o.state = ANY(:states)")
        params["states"] = list(states)
    for values, column, name in ((f.categories, "catset_id", "cats"),
                                 (f.payment_types, "payset_id", "pays"),
                                 (f.sellers, "sellerset_id", "sellers")):
        if not values or not (sets or column == "payset_id"):
            continue
        if ids is None:
            where.append(f"o.{column} = ANY({_SET_LOOKUPS[column]})")
            params[name] = list(values)
        else:
            where.append(f"o.{column} = ANY(:{column}s)")
            params[f"{column}s"] = {"catset_id": ids.catsets, "payset_id": ids.paysets,
                                    "sellerset_id": ids.sellersets}[column]
    if query.status in _KINDS:  # one value, not ANY(array): the planner keeps its statistics
        where.append("o.kind = :kind")
        params["kind"] = _KINDS[query.status]
    return where


def _keyed_rows(query: OrderQuery, ids: SetIds, params: dict[str, Any]) -> str:
    """The derived rows of the list's orders, one per order, with its sort key (`o`)."""
    plan = key_plan(query)
    if plan == "order_keys":
        return f"order_keys o WHERE {' AND '.join(_row_filters(query, ids, params))}"
    f = query.filters
    if plan == "part":
        dim, value = ("c", f.categories[0]) if f.categories else ("s", f.sellers[0])
        params.update(dim=dim, value=value)
        where = _row_filters(query, ids, params, sets=False)
        return f"order_part_keys o WHERE o.dim = :dim AND o.value = :value AND " \
               f"{' AND '.join(where)}"
    if plan == "part_sums":
        params.update(dim="c" if f.categories else "s",
                      values=list(f.categories or f.sellers))
        where = _row_filters(query, ids, params, sets=False)
        return f"""(SELECT o.order_id, sum(o.sales) AS sales FROM order_part_keys o
            WHERE o.dim = :dim AND o.value = ANY(:values) AND {' AND '.join(where)}
            GROUP BY o.order_id) o WHERE TRUE"""
    if plan == "seller_sums":
        return f"""(SELECT s.order_id, sum(s.sales) AS sales FROM agg_seller_order s
            WHERE {_seller_where(query, params)} GROUP BY s.order_id) o WHERE TRUE"""
    # Every other key is the order's, on each of its rows: one per order, taken once.
    # The selected sellers' rows are stored together, so this reads their pages alone;
    # looking each order up in `order_keys` instead cost a random read per order
    # (350-450 ms for the biggest seller and a category at 10M orders).
    return f"""(SELECT DISTINCT s.order_id, s.purchased_at, s.payments,
            s.review_sum::numeric / NULLIF(s.review_n, 0) AS review, s.days_late
        FROM agg_seller_order s WHERE {_seller_where(query, params)}) o WHERE TRUE"""


def _seller_where(query: OrderQuery, params: dict[str, Any]) -> str:
    """The list's conditions on `agg_seller_order`'s rows (one per order, seller and
    category, with the order's state, kind and payment types): an order is listed when
    one of its rows is of a selected seller and a selected category."""
    f = query.filters
    assert f.start and f.end, "resolve() the filters first"
    params.update(start_day=f.start, end_day=f.end, cats=list(f.categories),
                  sellers=list(f.sellers))
    where = ["s.seller_id = ANY(:sellers)", "s.category = ANY(:cats)",
             "s.day BETWEEN :start_day AND :end_day"]
    states = f.effective_states()
    if states is not None:
        where.append("s.state = ANY(:states)")
        params["states"] = list(states)
    if f.payment_types:
        where.append("s.pay_types && CAST(:pays AS text[])")
        params["pays"] = list(f.payment_types)
    if query.status in _KINDS:
        where.append("s.kind = :kind")
        params["kind"] = _KINDS[query.status]
    return " AND ".join(where)


#: Up to this many categories (sellers), a page by sales merges each one's key walk.
MERGE_LIMIT = 12


def _merged_parts(query: OrderQuery, position: Position | None, ids: SetIds,
                  params: dict[str, Any]) -> str:
    """A page by sales under several categories (sellers), without summing every order
    of the list: an order with items of one selected value only has that value's part
    as its key, so each value's first `limit` rows after the cursor come from its own
    index walk (`order_part_keys (dim, value, sales, order_id)`); only the orders whose
    set holds two selected values or more (few) are summed. The page is the first
    `limit` of their union: every order is in exactly one branch."""
    f = query.filters
    dim, values, column, shared = (
        ("c", f.categories, "catset_id", ids.shared_catsets) if f.categories
        else ("s", f.sellers, "sellerset_id", ids.shared_sellersets))
    params.update(dim=dim, values=list(values), shared=shared)
    where = " AND ".join(_row_filters(query, ids, params, sets=False))
    after = _after(query, position, params, _STORED_KEYS)
    order = _order_by(query, _STORED_KEYS)
    branches = []
    for i, value in enumerate(values):
        params[f"value_{i}"] = value
        branches.append(f"""(SELECT o.order_id, o.sales FROM order_part_keys o
            WHERE o.dim = :dim AND o.value = :value_{i} AND {where}
              AND NOT o.{column} = ANY(CAST(:shared AS integer[])) AND {after}
            ORDER BY {order} LIMIT :limit)""")
    branches.append(f"""(SELECT o.order_id, o.sales FROM (
            SELECT o.order_id, sum(o.sales) AS sales FROM order_part_keys o
            WHERE o.dim = :dim AND o.value = ANY(:values) AND {where}
              AND o.{column} = ANY(CAST(:shared AS integer[]))
            GROUP BY o.order_id) o WHERE {after})""")
    union = "\n            UNION ALL ".join(branches)
    return f"""page AS (SELECT o.order_id FROM ({union}) o
        ORDER BY {order} LIMIT :limit)"""


def _page_ids(query: OrderQuery, position: Position | None, limit: int,
              ids: SetIds | None) -> tuple[str, dict[str, Any]]:
    """The CTEs ending in `page`, the ids of one page, found by the sort key alone: from
    the derived keys (`ids` given; an index per key and direction, so the page stops
    after `limit` rows, and a filter that leaves few orders reads those through its set
    ids), else from the raw tables."""
    if ids is None:
        return _raw_page_ids(query, position, limit)
    params: dict[str, Any] = {"limit": limit}
    _counted(query.filters, params)  # what the rows' item sums count (`_laterals`)
    f = query.filters
    if key_plan(query) == "part_sums" and len(f.categories or f.sellers) <= MERGE_LIMIT:
        return _merged_parts(query, position, ids, params), params
    rows = _keyed_rows(query, ids, params)
    after = _after(query, position, params, _STORED_KEYS)
    if key_plan(query) == "order_keys" and (
            (query.filters.sellers and ids.seller_orders <= GATHER_LIMIT)
            or (ids.listed is not None and ids.listed <= GATHER_LIMIT)):
        return (f"""listed AS MATERIALIZED (SELECT o.* FROM {rows}),
            page AS (SELECT o.order_id FROM listed o WHERE {after}
            ORDER BY {_order_by(query, _STORED_KEYS)} LIMIT :limit)"""), params
    return (f"""page AS (SELECT o.order_id FROM {rows} AND {after}
        ORDER BY {_order_by(query, _STORED_KEYS)} LIMIT :limit)"""), params


def _rows_sql(query: OrderQuery, position: Position | None, limit: int | None,
              ids: SetIds | None = None) -> tuple[str, dict[str, Any]]:
    """The rows of a page (limit: its ids first, then every field of those few orders,
    looked up beside each) or of the whole list (limit None: every sum grouped)."""
    if limit is not None:
        ctes, params = _page_ids(query, position, limit, ids)
        return (f"""WITH {ctes}
            SELECT {_ROW_COLUMNS}, {_KEYS[query.sort][0]} AS sort_key
            FROM page JOIN orders o ON o.order_id = page.order_id {_CUSTOMER}
            {_laterals(query, _EVERY_SUM)}
            ORDER BY {_order_by(query)}"""), params
    listed, params = _listed(query)
    ctes, joins = _grouped(query, _EVERY_SUM)
    return (f"""WITH {listed}, {ctes}
        SELECT {_ROW_COLUMNS}, {_KEYS[query.sort][0]} AS sort_key
        FROM listed l JOIN orders o ON o.order_id = l.order_id {_CUSTOMER}
        {joins}
        ORDER BY {_order_by(query)}"""), params


def _row(r: Any) -> dict[str, Any]:
    """A result row (`_ROW_COLUMNS` in order) as the API's dict. The review mean is a
    float like `avg_review`'s, from the same sum and count; money stays Decimal (rounded
    only on output). Unpacked by position: a CSV of 100k rows calls this 100k times."""
    (order_id, purchased_at, person, state, status, items, sales, freight, payments,
     categories, payment_types, review_sum, review_n, delivered_at, estimated_at,
     days_late) = tuple(r)[:16]
    return {"order_id": order_id, "purchased_at": purchased_at,
            "customer_unique_id": person, "state": state, "status": status,
            "items": items, "sales": sales, "freight": freight, "payments": payments,
            "categories": list(categories), "payment_types": list(payment_types),
            "review": float(review_sum) / review_n if review_n else None,
            "delivered_at": delivered_at, "estimated_at": estimated_at,
            "days_late": days_late}


# --- reading -----------------------------------------------------------------------------


def _counted_list(conn: Connection, query: OrderQuery, ids: SetIds,
                  listed: int | None) -> SetIds:
    """`ids` with the list's length, for a list of sales orders that a category, payment
    or state filter thins out: `listed` when the caller has the list's totals already
    (the service does), else the cards' count, `list_totals` from the cells (a few ms at
    10M orders).

    Such a list walked in a sort key's index order reads every order of the range until
    a page of matching ones turns up, and the planner, which sees the filters one by one,
    cannot tell how far that is: at 10M orders a week of two categories by lateness
    walked 115k rows for 51 (125-250 ms warm, 1.8 s from disk), where its ~8k orders
    read through the sets' index and sorted take a few ms."""
    f = query.filters
    thinned = f.categories or f.payment_types or f.effective_states() is not None
    if query.status != "sales" or f.sellers or not thinned \
            or key_plan(query) != "order_keys":
        return ids
    if listed is None:
        listed = list_totals(conn, query)["orders"]
    return replace(ids, listed=listed)


def order_page(conn: Connection, query: OrderQuery, limit: int = DEFAULT_LIMIT,
               cursor: str | None = None, keyed: bool = True,
               listed: int | None = None) -> dict[str, Any]:
    """One page: `rows` and the `next_cursor` to the following page (None on the last).
    `keyed`: the page's ids from the derived keys (the raw tables otherwise: the
    reference, for tests). `listed`: the list's length if known (`list_totals`)."""
    position = decode_cursor(query, cursor) if cursor else None
    ids = _counted_list(conn, query, set_ids(conn, query.filters), listed) \
        if keyed else None
    sql, params = _rows_sql(query, position, limit + 1, ids)
    if key_plan(query) != "order_keys" if keyed else _KEY_SUMS[query.sort]:
        sort_in_memory(conn)
    found = conn.execute(text(sql), params).all()
    rows = [_row(r) for r in found[:limit]]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = encode_cursor(query, Position(last.sort_key, last.order_id))
    return {"rows": rows, "next_cursor": next_cursor}


def order_totals(conn: Connection, query: OrderQuery) -> dict[str, Any]:
    """Row count and sums over the whole list, each summed straight from its own table
    (items and payments never in one row set): what the cards must show too."""
    listed, params = _listed(query)
    cat_cond = _counted(query.filters, params)
    sort_in_memory(conn)
    row = conn.execute(text(f"""
        WITH {listed}
        SELECT n.orders, it.sales, it.freight, pay.payments
        FROM (SELECT count(*) AS orders FROM listed) n,
             (SELECT coalesce(sum(i.price), 0) AS sales,
                     coalesce(sum(i.freight_value), 0) AS freight
              FROM listed l JOIN order_items i ON i.order_id = l.order_id
              {_PRODUCTS if query.filters.categories else ""}
              WHERE {cat_cond}) it,
             (SELECT coalesce(sum(q.payment_value), 0) AS payments
              FROM listed l JOIN order_payments q ON q.order_id = l.order_id) pay
        """), params).one()
    return {"orders": int(row.orders), "sales": Decimal(row.sales),
            "freight": Decimal(row.freight), "payments": Decimal(row.payments)}


def list_totals(conn: Connection, query: OrderQuery) -> dict[str, Any]:
    """The totals a page carries. For sales orders they are the cards' own sums (from the
    rollups, which tests hold equal to `order_totals` over the raw rows), so a first page
    at 10M orders costs what the cards cost instead of summing every order; the other
    statuses have no card to agree with and are summed from the rows."""
    if query.status != "sales":
        return order_totals(conn, query)
    s = fast.order_sums(conn, query.filters, with_customers=False).get(None) or OrderSums()
    return {"orders": s.orders, "sales": s.sales, "freight": s.freight,
            "payments": s.payments}


class OrderStream(RowStream):
    """Every row of a list (queries/stream.py): a CSV of a million orders goes out in
    constant memory."""

    def __init__(self, engine: Engine, query: OrderQuery) -> None:
        sql, params = _rows_sql(query, None, None)
        super().__init__(engine, sql, params, _row)


# --- one order ---------------------------------------------------------------------------


def order_detail(conn: Connection, order_id: str) -> dict[str, Any] | None:
    """One order whole, whatever its status: every timestamp, its customer, items,
    payment rows and review rows (None when there is no such order)."""
    head = conn.execute(text("""
        SELECT o.order_id, o.order_status AS status,
               o.order_purchase_timestamp AS purchased_at, o.order_approved_at AS approved_at,
               o.order_delivered_carrier_date AS delivered_carrier_at,
               o.order_delivered_customer_date AS delivered_at,
               o.order_estimated_delivery_date AS estimated_at,
               (o.order_delivered_customer_date::date
                - o.order_estimated_delivery_date::date) AS days_late,
               c.customer_id, c.customer_unique_id, c.customer_city AS city,
               c.customer_state AS state
        FROM orders o JOIN customers c ON c.customer_id = o.customer_id
        WHERE o.order_id = :id"""), {"id": order_id}).mappings().first()
    if head is None:
        return None
    h = dict(head)
    items = conn.execute(text(f"""
        SELECT i.order_item_id, i.product_id, {CATEGORY} AS category, i.seller_id,
               i.price, i.freight_value AS freight, i.shipping_limit_date AS shipping_limit
        FROM order_items i JOIN products p ON p.product_id = i.product_id
        LEFT JOIN product_category_name_translation t
               ON t.product_category_name = p.product_category_name
        WHERE i.order_id = :id ORDER BY i.order_item_id"""), {"id": order_id}).mappings().all()
    payments = conn.execute(text("""
        SELECT payment_sequential AS sequential, payment_type AS type,
               payment_installments AS installments, payment_value AS value
        FROM order_payments WHERE order_id = :id ORDER BY payment_sequential"""),
        {"id": order_id}).mappings().all()
    reviews = conn.execute(text("""
        SELECT review_id, review_score AS score, review_comment_title AS title,
               review_comment_message AS message, review_creation_date AS created_at,
               review_answer_timestamp AS answered_at
        FROM order_reviews WHERE order_id = :id
        ORDER BY review_creation_date NULLS LAST, review_id"""),
        {"id": order_id}).mappings().all()
    customer = {k: h.pop(k) for k in ("customer_id", "customer_unique_id", "city", "state")}
    return {**h, "customer": customer,
            "items": [dict(r) for r in items],
            "payments": [dict(r) for r in payments],
            "reviews": [dict(r) for r in reviews]}


# --- the whole list as CSV, written by PostgreSQL ------------------------------------------


#: ROW_FIELDS as CSV cells (queries/csvtext.py) from `_rows_sql`'s columns (`r`): what
#: `api.common.csv_cell` writes of `_row`'s values.
_CSV_CELLS = [
    ("order_id", "text", "r.order_id"), ("purchased_at", "timestamp", "r.purchased_at"),
    ("customer_unique_id", "text", "r.customer_unique_id"), ("state", "text", "r.state"),
    ("status", "text", "r.status"), ("items", "int", "r.items"),
    ("sales", "money", "r.sales"), ("freight", "money", "r.freight"),
    ("payments", "money", "r.payments"), ("categories", "list", "r.categories"),
    ("payment_types", "list", "r.payment_types"),
    ("review", "float", "r.review_sum::float8 / NULLIF(r.review_n, 0)"),
    ("delivered_at", "timestamp", "r.delivered_at"),
    ("estimated_at", "timestamp", "r.estimated_at"), ("days_late", "int", "r.days_late")]


#: An export from the raw tables (under a category or seller filter) hashes every order
#: of the list several times (its sums, its row, its customer), then sorts the rows: at
#: 1M orders each hash is ~100 MB and the sort ~400 MB; under less they spill to disk.
#: Nested loops are off: with a filter the planner cannot size well, it expected ~5k rows
#: and looked up each of 1M orders and customers by index (2x slower).
EXPORT_WORK_MEM = "512MB"
#: Without a category or seller filter the export reads `order_keys` alone, hashes the
#: category and payment sets (small) and sorts, on parallel workers. Walking its
#: purchase-time index instead (the table is stored in that order, the sets looked up
#: through Memoize) sends the first row at once rather than after ~2.5 s at 1M orders,
#: but measured 20-35% slower in all on 2 cores: it cannot use the second one.
_EXPORT_SETTINGS = (("enable_nestloop", "off"),)
#: `_STORED_KEYS` and the purchase time, as `order_keys` (alias `o`) holds them.
_EXPORT_KEYS = {**_STORED_KEYS, "purchased_at": ("o.purchased_at", False)}


def _keyed_rows_sql(query: OrderQuery) -> tuple[str, dict[str, Any]]:
    """`_rows_sql`'s whole list, its columns and order, read from `order_keys` alone (with
    the category and payment type sets' small tables): without a category or seller
    filter its sums are the order's whole sums, the list's own, and it holds every other
    field of a row. At 1M orders, joining orders, customers and the items' and reviews'
    sums for the export instead took ~36 s of its ~70 s."""
    params: dict[str, Any] = {}
    cond = " AND ".join(_row_filters(query, None, params))
    return (f"""SELECT o.order_id, o.purchased_at, o.customer_unique_id, o.state, o.status,
            o.items, o.sales, o.freight, o.payments, cs.categories,
            ps.types AS payment_types,
            CASE WHEN o.review_n > 0 THEN o.review_sum END AS review_sum, o.review_n,
            o.delivered_at, o.estimated_at, o.days_late
        FROM order_keys o
        JOIN dim_catset cs ON cs.catset_id = o.catset_id
        JOIN dim_payset ps ON ps.payset_id = o.payset_id
        WHERE {cond}
        ORDER BY {_order_by(query, _EXPORT_KEYS)}"""), params


def export_sql(query: OrderQuery, mark: str = ".") -> tuple[str, dict[str, Any]]:
    """The whole list (`_rows_sql`'s rows in its order), one text column per CSV cell,
    numbers with the decimal `mark`. Without a category or seller filter the rows come
    from `_keyed_rows_sql` (tests/test_csv_copy.py holds both byte-identical)."""
    sql, params = (_keyed_rows_sql(query) if _keyed_export(query)
                   else _rows_sql(query, None, None))
    return csvtext.cells_sql(_CSV_CELLS, sql, mark), params


def _keyed_export(query: OrderQuery) -> bool:
    """Does `order_keys` hold the list's rows whole? Not under a category or seller
    filter, where an order's sums are its selected items' only."""
    return not (query.filters.categories or query.filters.sellers)


class OrderCopy(CopyStream):
    """The whole list as CSV written by PostgreSQL (queries/stream.py `CopyStream`)."""

    def __init__(self, engine: Engine, query: OrderQuery, delimiter: str = ",",
                 mark: str = ".") -> None:
        sql, params = export_sql(query, mark)
        super().__init__(engine, sql, params, delimiter, work_mem=EXPORT_WORK_MEM,
                         settings=_EXPORT_SETTINGS)
