"""Replace live tables by freshly loaded ones in one instant, inside the load's transaction.

Why not DELETE + INSERT: inserting millions of rows into tables with foreign
keys fires one trigger per row and maintains every index row by row, which
made a 1M-order load spend minutes publishing. Instead the loader COPYs into
`<table>__new` tables that nobody else can see yet; this module gives them the
live tables' keys, foreign keys and indexes (bulk index builds, one
validation scan per foreign key), then drops the old tables and renames the
new ones. Readers keep reading the old tables until the commit; the exclusive
locks are taken only for the drop-and-rename at the very end.

Definitions are read from the catalog of the live tables, so whatever the
migrations created (names included) is what the new tables get, grants and
serial sequences included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def read_shape(cur, table: str) -> TableShape:
    shape = TableShape(table)
    cur.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') "
        "ORDER BY contype DESC, conname",  # p and u before f
        (table,),
    )
    shape.constraints = [(n, t, d) for n, t, d in cur.fetchall()]
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "AND c.conrelid = %s::regclass) ORDER BY 1",
        (table, table),
    )
    shape.indexes = [(n, d) for n, d in cur.fetchall()]
    cur.execute(
        "SELECT grantee, string_agg(privilege_type, ', ' ORDER BY privilege_type) "
        "FROM information_schema.role_table_grants "
        "WHERE table_schema = current_schema() AND table_name = %s AND grantee <> current_user "
        "GROUP BY grantee ORDER BY grantee",
        (table,),
    )
    shape.grants = [(g, p) for g, p in cur.fetchall()]
    cur.execute(
        "SELECT pg_get_serial_sequence(%s, a.attname), a.attname FROM pg_attribute a "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "AND pg_get_serial_sequence(%s, a.attname) IS NOT NULL",
        (table, table, table),
    )
    shape.sequences = [(s, c) for s, c in cur.fetchall()]
    return shape


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def equip(cur, shape: TableShape, swapped: set[str], kinds: str) -> None:
    """Give the new table the live table's constraints of `kinds` ('pu' or 'f') / indexes ('i')."""
    new = new_name(shape.table)
    if "i" in kinds:
        for name, definition in shape.indexes:
            m = _INDEX_DEF.match(definition)
            if not m:
                raise RuntimeError(f"unexpected index definition: {definition}")
            unique, _, _, rest = m.groups()
            cur.execute(f"CREATE {unique or ''}INDEX {_quote(name + SUFFIX)} ON {new} USING {rest}")
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


def swap(cur, tables: list[str]) -> None:
    """Replace each live table by its `__new` twin (tables listed parents first)."""
    shapes = [read_shape(cur, t) for t in tables]
    swapped = set(tables)
    for shape in shapes:
        equip(cur, shape, swapped, "pu")
    for shape in shapes:
        equip(cur, shape, swapped, "f")
    for shape in shapes:
        equip(cur, shape, swapped, "i")
    # From here on the live tables are locked until commit: keep it short.
    cur.execute("DROP TABLE " + ", ".join(reversed(tables)))
    for shape in shapes:
        t = shape.table
        cur.execute(f"ALTER TABLE {new_name(t)} RENAME TO {t}")
        for name, _, _ in shape.constraints:
            cur.execute(f"ALTER TABLE {t} RENAME CONSTRAINT {_quote(name + SUFFIX)} "
                        f"TO {_quote(name)}")
        for name, _ in shape.indexes:
            cur.execute(f"ALTER INDEX {_quote(name + SUFFIX)} RENAME TO {_quote(name)}")
        for grantee, privileges in shape.grants:
            who = "PUBLIC" if grantee == "PUBLIC" else _quote(grantee)
            cur.execute(f"GRANT {privileges} ON {t} TO {who}")
