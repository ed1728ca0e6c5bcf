"""The application service: cached, validated access to the query layer.

The REST API and the Dash callbacks both go through here, so a chart and its
API twin are the same computation (and share cache entries).

What a reader sees during a load, and why it is consistent:

* Every answer is computed inside one `Reader`: a REPEATABLE READ, READ ONLY
  transaction (`queries/snapshot.py`) whose first query reads
  `pulse_meta.data_version`. That version is the first part of every cache key the
  answer is stored or looked up under, and every other query of the answer
  (validating the filters against what the data holds, the numbers themselves)
  runs in the same transaction, so it sees exactly the data of that version. A
  load commits raw tables, rollups and the new version at once: a reader sees all
  of the old load or all of the new one, and a cache entry holds what its key says.
* A page view's independent pieces run on a few connections at once; the helpers
  join the leader's snapshot (`pg_export_snapshot` / `SET TRANSACTION SNAPSHOT`), so
  the pieces cannot straddle a load either. When the pool has no connection to
  spare, the leader computes them alone.
* An insight answer is computed off the request thread: its job joins the asker's
  snapshot while the asker waits, or else opens a fresh one and checks that the
  version has not moved; if it has, nothing is computed under the old key
  (`StaleVersion`), and the asker tries again in its own view.
* A load publishes its new tables (raw and derived) by DROP + move, which an old
  snapshot would see as empty tables, so every new view locks the gate
  (`pulse_meta`) before its snapshot starts and the load swaps only behind it
  (`queries/snapshot.py`, `loaders/swap.py`). The fast path reads only the rollups,
  the dimension sets and `pulse_meta` (tests/test_consistency.py checks which
  relations a reader touches). docs/DEPLOY.md says the same for operators.
* A cache hit costs one short transaction: the version read, then the lookup.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from .cache import ResultCache
from .filters import Domain, Filters, parse_filters
from .queries import customerlist, customers, orders, report
from .queries import sellers as seller_queries
from .queries.snapshot import Snapshot, SnapshotGone, snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The database did not answer; the message is safe to show (no credentials)."""


class NoData(RuntimeError):
    """The database is reachable but nothing has been loaded yet."""


NOTHING_LOADED = "no data is loaded yet: run `pulse load PATH` or `pulse demo --load`"


class StaleVersion(RuntimeError):
    """A computation asked about a data version that a load has replaced since."""


def _reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).strip().splitlines()
    reason = text_[0] if text_ else exc.__class__.__name__
    if "statement timeout" in reason or "canceling statement" in reason:
        return "the database is answering too slowly (statement timeout)"
    return reason


def _guard(fn: Callable[[], T]) -> T:
    """Run database work, turning driver errors into DatabaseUnavailable / NoData."""
    try:
        return fn()
    except (OperationalError, DBAPIError) as exc:
        if isinstance(exc, ProgrammingError) and "does not exist" in str(exc):
            raise NoData("the database has no Pulse schema yet (run `pulse db upgrade`)") \
                from exc
        raise DatabaseUnavailable(_reason(exc)) from exc


def _read_version(conn: Connection) -> str:
    row = conn.execute(text("SELECT data_version FROM pulse_meta WHERE id = 1")).first()
    return str(row[0]) if row else ""


@dataclass(frozen=True)
class Ticket:
    """What another thread needs to compute in a reader's view: its version and, while
    the reader is open, its exported snapshot."""

    version: str
    snapshot_id: str


class Reader:
    """One answer's view of the data: a snapshot, and the data version read in it.

    Everything an answer reads and the version in its cache key come from here (see the
    module docstring). One thread at a time: it holds one connection."""

    def __init__(self, snap: Snapshot, version: str) -> None:
        self.snapshot = snap
        self.version = version

    def run(self, fn: Callable[[Connection], T]) -> T:
        """`fn` on the reader's connection, driver errors turned into the service's."""
        return _guard(lambda: fn(self.snapshot.conn))

    def ticket(self) -> Ticket:
        """What a job on another thread needs to compute in this view (`reader_at`); it
        can join the snapshot only while this reader is open."""
        return Ticket(self.version, _guard(self.snapshot.export))


class PulseService:
    def __init__(self, engine: Engine, cache: ResultCache, workers: int = 3) -> None:
        self.engine = engine
        self.cache = cache
        #: connections a page view's pieces may use at once (measured: see DEPLOY.md)
        self.workers = workers
        self._domains: dict[str, Domain] = {}
        self._lock = threading.Lock()

    # --- views of the data ---------------------------------------------------------

    @contextmanager
    def reader(self, join: Ticket | None = None) -> Iterator[Reader]:
        """A consistent view for one answer (or for one request's answers); `join` is
        another reader's ticket, whose snapshot to share. Raises SnapshotGone when that
        reader has finished. A new view holds the load's gate (queries/snapshot.py);
        a joined one takes its version from the ticket rather than from `pulse_meta`, the
        gate, which a publication (or its replay on a standby) may be waiting to lock."""
        with ExitStack() as stack:
            snapshot_id = join.snapshot_id if join else None
            snap = _guard(lambda: stack.enter_context(snapshot(self.engine,
                                                               join=snapshot_id)))
            version = join.version if join else _guard(lambda: _read_version(snap.conn))
            yield Reader(snap, version)

    @contextmanager
    def reader_at(self, ticket: Ticket) -> Iterator[Reader]:
        """A view of `ticket.version`'s data for work started elsewhere: the asker's own
        snapshot while it is open, else a fresh one if no load has come since; else
        StaleVersion (computing it now would store new data under the old key)."""
        with ExitStack() as stack:
            try:
                found = stack.enter_context(self.reader(join=ticket))
            except SnapshotGone:
                found = stack.enter_context(self.reader())
                if found.version != ticket.version:
                    raise StaleVersion(f"data version {ticket.version} was replaced by "
                                       f"{found.version or 'nothing'}") from None
            yield found

    @contextmanager
    def reading(self, reader: Reader | None) -> Iterator[Reader]:
        """The caller's reader, or a new one for this answer alone."""
        if reader is not None:
            yield reader
        else:
            with self.reader() as own:
                yield own

    def version(self) -> str:
        """The loaded data's version now ('' when nothing is loaded); one tiny query, for
        the page's poll and the health check: answers read theirs in their `Reader`."""
        def q() -> str:
            with self.engine.connect() as conn:
                return _read_version(conn)
        return _guard(q)

    def cached(self, version: str, name: str, args: tuple, compute: Callable[[], Any]) -> Any:
        key = self.cache.key(version, name, *args)
        return self.cache.get_or_compute(key, compute)

    def domain(self, reader: Reader | None = None) -> Domain:
        """What the data of the reader's version holds (kept in memory per version)."""
        with self.reading(reader) as r:
            with self._lock:
                found = self._domains.get(r.version)
            if found is None:
                found = r.run(report.load_domain)
                with self._lock:
                    self._domains = {r.version: found}
            return found

    # --- public API ------------------------------------------------------------

    def parse(self, params: Mapping[str, Iterable[str]], extra: Iterable[str] = (),
              reader: Reader | None = None) -> Filters:
        """Validated, resolved filters (dates made concrete) from query parameters."""
        with self.reading(reader) as r:
            if not r.version:
                raise NoData(NOTHING_LOADED)
            domain = self.domain(r)
            return parse_filters(params, domain, allowed_extra=extra).resolve(domain)

    def meta(self, reader: Reader | None = None) -> dict:
        with self.reading(reader) as r:
            return self.cached(r.version, "meta", (), lambda: r.run(report.meta))

    def kpis(self, filters: Filters, reader: Reader | None = None) -> dict:
        with self.reading(reader) as r:
            return self.cached(r.version, "kpis", (filters.cache_key(),),
                               lambda: r.run(lambda c: report.kpi_report(c, filters)))

    def timeseries(self, filters: Filters, grain: str, reader: Reader | None = None) -> dict:
        with self.reading(reader) as r:
            return self.cached(r.version, "timeseries", (grain, filters.cache_key()),
                               lambda: r.run(lambda c: report.timeseries(c, filters, grain)))

    def breakdown(self, filters: Filters, dim: str, reader: Reader | None = None) -> dict:
        with self.reading(reader) as r:
            return self.cached(r.version, "breakdown", (dim, filters.cache_key()),
                               lambda: r.run(lambda c: report.breakdown(c, filters, dim)))

    def dashboard(self, filters: Filters, reader: Reader | None = None) -> dict:
        """Everything one page view shows, its pieces side by side in the reader's view."""
        with self.reading(reader) as r:
            return self.cached(r.version, "dashboard", (filters.cache_key(),),
                               lambda: _guard(lambda: report.dashboard_parallel(
                                   r.snapshot, filters, workers=self.workers)))

    def health(self) -> dict:
        out: dict[str, Any] = {"cache": self.cache.status()}
        try:
            out["data_version"] = self.version() or None
            out["database"] = "ok"
        except (DatabaseUnavailable, NoData) as exc:
            out["database"] = f"unavailable: {exc}"
        out["status"] = "ok" if out["database"] == "ok" else "unavailable"
        return out

    # --- the seller breakdown (docs/METRICS.md, "Sellers") ----------------------------

    def sellers(self, filters: Filters, limit: int = seller_queries.DEFAULT_LIMIT,
                offset: int = 0, reader: Reader | None = None) -> dict:
        """One page of the seller breakdown, with the number of rows of the whole of it,
        from the seller rollups (the fast path reads no raw table, so any reader will do)."""
        with ExitStack() as stack:
            r = reader or stack.enter_context(self.reader())
            found = self.cached(r.version, "sellers", (limit, offset, filters.cache_key()),
                                lambda: r.run(lambda c: seller_queries.seller_rows(
                                    c, filters, limit, offset)))
            return {"filters": filters.to_json(), "limit": limit, "offset": offset,
                    **found}

    def seller_options(self, reader: Reader | None = None) -> list[tuple[str, str | None]]:
        """Every seller and its state, for the page's picker (cached per data version)."""
        with ExitStack() as stack:
            r = reader or stack.enter_context(self.reader())
            if not r.version:
                raise NoData(NOTHING_LOADED)
            return [tuple(x) for x in self.cached(  # a JSON cache returns lists
                r.version, "seller_options", (),
                lambda: r.run(seller_queries.seller_options))]

    # --- the order list behind a number (docs/METRICS.md) ------------------------------

    def order_page(self, query: orders.OrderQuery, limit: int, cursor: str | None,
                   reader: Reader) -> dict:
        """A page of the list and the whole list's totals, both in the caller's view (a
        `raw` reader: the list reads the raw tables), so they cannot straddle a load.
        Each is cached on its own: a page per cursor (a cursor belongs to one list), the
        totals once per list, as every page of it repeats them. The totals come first: a
        sales list's row count tells the page whether to read the list whole."""
        total = self.cached(reader.version, "order_totals",
                            (query.status, query.filters.cache_key()),
                            lambda: reader.run(lambda c: orders.list_totals(c, query)))
        listed = total["orders"] if query.status == "sales" else None
        page = self.cached(reader.version, "order_page",
                           (query.cache_key(), limit, cursor or ""),
                           lambda: reader.run(lambda c: orders.order_page(
                               c, query, limit, cursor, listed=listed)))
        return {**page, "total": total}

    def order_csv(self, query: orders.OrderQuery, delimiter: str = ",", mark: str = "."
                  ) -> orders.OrderCopy:
        """Every row of the list as CSV that PostgreSQL writes (never cached: it can be
        the whole table). Opened here, so a dead database is DatabaseUnavailable now
        rather than a cut-off download; the caller must close() it."""
        return _guard(lambda: orders.OrderCopy(self.engine, query, delimiter, mark))

    def order_detail(self, order_id: str) -> dict | None:
        """One order whole, or None when the loaded data has no such order."""
        with self.reader() as r:
            if not r.version:
                raise NoData(NOTHING_LOADED)
            return self.cached(r.version, "order_detail", (order_id,),
                               lambda: r.run(lambda c: orders.order_detail(c, order_id)))


    # --- customers, retention and lateness (docs/METRICS.md) ---------------------------

    def cohorts(self, filters: Filters, reader: Reader | None = None) -> list[dict]:
        """Cohorts of the months of the range with their retention per month offset,
        from the derived tables (no raw-table lock: they change by MVCC like rollups)."""
        with self.reading(reader) as r:
            return self.cached(r.version, "cohorts", (filters.cache_key(),),
                               lambda: r.run(lambda c: customers.cohorts(c, filters)))

    def segments(self, filters: Filters, reader: Reader | None = None) -> list[dict]:
        with self.reading(reader) as r:
            return self.cached(r.version, "segments", (filters.cache_key(),),
                               lambda: r.run(lambda c: customers.segments(c, filters)))

    def lateness(self, filters: Filters, reader: Reader | None = None) -> list[dict]:
        with self.reading(reader) as r:
            return self.cached(r.version, "lateness", (filters.cache_key(),),
                               lambda: r.run(lambda c: customers.lateness(c, filters)))

    def customer_page(self, query: customerlist.CustomerQuery, limit: int,
                      cursor: str | None, reader: Reader) -> dict:
        """A page of a segment's customers and the whole list's total, in one view; the
        page cached per cursor, the total once per list (every page repeats it)."""
        page = self.cached(reader.version, "customer_page",
                           (query.cache_key(), limit, cursor or ""),
                           lambda: reader.run(lambda c: customerlist.customer_page(
                               c, query, limit, cursor)))
        total = self.cached(reader.version, "customer_total", (query.cache_key(),),
                            lambda: reader.run(lambda c: customerlist.customer_total(
                                c, query)))
        return {**page, "total": total}

    def customer_csv(self, query: customerlist.CustomerQuery, delimiter: str = ",",
                     mark: str = ".") -> customerlist.CustomerCopy:
        """Every customer of the list as CSV (never cached); the caller closes it."""
        return _guard(lambda: customerlist.CustomerCopy(self.engine, query, delimiter, mark))
