"""A load's new tables are made aside and published behind the gate (`loaders/swap.py`).

What must hold: whatever the migrations made is what the published tables are (columns,
keys, indexes, grants, owner), after a replace load, an append and a refresh alike; no
build schema or `__new` table is left behind; a loader that may not create the build
schema is told so, in words an operator can act on, with nothing changed; and a load
waiting at the gate for a long reader does not hold the other readers back.
"""

from __future__ import annotations

import os
import threading
import time

import datasets as ds
import pytest
from sqlalchemy import create_engine, text

from dashapp.queries.snapshot import snapshot
from loaders import ingest, rollups, swap, warehouse
from loaders.customerfacts import tables as customer_tables
from loaders.formats import FILES

_SALES = "SELECT sum(price) FROM order_items"
TABLES = [spec.table for spec in FILES] + rollups.all_tables() + customer_tables()


#: Everything a table carries besides its rows (`:t`: the tables).
_CATALOG = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default "
               "FROM information_schema.columns WHERE table_schema = 'public' "
               "AND table_name = ANY(:t) ORDER BY 1, ordinal_position",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
               "WHERE schemaname = 'public' AND tablename = ANY(:t) ORDER BY 1, 2",
    "constraints": "SELECT conrelid::regclass::text, conname, contype, convalidated, "
                   "pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid::regclass::text = ANY(:t) ORDER BY 1, 2",
    "grants": "SELECT table_name, grantee, privilege_type "
              "FROM information_schema.role_table_grants WHERE table_schema = 'public' "
              "AND table_name = ANY(:t) ORDER BY 1, 2, 3",
    "owners": "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
              "AND tablename = ANY(:t) ORDER BY 1",
}


def _catalog(conn) -> dict[str, list]:
    return {kind: [tuple(r) for r in conn.execute(text(sql), {"t": TABLES})]
            for kind, sql in _CATALOG.items()}


def _leftovers(conn) -> list:
    return conn.execute(text(
        "SELECT nspname FROM pg_namespace WHERE nspname = :s UNION ALL "
        "SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_new'"),
        {"s": swap.BUILD_SCHEMA}).scalars().all()


def test_published_tables_are_what_the_migrations_made(engine, tmp_path):
    role = f"pulse_reader_{os.getpid()}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        migrated = _catalog(conn)
    assert len({t for t, *_ in migrated["owners"]}) == len(TABLES)
    assert any(t == "order_keys" for t, *_ in migrated["indexes"])
    try:
        ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
        with engine.connect() as conn:
            assert _catalog(conn) == migrated
            assert _leftovers(conn) == []
            assert conn.execute(text("SELECT count(*) FROM order_keys")).scalar_one() == 5
        extra = ds.tiny()[ds.F_GEO][:1]
        extra[0]["geolocation_lat"] = "-10.0"
        ingest.load(engine, ds.write({ds.F_GEO: extra}, tmp_path / "b"), append=True)
        warehouse.refresh(engine)
        with engine.connect() as conn:
            assert _catalog(conn) == migrated
            assert _leftovers(conn) == []
            assert conn.execute(text("SELECT count(*) FROM geolocation")).scalar_one() == 3
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_a_loader_that_may_not_create_the_build_schema_is_told_and_nothing_changes(
        engine, db_url, tmp_path):
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    role = f"pulse_owner_{os.getpid()}"
    with engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        before = conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
        sales = conn.execute(text(_SALES)).scalar_one()
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role}"))  # CREATE on the schema, not on the database
        conn.execute(text(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}"))
        for table in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars():
            conn.execute(text(f"ALTER TABLE {table} OWNER TO {role}"))
    limited = create_engine(db_url, connect_args={"options": f"-c role={role}"})
    other = ds.tiny()
    other[ds.F_ITEMS][0]["price"] = "68.90"
    try:
        with pytest.raises(ingest.LoadError) as caught:
            ingest.load(limited, ds.write(other, tmp_path / "b"))
        message = str(caught.value)
        assert f"{role} may not create a schema in database {database}" in message
        assert f'GRANT CREATE ON DATABASE "{database}" TO "{role}"' in message
        with pytest.raises(warehouse.WarehouseError, match="may not create a schema"):
            warehouse.refresh(limited)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one() \
                == before
            assert conn.execute(text(_SALES)).scalar_one() == sales
            assert _leftovers(conn) == []
    finally:
        limited.dispose()
        with engine.begin() as conn:
            conn.execute(text(f"REASSIGN OWNED BY {role} TO current_user"))
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))


def test_the_files_keys_are_the_tables_constraints(engine):
    """A replace load lets the new tables' keys and foreign keys be its set-wide checks
    (loaders/ingest.py, `_adopt_checked`): that is only sound while the files' declared
    keys and references are exactly the constraints the migrations made."""
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT c.conrelid::regclass::text, c.contype, "
            "array_agg(a.attname::text ORDER BY k.i), c.confrelid::regclass::text "
            "FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(n, i) "
            "JOIN pg_attribute a ON a.attnum = k.n "
            "WHERE a.attrelid = c.conrelid AND c.contype IN ('p', 'u', 'f') "
            "AND c.conrelid::regclass::text = ANY(:t) GROUP BY c.oid, 1, 2, 4"),
            {"t": [spec.table for spec in FILES]}).all()
    live = {(t, kind, tuple(cols), parent if kind == "f" else None)
            for t, kind, cols, parent in found}
    declared = {(spec.table, "p", spec.key, None) for spec in FILES if spec.key}
    declared |= {(spec.table, "p", ("id",), None) for spec in FILES if not spec.key}
    declared |= {(spec.table, "f", tuple(fk.columns), fk.parent_table)
                 for spec in FILES for fk in spec.foreign_keys}
    assert live == declared


def test_a_waiting_publication_lets_new_readers_through(engine, tmp_path):
    """Publishing waits for a reader that holds the gate, but gives up and tries again
    every second or two instead of queueing everyone behind it: a second reader still
    gets in (to the old data) while the first one reads on."""
    ingest.load(engine, ds.write(ds.tiny(), tmp_path / "a"))
    other = ds.tiny()
    other[ds.F_ITEMS][0]["price"] = "68.90"
    folder = ds.write(other, tmp_path / "b")
    with engine.connect() as conn:
        sales = conn.execute(text(_SALES)).scalar_one()
    loader = threading.Thread(target=ingest.load, args=(engine, folder))
    with snapshot(engine) as first:
        old = first.conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one()
        loader.start()
        with engine.connect() as watch:  # the load is at the gate, waiting for `first`
            deadline = time.monotonic() + 60
            while not watch.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'LOCK TABLE pulse_meta%'")).scalar_one():
                watch.rollback()
                assert time.monotonic() < deadline, "the load never reached the gate"
                time.sleep(0.02)
        # were the load to queue readers behind it until `first` ends, this would fail
        impatient = create_engine(engine.url, connect_args={"options": "-c lock_timeout=5s"})
        with snapshot(impatient) as second:
            assert second.conn.execute(text(
                "SELECT data_version FROM pulse_meta")).scalar_one() == old
            assert second.conn.execute(text(_SALES)).scalar_one() == sales
        impatient.dispose()
        assert first.conn.execute(text(_SALES)).scalar_one() == sales
        assert loader.is_alive()
    loader.join(timeout=60)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT data_version FROM pulse_meta")).scalar_one() > old
        assert conn.execute(text(_SALES)).scalar_one() != sales
