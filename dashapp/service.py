"""The application service: cached, validated access to the query layer.

The REST API and the Dash callbacks both go through here, so a chart and its
API twin are the same computation (and share cache entries).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from .cache import ResultCache
from .filters import Domain, Filters, parse_filters
from .queries import orders, report

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database did not answer; the message is safe to show (no credentials)."""


class NoData(RuntimeError):
    """The database is reachable but nothing has been loaded yet."""


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).strip().splitlines()
    reason = text_[0] if text_ else exc.__class__.__name__
    if "statement timeout" in reason or "canceling statement" in reason:
        return "the database is answering too slowly (statement timeout)"
    return reason


class PulseService:
    def __init__(self, engine: Engine, cache: ResultCache) -> None:
        self.engine = engine
        self.cache = cache
        self._domains: dict[str, Domain] = {}
        self._lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------

    def _guard(self, fn: Callable[[], T]) -> T:
        """Run database work, turning driver errors into DatabaseUnavailable / NoData."""
        try:
            return fn()
        except (OperationalError, DBAPIError) as exc:
            if isinstance(exc, ProgrammingError) and "does not exist" in str(exc):
                raise NoData("the database has no Pulse schema yet (run `pulse db upgrade`)") \
                    from exc
            raise DatabaseUnavailable(_reason(exc)) from exc

    def run(self, fn: Callable[[Connection], T]) -> T:
        def on_connection() -> T:
            with self.engine.connect() as conn:
                return fn(conn)

        return self._guard(on_connection)

    def version(self) -> str:
        """The loaded data's version ('' when nothing is loaded); one tiny query."""
        def q(conn: Connection) -> str:
            row = conn.execute(text("SELECT data_version FROM pulse_meta WHERE id = 1")).first()
            return str(row[0]) if row else ""
        return self.run(q)

    def cached(self, version: str, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
        key = self.cache.key(version, name, *args)
        return self.cache.get_or_compute(key, compute)

    def domain(self, version: str | None = None) -> Domain:
        version = self.version() if version is None else version
        with self._lock:
            found = self._domains.get(version)
        if found is None:
            found = self.run(report.load_domain)
            with self._lock:
                self._domains = {version: found}
        return found

    # --- public API ------------------------------------------------------------

    def parse(self, params: Mapping[str, Iterable[str]], extra: Iterable[str] = (),
              version: str | None = None) -> Filters:
        """Validated, resolved filters (dates made concrete) from query parameters."""
        version = self.version() if version is None else version
        if not version:
            raise NoData("no data is loaded yet: run `pulse load PATH` or `pulse demo --load`")
        domain = self.domain(version)
        return parse_filters(params, domain, allowed_extra=extra).resolve(domain)

    def meta(self) -> dict:
        version = self.version()
        return self.cached(version, "meta", (), lambda: self.run(report.meta))

    def kpis(self, filters: Filters, version: str | None = None) -> dict:
        version = self.version() if version is None else version
        return self.cached(version, "kpis", (filters.cache_key(),),
                            lambda: self.run(lambda c: report.kpi_report(c, filters)))

    def timeseries(self, filters: Filters, grain: str, version: str | None = None) -> dict:
        version = self.version() if version is None else version
        return self.cached(version, "timeseries", (grain, filters.cache_key()),
                            lambda: self.run(lambda c: report.timeseries(c, filters, grain)))

    def breakdown(self, filters: Filters, dim: str, version: str | None = None) -> dict:
        version = self.version() if version is None else version
        return self.cached(version, "breakdown", (dim, filters.cache_key()),
                            lambda: self.run(lambda c: report.breakdown(c, filters, dim)))

    def dashboard(self, filters: Filters, version: str | None = None) -> dict:
        version = self.version() if version is None else version
        return self.cached(version, "dashboard", (filters.cache_key(),),
                            lambda: self._guard(lambda: report.dashboard_parallel(self.engine,
                                                                                  filters)))

    def health(self) -> dict:
        out: dict[str, Any] = {"cache": self.cache.status()}
        try:
            out["data_version"] = self.version() or None
            out["database"] = "ok"
        except (DatabaseUnavailable, NoData) as exc:
            out["database"] = f"unavailable: {exc}"
        out["status"] = "ok" if out["database"] == "ok" else "unavailable"
        return out

    # --- the order list behind a number (docs/METRICS.md) ------------------------------

    def order_page(self, query: orders.OrderQuery, limit: int, cursor: str | None = None,
                   version: str | None = None) -> dict:
        """A page of the list and the whole list's totals. Each is cached on its own: a
        page per cursor (a cursor belongs to one list), the totals once per list, as every
        page of it repeats them."""
        version = self.version() if version is None else version
        page = self.cached(version, "order_page", (query.cache_key(), limit, cursor or ""),
                           lambda: self.run(lambda c: orders.order_page(c, query, limit,
                                                                        cursor)))
        total = self.cached(version, "order_totals", (query.status, query.filters.cache_key()),
                            lambda: self.run(lambda c: orders.order_totals(c, query)))
        return {**page, "total": total}

    def order_stream(self, query: orders.OrderQuery) -> orders.OrderStream:
        """Every row of the list, streamed from a server-side cursor (never cached: it can
        be the whole table). Opened here, so a dead database is DatabaseUnavailable now
        rather than a cut-off download; the caller must close() it."""
        return self._guard(lambda: orders.OrderStream(self.engine, query))

    def order_detail(self, order_id: str, version: str | None = None) -> dict | None:
        """One order whole, or None when the loaded data has no such order."""
        version = self.version() if version is None else version
        if not version:
            raise NoData("no data is loaded yet: run `pulse load PATH` or `pulse demo --load`")
        return self.cached(version, "order_detail", (order_id,),
                           lambda: self.run(lambda c: orders.order_detail(c, order_id)))
