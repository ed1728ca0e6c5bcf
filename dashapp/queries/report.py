"""Assemble query results into the shapes the API and the page share.

Every function takes the path (`fast` or `raw`) as a parameter: the same
assembly over two independent ways of computing, which is how the tests
compare them and how the benchmark measures the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import ModuleType

from sqlalchemy import Connection, Engine, text

from ..filters import DATE_MIN, LIST_PARAMS, Domain, Filters
from ..metrics import (
    OrderSums,
    growth,
    kpis,
    period_label,
    ratio,
    reference_span,
    with_changes,
)
from . import fast
from .snapshot import Snapshot, snapshot

GRAINS = ("month", "week", "day")
#: Every filter dimension has a breakdown.
#: Generic breakdowns (the seller breakdown has its own fields: queries/sellers.py).
DIMENSIONS = tuple(p for p in LIST_PARAMS if p != "seller")


def load_domain(conn: Connection) -> Domain:
    facts = fast.domain_facts(conn)
    return Domain(**facts)  # type: ignore[arg-type]


def meta(conn: Connection) -> dict:
    """Data version, load time, range and the values present."""
    row = conn.execute(text(
        "SELECT data_version, loaded_at, synthetic, source FROM pulse_meta WHERE id = 1"
    )).first()
    facts = fast.domain_facts(conn) if row else {
        "min_day": None, "max_day": None, "states": (), "categories": (), "payment_types": (),
        "sellers": ()}
    return {
        "data_version": str(row.data_version) if row else None,
        "loaded_at": row.loaded_at.isoformat() if row and row.loaded_at else None,
        "synthetic": bool(row.synthetic) if row else False,
        "source": row.source if row else None,
        "start": facts["min_day"].isoformat() if facts["min_day"] else None,
        "end": facts["max_day"].isoformat() if facts["max_day"] else None,
        "states": list(facts["states"]),
        "categories": list(facts["categories"]),
        "payment_types": list(facts["payment_types"]),
        "sellers": list(facts["sellers"]),
    }


def kpi_report(conn: Connection, filters: Filters, path: ModuleType = fast) -> dict:
    """Current and previous period KPIs and their growth, for resolved filters.

    The previous period is named twice: at the top (where the page reads it) and inside
    `filters`, so the API's echo of the filters says what growth compared with."""
    current = kpis(path.order_sums(conn, filters).get(None, OrderSums()))
    previous = kpis(path.order_sums(conn, filters.previous()).get(None, OrderSums()))
    period = filters.previous_period_json()
    return {
        "filters": {**filters.to_json(), "previous_period": period},
        "previous_period": dict(period),
        "current": current,
        "previous": previous,
        "growth": growth(current, previous),
    }


def _reference_sales(conn: Connection, filters: Filters, grain: str,
                     path: ModuleType) -> dict[date, Decimal]:
    """Sales of the whole periods that mom and yoy compare with, under the same filters.

    A second query because the points count only days inside the range while their
    references are whole periods, often before `start` (a view of 2021 compares January
    with December 2020); only periods with matching orders are kept (METRICS.md)."""
    assert filters.start and filters.end
    span = reference_span(filters.start, filters.end, grain, floor=DATE_MIN)
    if span is None:
        return {}
    sums = path.order_sums(conn, replace(filters, start=span[0], end=span[1]), grain,
                           with_customers=False)
    return {period: s.sales for period, s in sums.items() if s.orders}


def timeseries(conn: Connection, filters: Filters, grain: str = "month",
               path: ModuleType = fast) -> dict:
    sums = path.order_sums(conn, filters, grain, with_customers=False)
    points = []
    for period in sorted(p for p, s in sums.items() if s.orders):
        s = sums[period]
        k = kpis(s)
        points.append({"period_date": period, "period": period_label(period, grain),
                       "sales": k["sales"], "orders": k["orders"], "aov": k["aov"],
                       "freight": k["freight"], "items": k["items"]})
    reference = _reference_sales(conn, filters, grain, path) if points else {}
    points = with_changes(points, grain, reference)
    for p in points:
        del p["period_date"]
    return {"grain": grain, "filters": filters.to_json(), "points": points}


def breakdown(conn: Connection, filters: Filters, dim: str, path: ModuleType = fast) -> dict:
    if dim in ("state", "region"):
        rows = [{"key": key, **kpis(s)} for key, s in path.order_sums(conn, filters, dim).items()]
        rows.sort(key=lambda r: (-r["sales"], -r["orders"], str(r["key"])))
    elif dim == "category":
        rows = []
        for r in path.category_rows(conn, filters):
            rows.append({**r, "revenue": r["sales"] + r["freight"],
                         "aov": r["sales"] / r["orders"] if r["orders"] else None})
        rows.sort(key=lambda r: (-r["sales"], -r["orders"], r["key"]))
    elif dim == "payment_type":
        raw_rows, total_orders = path.payment_rows(conn, filters)
        total_value = sum((r["value"] for r in raw_rows), start=0)
        rows = [
            {"key": r["key"], "payment_rows": r["payment_rows"], "orders": r["orders"],
             "value": r["value"], "share_orders": ratio(r["orders"], total_orders),
             "share_value": ratio(r["value"], total_value),
             "avg_installments": ratio(r["installments"], r["payment_rows"])}
            for r in raw_rows
        ]
        rows.sort(key=lambda r: (-r["orders"], -r["value"], r["key"]))
    else:
        raise ValueError(f"unknown dimension {dim!r}")
    return {"dim": dim, "filters": filters.to_json(), "rows": rows}


def _dashboard_parts(filters: Filters, path: ModuleType) -> dict[str, Callable]:
    """The independent pieces of one page view, each a function of a connection.

    Each chart shows its own dimension without its own filter (the selection is
    highlighted instead), so SP stays visible on the map while SP is selected.
    """
    return {
        "kpis": lambda c: kpi_report(c, filters, path),
        "timeseries": lambda c: timeseries(c, filters, "month", path),
        "state": lambda c: breakdown(c, filters.without("state", "region"), "state", path),
        "region": lambda c: breakdown(c, filters.without("state", "region"), "region", path),
        "category": lambda c: breakdown(c, filters.without("category"), "category", path),
        "payment_type": lambda c: breakdown(c, filters.without("payment_type"),
                                            "payment_type", path),
    }


def dashboard(conn: Connection, filters: Filters, path: ModuleType = fast) -> dict:
    """Everything one page view needs for a filter set, on one connection."""
    return {name: part(conn) for name, part in _dashboard_parts(filters, path).items()}


def dashboard_parallel(source: Engine | Snapshot, filters: Filters,
                       path: ModuleType = fast, workers: int = 3) -> dict:
    """The same as `dashboard`, its pieces on up to `workers` connections at once, all in
    one snapshot (`queries/snapshot.py`): a load that commits meanwhile changes none of
    them, so the answer is the old data's or the new data's, never a mix.

    PostgreSQL runs each connection in its own process, so on a multi-core server a
    filter change can wait for its slowest piece rather than for all. Given an engine,
    it opens its own snapshot (which holds the load's gate).
    """
    parts = _dashboard_parts(filters, path)
    if isinstance(source, Snapshot):
        return source.run_parts(parts, workers)
    with snapshot(source) as snap:
        return snap.run_parts(parts, workers)
