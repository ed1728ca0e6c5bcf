"""Replace live tables by freshly loaded ones in one instant, inside the load's transaction.

Why not DELETE + INSERT: inserting millions of rows into tables with foreign
keys fires one trigger per row and maintains every index row by row, which
made a 1M-order load spend minutes publishing. Instead the loader COPYs into
`<table>__new` tables that nobody else can see yet; this module gives them the
live tables' keys, foreign keys and indexes (bulk index builds, one
validation scan per foreign key) and, with the derived tables rebuilt beside
them (`Publication`), drops the old tables and moves the new ones in. Readers
keep reading the old tables until the commit; the exclusive locks are taken
only for the drop-and-move at the very end, behind the gate every reader holds.

Definitions are read from the catalog of the live tables, so whatever the
migrations created (names included) is what the new tables get, grants and
serial sequences included.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from dataclasses import dataclass, field

import psycopg2.errors

log = logging.getLogger(__name__)

SUFFIX = "__new"
_INDEX_DEF = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) USING (.+)$")
_REFERENCES = re.compile(r"REFERENCES (\S+?)\(")


def new_name(table: str) -> str:
    return table + SUFFIX


@dataclass
class TableShape:
    """What a live table has beyond its columns and CHECKs (which LIKE copies)."""

    table: str
    constraints: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, def
    indexes: list[tuple[str, str]] = field(default_factory=list)  # name, definition
    grants: list[tuple[str, str]] = field(default_factory=list)  # grantee, privileges
    sequences: list[tuple[str, str]] = field(default_factory=list)  # sequence, column


def create_like(cur, table: str) -> None:
    """An empty copy of the live table: columns, defaults, NOT NULLs and CHECKs."""
    cur.execute(f"DROP TABLE IF EXISTS {new_name(table)}")
    cur.execute(
        f"CREATE TABLE {new_name(table)} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )


def read_shape(cur, table: str, schema: str | None = None) -> TableShape:
    """`table`'s keys, indexes, grants and serial sequences, in `schema` (default: the
    current one)."""
    shape = TableShape(table)
    cur.execute("SELECT coalesce(%s, current_schema())", (schema,))
    schema = cur.fetchone()[0]
    qualified = f"{_quote(schema)}.{table}"
    cur.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype DESC, conname",  # p and u before f
        (qualified,),
    )
    shape.constraints = [(n, t, d) for n, t, d in cur.fetchall()]
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = %s AND i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "AND c.conrelid = %s::regclass) ORDER BY 1",
        (schema, table, qualified),
    )
    shape.indexes = [(n, d) for n, d in cur.fetchall()]
    cur.execute(
        "SELECT grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type) "
        "FROM information_schema.role_table_grants "
        "WHERE table_schema = %s AND table_name = %s AND grantee <> current_user "
        "GROUP BY grantee ORDER BY grantee",
        (schema, table),
    )
    shape.grants = [(g, p) for g, p in cur.fetchall()]
    cur.execute(
        "SELECT pg_get_serial_sequence(%s, a.attname), a.attname FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(%s, a.attname) IS NOT NULL",
        (qualified, qualified, qualified),
    )
    shape.sequences = [(s, c) for s, c in cur.fetchall()]
    return shape


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _index_sql(definition: str, name: str, table: str) -> str:
    """A live index's definition (`pg_indexes.indexdef`) again, as `name` on `table`."""
    m = _INDEX_DEF.match(definition)
    if not m:
        raise RuntimeError(f"unexpected index definition: {definition}")
    unique, _, _, rest = m.groups()
    return f"CREATE {unique or ''}INDEX {name} ON {table} USING {rest}"


def equip(cur, shape: TableShape, swapped: set[str], kinds: str) -> None:
    """Give the new table the live table's constraints of `kinds` ('pu' or 'f') / indexes ('i')."""
    new = new_name(shape.table)
    if "i" in kinds:
        for name, definition in shape.indexes:
            cur.execute(_index_sql(definition, _quote(name + SUFFIX), new))
        for sequence, column in shape.sequences:
            cur.execute(f"ALTER SEQUENCE {sequence} OWNED BY {new}.{column}")
        return
    for name, ctype, definition in shape.constraints:
        if ctype not in kinds:
            continue
        if ctype == "f":
            def point_to_new(m: re.Match) -> str:
                parent = m.group(1)
                bare = parent.split(".")[-1]
                return f"REFERENCES {new_name(bare) if bare in swapped else parent}("

            definition = _REFERENCES.sub(point_to_new, definition)
        cur.execute(f"ALTER TABLE {new} ADD CONSTRAINT {_quote(name + SUFFIX)} {definition}")


#: Where a load's new tables wait, under their own names, until they are published.
BUILD_SCHEMA = "pulse_build"
#: The table every reader locks (ACCESS SHARE) before its snapshot and a publication locks
#: (ACCESS EXCLUSIVE) before it drops anything: see `Publication.publish`.
GATE = "pulse_meta"
#: How long readers may queue behind one attempt to publish, at least (milliseconds; see
#: `Publication._close_gate`).
GATE_WAIT_MS = 1000
#: Seconds of such attempts before a publication gives up (and rolls back) instead of
#: waiting on a reader that does not end (a session left idle in a transaction).
GATE_PATIENCE = 600


class PublishError(RuntimeError):
    """The database refused what publishing needs (a schema of its own)."""


class Publication:
    """A load's or a refresh's new tables, made aside and published in one instant.

    Why aside: refilling a derived table in place (DELETE, then INSERT) keeps every index
    up to date row by row, which was most of a rebuild at a million orders. Here every
    new table lives in `BUILD_SCHEMA` under its live name while it is filled, unindexed,
    and `search_path` puts that schema first: the rebuild's SQL, written with plain
    names, reads the new raw tables and writes the new derived ones. `publish` then
    builds their indexes in bulk and, behind the gate, drops the live tables and moves
    the new ones into their schema, all in the caller's transaction: an error or a kill
    rolls everything back, the schema too.

    Why a gate: a table replaced under a REPEATABLE READ reader that had not touched it
    yet would look empty to it (its snapshot predates the new rows). Every reader locks
    `GATE` before taking its snapshot and keeps it to the end; `publish` locks it
    exclusively before dropping anything, so a reader either finishes on the old tables
    before the swap or starts after the commit on the new ones. Until `publish` the
    load holds no lock a reader waits for, so the two cannot deadlock, and readers are
    held back only for the swap itself, not for the rebuild.
    """

    def __init__(self, cur) -> None:
        self.cur = cur
        self.adopted: list[TableShape] = []  # raw tables: names carry SUFFIX until published
        self.derived: list[TableShape] = []
        cur.execute("SELECT current_schema(), current_setting('search_path'), "
                    "current_database(), current_user")
        self.live, self.search_path, database, user = cur.fetchone()
        cur.execute("SAVEPOINT pulse_publication")
        try:
            cur.execute(f"CREATE SCHEMA {BUILD_SCHEMA}")
        except psycopg2.errors.InsufficientPrivilege:
            cur.execute("ROLLBACK TO SAVEPOINT pulse_publication")
            raise PublishError(
                f"{user} may not create a schema in database {database}, which loading "
                f"needs for its new tables: GRANT CREATE ON DATABASE {_quote(database)} "
                f"TO {_quote(user)}") from None
        cur.execute("RELEASE SAVEPOINT pulse_publication")
        cur.execute(f"SET LOCAL search_path = {BUILD_SCHEMA}, {self.search_path}")

    def adopt(self, tables: list[str]) -> None:
        """Take each live table's loaded `__new` twin (parents first): the live keys,
        foreign keys (between the twins) and indexes, then into the build schema."""
        shapes = [read_shape(self.cur, t, self.live) for t in tables]
        swapped = set(tables)
        for kinds in ("pu", "f", "i"):
            for shape in shapes:
                equip(self.cur, shape, swapped, kinds)
        for shape in shapes:
            self.cur.execute(f"ALTER TABLE {new_name(shape.table)} SET SCHEMA {BUILD_SCHEMA}")
            self.cur.execute(f"ALTER TABLE {BUILD_SCHEMA}.{new_name(shape.table)} "
                             f"RENAME TO {shape.table}")
        self.adopted += shapes

    def rebuild_aside(self, tables: list[str]) -> None:
        """Empty, unindexed copies of the live `tables` in the build schema, for the caller
        to fill; they get their keys and indexes when published."""
        for t in tables:
            shape = read_shape(self.cur, t, self.live)
            if any(kind == "f" for _, kind, _ in shape.constraints) or shape.sequences:
                raise RuntimeError(f"{t}: a rebuilt table with a foreign key or a serial "
                                   "column needs Publication.adopt")
            self.cur.execute(f"CREATE TABLE {BUILD_SCHEMA}.{t} (LIKE {_quote(self.live)}.{t} "
                             "INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            self.derived.append(shape)

    def publish(self) -> None:
        """Index the rebuilt tables, then swap every new table in behind the gate."""
        cur = self.cur
        started = time.monotonic()
        for shape in self.derived:
            built = f"{BUILD_SCHEMA}.{shape.table}"
            for name, _, definition in shape.constraints:
                cur.execute(f"ALTER TABLE {built} ADD CONSTRAINT {_quote(name)} {definition}")
            for name, definition in shape.indexes:
                cur.execute(_index_sql(definition, _quote(name), built))
        cur.execute(f"SET LOCAL search_path = {self.search_path}")
        live = _quote(self.live)
        shapes = self.derived + self.adopted[::-1]  # children before parents
        indexed = time.monotonic()
        # From here on readers wait for the commit: keep it short.
        self._close_gate("DROP TABLE " + ", ".join(f"{live}.{s.table}" for s in shapes))
        for shape in shapes:
            t = f"{live}.{shape.table}"
            cur.execute(f"ALTER TABLE {BUILD_SCHEMA}.{shape.table} SET SCHEMA {live}")
            if shape in self.adopted:
                for name, _, _ in shape.constraints:
                    cur.execute(f"ALTER TABLE {t} RENAME CONSTRAINT {_quote(name + SUFFIX)} "
                                f"TO {_quote(name)}")
                for name, _ in shape.indexes:
                    cur.execute(f"ALTER INDEX {live}.{_quote(name + SUFFIX)} "
                                f"RENAME TO {_quote(name)}")
            for grantee, privileges in shape.grants:
                who = "PUBLIC" if grantee == "PUBLIC" else _quote(grantee)
                cur.execute(f"GRANT {privileges} ON {t} TO {who}")
        cur.execute(f"DROP SCHEMA {BUILD_SCHEMA}")
        log.debug("publish: derived indexes %.2fs, gate to swapped %.2fs",
                  indexed - started, time.monotonic() - indexed)

    def _close_gate(self, drop: str) -> None:
        """Lock the gate and drop the live tables, trying again after a second or two.

        Why not simply wait: a lock request queues every later reader behind it, so
        waiting for one long reader (a big export) would stall the whole dashboard.
        Giving up after a second or so lets the queued readers through, then tries
        again."""
        cur = self.cur
        cur.execute("SELECT current_setting('lock_timeout'), setting::int FROM pg_settings "
                    "WHERE name = 'deadlock_timeout'")
        before, deadlock_ms = cur.fetchone()
        # An autovacuum holding a table to drop yields only to a lock that has waited
        # deadlock_timeout: giving up sooner would wait for the whole vacuum.
        wait_ms = max(GATE_WAIT_MS, deadlock_ms + 500)
        started = time.monotonic()
        for attempt in itertools.count(1):
            cur.execute("SAVEPOINT pulse_gate")
            cur.execute(f"SET LOCAL lock_timeout = {wait_ms}")
            try:
                cur.execute(f"LOCK TABLE {GATE} IN ACCESS EXCLUSIVE MODE")
                cur.execute(drop)
            except psycopg2.errors.LockNotAvailable:
                cur.execute("ROLLBACK TO SAVEPOINT pulse_gate")
                waited = time.monotonic() - started
                if waited > GATE_PATIENCE:
                    raise PublishError(
                        f"readers kept the live tables for {waited:.0f} s, so the new data "
                        "could not be published; nothing changed: try again when they "
                        "are done (pg_stat_activity names them)") from None
                if attempt % 10 == 0:
                    log.warning("publishing waits for readers of the live tables "
                                "(%d attempts)", attempt)
                time.sleep(min(0.05 * attempt, 1.0))
                continue
            cur.execute(f"SET LOCAL lock_timeout = '{before}'")
            cur.execute("RELEASE SAVEPOINT pulse_gate")
            return
