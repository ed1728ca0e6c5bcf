"""One consistent view of the data per answer, shared by every connection computing it.

Why: a load commits new raw tables, new rollups and a new `pulse_meta.data_version`
at once, but a reader that runs its queries as separate transactions (or on several
connections) can read some of them before that commit and some after, and build one
answer from two datasets. A `Snapshot` is one REPEATABLE READ, READ ONLY transaction:
every statement in it sees the database as of its first query. Other connections
join the same view with `SET TRANSACTION SNAPSHOT` (the leader exports its snapshot
with `pg_export_snapshot()`, lazily, only when helpers are used), so a page view's
independent pieces may still run side by side.

What a snapshot does not cover by itself is a table *replaced* under it: a load
publishes its new raw and derived tables by DROP + move (`loaders/swap.py`), and a
transaction that first touches `orders` after that commit finds the new relation, whose
rows its old snapshot cannot see (an empty table, not the old one). So every new view
first locks the gate (`loaders.swap.GATE`, ACCESS SHARE) and only then takes its
snapshot (`LOCK TABLE` takes none): a load locks the gate exclusively before it drops
anything, so the swap waits for the reader, or the reader for the load's commit, and
then it sees the new tables whole. The load takes the gate only for the swap at its
very end, after its rebuild, so readers are never held back for the rebuild.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from loaders.swap import GATE

log = logging.getLogger(__name__)
T = TypeVar("T")

_BEGIN = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
#: The longest a helper waits for a lock before handing its part back to the leader.
HELPER_LOCK_TIMEOUT = "1s"
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
#: Helper threads for every snapshot in the process: bounded (when all are busy the
#: leaders compute alone), and a helper that starts after its answer is done returns at
#: once: a leader waits only for parts a helper has taken, never for a helper to start.
_HELPERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pulse-snapshot")


class SnapshotGone(RuntimeError):
    """The snapshot to join has ended (its transaction is over)."""


class Snapshot:
    """A REPEATABLE READ transaction on a leader connection, joinable by others."""

    def __init__(self, engine: Engine, conn: Connection, locked: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.conn = conn
        self.locked = locked
        self._exported: str | None = None

    def export(self) -> str:
        """The snapshot's id for `SET TRANSACTION SNAPSHOT` (valid while this is open)."""
        if self._exported is None:
            self._exported = str(self.conn.exec_driver_sql(
                "SELECT pg_export_snapshot()").scalar_one())
        return self._exported

    def run_parts(self, parts: dict[str, Callable[[Connection], T]],
                  workers: int = 3) -> dict[str, T]:
        """Every part computed in this snapshot, on up to `workers` connections at once.

        The leader works through the parts itself while helpers join when they get a
        connection: a pool that is exhausted (a busy server, where running side by
        side would not help anyway) makes the answer sequential, never a deadlock.
        Nor may a helper wait for a lock while the leader waits for it: a statement
        queued for an exclusive lock on a table the leader holds (a swap, a
        migration) queues newcomers behind itself, and PostgreSQL cannot see that
        the leader waits for them. So helpers take the leader's explicit locks with
        NOWAIT and wait at most HELPER_LOCK_TIMEOUT for any other; a part whose
        helper gave up goes back to the leader, which holds its locks already."""
        if workers <= 1 or len(parts) <= 1:
            return {name: part(self.conn) for name, part in parts.items()}
        shared = _Parts(parts)
        snapshot_id = self.export()
        for _ in range(min(workers - 1, len(parts) - 1)):
            _HELPERS.submit(_helper, self.engine, snapshot_id, self.locked, shared)
        return shared.lead(self.conn)


def _lock_wait(exc: BaseException) -> bool:
    """A lock not granted at once (NOWAIT) or within the lock timeout: SQLSTATE 55P03."""
    return getattr(getattr(exc, "orig", None), "pgcode", None) == "55P03"


class _Parts:
    """The parts of one answer, taken one by one by the leader and its helpers."""

    def __init__(self, parts: dict[str, Callable[[Connection], Any]]) -> None:
        self.todo = deque(parts.items())
        self.order = list(parts)
        self.done: dict[str, Any] = {}
        self.errors: list[BaseException] = []
        self.running = 0
        self.over = False
        self.cond = threading.Condition()

    def take(self) -> tuple[str, Callable[[Connection], Any]] | None:
        with self.cond:
            if self.over or self.errors or not self.todo:
                return None
            self.running += 1
            return self.todo.popleft()

    def finish(self, item: tuple[str, Callable[[Connection], Any]], value: Any,
               error: BaseException | None, hand_back: bool = False) -> None:
        with self.cond:
            self.running -= 1
            if hand_back:
                self.todo.appendleft(item)
            elif error is not None:
                self.errors.append(error)
            else:
                self.done[item[0]] = value
            self.cond.notify_all()

    def work(self, conn: Connection, helper: bool = False) -> None:
        while (item := self.take()) is not None:
            try:
                value = item[1](conn)
            except BaseException as exc:  # noqa: BLE001 - handed to the leader, raised there
                given_up = helper and _lock_wait(exc)
                self.finish(item, None, exc, hand_back=given_up)
                if given_up:
                    return
            else:
                self.finish(item, value, None)

    def lead(self, conn: Connection) -> dict[str, Any]:
        """The leader's side: work, then wait for the helpers' parts in flight, taking
        back any part a helper gave up."""
        while True:
            self.work(conn)
            with self.cond:
                while self.running and (self.errors or not self.todo):
                    self.cond.wait()
                if not self.running and (self.errors or not self.todo):
                    self.over = True
                    break
        if self.errors:
            raise self.errors[0]
        return {name: self.done[name] for name in self.order}


def _helper(engine: Engine, snapshot_id: str, locked: tuple[str, ...],
            shared: _Parts) -> None:
    """Join the leader's snapshot on another connection and take parts until none is left."""
    if shared.over or not shared.todo:
        return
    try:
        with engine.connect() as conn:
            if shared.over or not shared.todo:
                return
            _join(conn, snapshot_id)
            sql = f"SET LOCAL lock_timeout = '{HELPER_LOCK_TIMEOUT}'"
            if locked:  # fails at once when a swap waits for the leader (see run_parts)
                sql += f"; LOCK TABLE {', '.join(locked)} IN ACCESS SHARE MODE NOWAIT"
            conn.exec_driver_sql(sql)
            shared.work(conn, helper=True)
    except Exception as exc:  # noqa: BLE001 - the leader does the work without this helper
        log.debug("snapshot helper not used: %s", exc)


def _join(conn: Connection, snapshot_id: str) -> None:
    """Start `conn`'s transaction in an exported snapshot; SnapshotGone once its exporter's
    transaction is over."""
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):
        raise ValueError(f"not a snapshot id: {snapshot_id!r}")
    try:
        conn.exec_driver_sql(f"{_BEGIN}; SET TRANSACTION SNAPSHOT '{snapshot_id}'")
    except DBAPIError as exc:
        if getattr(exc.orig, "pgcode", None) == "22023":  # invalid snapshot identifier
            conn.rollback()
            raise SnapshotGone(str(exc.orig).strip()) from None
        raise


@contextmanager
def snapshot(engine: Engine, lock: Iterable[str] | None = None, join: str | None = None
             ) -> Iterator[Snapshot]:
    """A REPEATABLE READ, READ ONLY transaction; `lock` names tables to hold (ACCESS
    SHARE) from before the snapshot is taken, by default the load's gate (see the module
    docstring); `join` is an exported snapshot to share instead of taking a new one (whose
    exporter holds any locks). The view starts with the caller's first query; the
    transaction ends (rolled back: it wrote nothing) when the block does, as the
    connection goes back to the pool."""
    tables = list(lock) if lock is not None else [] if join is not None else [GATE]
    if join is not None and tables:
        raise ValueError("a joined snapshot cannot lock: its tables may be swapped already")
    with engine.connect() as conn:
        if join is not None:
            _join(conn, join)
        else:
            sql = _BEGIN
            if tables:
                sql += f"; LOCK TABLE {', '.join(tables)} IN ACCESS SHARE MODE"
            conn.exec_driver_sql(sql)
        yield Snapshot(engine, conn, tuple(tables))
