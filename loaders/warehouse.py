"""Warehouse operations beside loading: the read-only web role, and rebuilding the
derived tables outside a load (a release whose rollup code changed).

They live with the loader because they hold the same lock (one writer at a time) and
bump the same data version (caches drop their entries); the `pulse db` commands are thin
shells over them. They run as the owner role.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from . import ingest, rollups, swap
from .userdata import USER_TABLES


class WarehouseError(RuntimeError):
    """An operation that cannot be done as asked; the message says why and what to do."""


# --- the read-only web role ------------------------------------------------------------------


def grant_reader(engine: Engine, role: str, password: str | None = None,
                 connection_limit: int | None = None,
                 statement_timeout_ms: int = 15_000) -> list[str]:
    """Create (if missing) a login role that can read Pulse's tables and write nothing else
    than sign-in attempts and what people save on the page (views, targets, events);
    returns notes for the operator.

    Idempotent: existing privileges of the role in the schema are revoked first,
    so running it again leaves exactly these grants. Default privileges make
    tables created later by the owner (new migrations) readable too.
    """
    from psycopg2.extensions import encrypt_password

    notes: list[str] = []
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        ident = quote(role)
        me = conn.execute(text("SELECT current_user")).scalar_one()
        if role == me:
            raise WarehouseError(f"{role!r} is the owner role this command runs as; "
                              "the reader must be a different role")
        info = conn.execute(text("SELECT rolsuper, rolbypassrls FROM pg_roles "
                                 "WHERE rolname = :r"), {"r": role}).first()
        raw = conn.connection.dbapi_connection
        verifier = encrypt_password(password, role, raw) if password else None
        if info is None:
            try:
                if verifier:
                    conn.exec_driver_sql(f"CREATE ROLE {ident} LOGIN PASSWORD %s", (verifier,))
                else:
                    conn.exec_driver_sql(f"CREATE ROLE {ident} LOGIN")
            except DBAPIError as exc:
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc)
                raise WarehouseError(
                    f"cannot create role {role!r}: {reason}. The owner role needs CREATEROLE; "
                    "on a managed database create the role with the provider's tools (e.g. "
                    "`heroku pg:credentials:create --name pulse_web`) and run this command "
                    "again to grant it") from None
            notes.append(f"created role {role}" if verifier else
                         f"created role {role} without a password (set one with "
                         "--password-stdin, or use certificate/peer authentication)")
        else:
            if info[0] or info[1]:
                raise WarehouseError(f"role {role!r} is a superuser or bypasses row "
                                     "security; it cannot be made read-only")
            if verifier:
                conn.exec_driver_sql(f"ALTER ROLE {ident} PASSWORD %s", (verifier,))
                notes.append(f"changed the password of role {role}")
        conn.exec_driver_sql(
            f"ALTER ROLE {ident} SET statement_timeout = {int(statement_timeout_ms)}")
        if connection_limit is not None:
            conn.exec_driver_sql(f"ALTER ROLE {ident} CONNECTION LIMIT {int(connection_limit)}")
        database = quote(conn.execute(text("SELECT current_database()")).scalar_one())
        schema = quote(conn.execute(text("SELECT current_schema()")).scalar_one())
        for sql in (
            f"GRANT CONNECT ON DATABASE {database} TO {ident}",
            f"GRANT USAGE ON SCHEMA {schema} TO {ident}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {ident}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {ident}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {ident}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {ident}",
            # the sign-in throttle is shared through the database (dashapp/web/auth.py)
            f"GRANT INSERT, DELETE ON {schema}.pulse_login_attempts TO {ident}",
            f"GRANT USAGE ON SEQUENCE {schema}.pulse_login_attempts_id_seq TO {ident}",
            # what people save on the page: views, targets, events (loaders/userdata.py)
            *(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.{t} TO {ident}"
              for t in USER_TABLES),
            *(f"GRANT USAGE ON SEQUENCE {schema}.{t}_id_seq TO {ident}" for t in USER_TABLES),
            # a user changes their own digest address on the page (the column, no other)
            f"GRANT UPDATE (email) ON {schema}.pulse_users TO {ident}",
        ):
            conn.exec_driver_sql(sql)
        can_create = conn.execute(text("SELECT has_schema_privilege(:r, current_schema(), "
                                       "'CREATE')"), {"r": role}).scalar_one()
        if can_create:
            notes.append(
                f"WARNING: {role} can still CREATE tables in schema {schema} (PostgreSQL < 15 "
                f"grants that to everyone); run as the owner: REVOKE CREATE ON SCHEMA {schema} "
                "FROM PUBLIC")
        member_of_owner = conn.execute(text("SELECT pg_has_role(:r, current_user, 'USAGE')"),
                                       {"r": role}).scalar_one()
        if member_of_owner:
            notes.append(f"WARNING: {role} is a member of the owner role {me} and inherits "
                         "its privileges; REVOKE that membership")
    notes.append(f"{role} can read every Pulse table and write only pulse_login_attempts, "
                 f"{', '.join(USER_TABLES)} and pulse_users.email")
    return notes


# --- refreshing derived tables (the release phase) ---------------------------------------------


def refresh_needed(engine: Engine) -> str | None:
    """Why the derived tables must be rebuilt, or None when they are current."""
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM pulse_meta")).scalar_one()
        if not loaded:
            return None
        stamp = conn.execute(text(
            "SELECT obj_description('pulse_meta'::regclass, 'pg_class')")).scalar()
        has_orders = conn.execute(text("SELECT EXISTS (SELECT 1 FROM orders)")).scalar_one()
        has_rollups = conn.execute(text(
            "SELECT EXISTS (SELECT 1 FROM agg_order_full_d)")).scalar_one()
    if has_orders and not has_rollups:
        return "orders are loaded but the derived tables are empty"
    if stamp != rollups.STAMP_PREFIX + rollups.fingerprint():
        return ("the derived tables were built by other code than this release's "
                "loaders/rollups.py" if stamp else
                "no record of which code built the derived tables")
    return None


def refresh(engine: Engine) -> int:
    """Rebuild the derived tables in one transaction (readers keep the old ones until it
    commits) and bump the data version so caches drop their entries; returns the version."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (ingest.LOCK_KEY,))
            if not cur.fetchone()[0]:
                raise WarehouseError("a load is running; the refresh can wait for the next release "
                                  "(that load rebuilds the derived tables anyway)")
            try:
                rollups.rebuild(cur)
            except swap.PublishError as exc:
                raise WarehouseError(str(exc)) from None
            cur.execute(
                "UPDATE pulse_meta SET data_version = greatest(data_version + 1, %s) "
                "WHERE id = 1 RETURNING data_version", (int(time.time() * 1_000_000),))
            row = cur.fetchone()
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        raw.close()
    return int(row[0]) if row else 0
