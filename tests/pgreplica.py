"""A PostgreSQL primary with a streaming-replication hot standby, both Debian's binaries
(`pgdebian.DebianPostgres`), for the tests of what the web sees through
`PULSE_READ_DATABASE_URL`: a replica that lags, pauses, dies or is promoted.

The standby is a `pg_basebackup -R` of the running primary, on its own port, with the
primary's certificates and superuser password, so one URL differs from the other by
its port alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from pgdebian import DebianPostgres
from sqlalchemy import create_engine, text


def admin_scalar(pg: DebianPostgres, sql: str, database: str = "postgres") -> object:
    """One value, as the superuser over the server's socket (no pool left behind)."""
    eng = create_engine(pg.admin_url(database), isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            result = conn.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        eng.dispose()


def current_lsn(primary: DebianPostgres) -> str:
    """The end of the primary's WAL, made durable first.

    A read on the primary logs records too (hint bits, page pruning) that nothing flushes
    until the next commit: the write position then lay past what the standby could get,
    and a wait for it lasted until the primary's next standby snapshot, logged every 15 s
    (a clean-clone run: 18.8 s). A transaction with an id commits, which flushes the WAL
    up to its commit record, and the insert position is then the end of that record."""
    admin_scalar(primary, "SELECT pg_current_xact_id()")
    return str(admin_scalar(primary, "SELECT pg_current_wal_insert_lsn()"))


def replayed(standby: DebianPostgres, lsn: str) -> bool:
    """Whether the standby has applied the WAL up to `lsn` (received is not enough: a
    reader sees a commit once it is replayed)."""
    return bool(admin_scalar(
        standby, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"))


def wait_replayed(primary: DebianPostgres, standby: DebianPostgres,
                  timeout: float = 30) -> float:
    """Wait until the standby has replayed everything the primary has written so far;
    the seconds it took."""
    target = current_lsn(primary)
    start = time.monotonic()
    while not replayed(standby, target):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"the standby has not replayed {target} in {timeout} s")
        time.sleep(0.005)
    return time.monotonic() - start


def replica_pair() -> Iterator[tuple[DebianPostgres, DebianPostgres]]:
    """For a fixture: (primary, hot standby), both running and streaming; both removed
    afterwards, whatever happened in between."""
    primary = DebianPostgres(replication=True)
    standby: DebianPostgres | None = None
    try:
        primary.start()
        standby = DebianPostgres(standby_of=primary)
        standby.start()
        wait_replayed(primary, standby)
        yield primary, standby
    finally:
        if standby is not None:
            standby.cleanup()
        primary.cleanup()
