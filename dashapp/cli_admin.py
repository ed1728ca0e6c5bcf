"""Administration commands: `pulse db grant-reader|refresh`, `pulse user ...`, `pulse token ...`.

They all run as the owner role (`PULSE_LOADER_DATABASE_URL`, else
`DATABASE_URL`), like `pulse load`: the web role can read, not administer.

Secrets are never taken from the command line (visible in `ps` and in shell
history): passwords come from a prompt or from stdin (`--password-stdin`),
and a new API token or generated password is printed once, to stdout only.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
import time
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from .config import ConfigError

REFRESH_STAMP = "pulse-rollups:"


# --- the read-only web role ------------------------------------------------------------------


def grant_reader(engine: Engine, role: str, password: str | None = None,
                 connection_limit: int | None = None,
                 statement_timeout_ms: int = 15_000) -> list[str]:
    """Create (if missing) a login role that can read Pulse's tables and write nothing else
    than sign-in attempts; returns notes for the operator.

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
            raise ConfigError(f"{role!r} is the owner role this command runs as; "
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
                raise ConfigError(
                    f"cannot create role {role!r}: {reason}. The owner role needs CREATEROLE; "
                    "on a managed database create the role with the provider's tools (e.g. "
                    "`heroku pg:credentials:create --name pulse_web`) and run this command "
                    "again to grant it") from None
                notes.append(f"created role {role} without a password (set one with "
                             "--password-stdin, or use certificate/peer authentication)")
            notes.append(f"created role {role}")
        else:
            if info[0] or info[1]:
                raise ConfigError(f"role {role!r} is a superuser or bypasses row security; "
                                  "it cannot be made read-only")
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
            # the sign-in throttle is shared through the database (see dashapp/auth.py)
            f"GRANT INSERT, DELETE ON {schema}.pulse_login_attempts TO {ident}",
            f"GRANT USAGE ON SEQUENCE {schema}.pulse_login_attempts_id_seq TO {ident}",
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
    notes.append(f"{role} can read every Pulse table and write only pulse_login_attempts")
    return notes


# --- refreshing derived tables (the release phase) ---------------------------------------------


def rollups_fingerprint() -> str:
    """Identifies the code that builds the derived tables (stamped by every rebuild)."""
    from loaders import rollups

    return rollups.fingerprint()


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
    if stamp != REFRESH_STAMP + rollups_fingerprint():
        return ("the derived tables were built by other code than this release's "
                "loaders/rollups.py" if stamp else
                "no record of which code built the derived tables")
    return None


def refresh(engine: Engine) -> int:
    """Rebuild the derived tables in one transaction (readers keep the old ones until it
    commits) and bump the data version so caches drop their entries; returns the version."""
    from loaders import ingest, rollups

    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (ingest.LOCK_KEY,))
            if not cur.fetchone()[0]:
                raise ConfigError("a load is running; the refresh can wait for the next release "
                                  "(that load rebuilds the derived tables anyway)")
            rollups.rebuild(cur)
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


# --- command handlers ------------------------------------------------------------------------


def _loader() -> Engine:
    from .db import get_engine

    return get_engine("loader")


def _upgraded_loader() -> Engine:
    """The owner's engine on an up-to-date schema (the accounts tables come with 0003)."""
    from loaders import migrate

    engine = _loader()
    migrate.upgrade(engine)
    return engine


def _read_password(args: argparse.Namespace, prompt: str = "Password") -> str:
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to ask for the password: pass --password-stdin and "
                          "write the password to standard input")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"{prompt} (again): ") != first:
        raise ConfigError("the two passwords differ")
    return first


def cmd_grant_reader(args: argparse.Namespace) -> int:
    password: str | None = None
    if args.generate_password:
        password = secrets.token_urlsafe(24)
    elif args.password_stdin:
        password = _read_password(args)
    notes = grant_reader(_upgraded_loader(), args.role, password, args.connection_limit)
    for note in notes:
        print(note, file=sys.stderr if note.startswith("WARNING") else sys.stdout)
    if args.generate_password:
        print(f"password for {args.role} (shown once): {password}")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    engine = _loader()
    reason = refresh_needed(engine)
    if args.if_needed and reason is None:
        print("derived tables are current; nothing to refresh")
        return 0
    started = time.monotonic()
    version = refresh(engine)
    print(f"derived tables rebuilt in {time.monotonic() - started:.1f} s"
          f"{f' ({reason})' if reason else ''}; data version {version}")
    return 0


def _auth_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from .auth import AuthError

    try:
        return fn(*args, **kwargs)
    except AuthError as exc:
        raise ConfigError(str(exc)) from None


def cmd_user_add(args: argparse.Namespace) -> int:
    from .auth import add_user, check_password_strength, normalise_username

    _auth_call(normalise_username, args.username)
    password = _read_password(args)
    _auth_call(check_password_strength, password)
    name = _auth_call(add_user, _upgraded_loader(), args.username, password)
    print(f"user {name} added")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from .auth import add_user, list_users, normalise_username

    engine = _upgraded_loader()
    name = _auth_call(normalise_username, args.username)
    if name not in {u["username"] for u in list_users(engine)}:
        raise ConfigError(f"no user {name!r}")
    _auth_call(add_user, engine, name, _read_password(args, "New password"), replace=True)
    print(f"password of {name} changed; their open sessions end")
    return 0


def cmd_user_remove(args: argparse.Namespace) -> int:
    from .auth import remove_user

    _auth_call(remove_user, _upgraded_loader(), args.username)
    print(f"user {args.username.strip().lower()} removed, with their API tokens")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from .auth import list_users

    users = list_users(_upgraded_loader())
    for u in users:
        print(f"{u['username']:<32} created {u['created_at']:%Y-%m-%d}  "
              f"{u['tokens']} active token(s)")
    if not users:
        print("no users (add one with `pulse user add NAME`)")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from .auth import create_token

    token_id, token = _auth_call(create_token, _upgraded_loader(), args.username, args.name,
                                 args.expires_days)
    print(f"token {token_id} for {args.username.strip().lower()} (shown once; "
          "send it as `Authorization: Bearer <token>`):", file=sys.stderr)
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from .auth import revoke_token

    n = revoke_token(_upgraded_loader(), args.token)
    if not n:
        raise ConfigError(f"no active token {args.token!r} (see `pulse token list`)")
    print(f"revoked {n} token(s)")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from .auth import list_tokens

    for t in _auth_call(list_tokens, _upgraded_loader(), args.username):
        state = "revoked" if t["revoked_at"] else (
            f"expires {t['expires_at']:%Y-%m-%d}" if t["expires_at"] else "active")
        print(f"{t['id']:>5}  {t['prefix']}…  {t['username']:<24} {t['name']:<16} {state}")
    return 0


def register(sub: Any, db_sub: Any) -> None:
    """Add the administration subcommands to `pulse`'s parser."""
    grant = db_sub.add_parser(
        "grant-reader", help="create/grant the web app's read-only database role")
    grant.add_argument("role", help="role name, e.g. pulse_web")
    how = grant.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true",
                     help="read the role's password from standard input")
    how.add_argument("--generate-password", action="store_true",
                     help="set a random password and print it once")
    grant.add_argument("--connection-limit", type=int,
                       help="cap the role's concurrent connections")
    grant.set_defaults(func=cmd_grant_reader)

    refresh_p = db_sub.add_parser("refresh", help="rebuild the derived (rollup) tables")
    refresh_p.add_argument("--if-needed", action="store_true",
                           help="only when the code that builds them changed (release phase)")
    refresh_p.set_defaults(func=cmd_refresh)

    user = sub.add_parser("user", help="manage who can sign in")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    for name, func, helptext in (
        ("add", cmd_user_add, "add a user (asks for the password)"),
        ("passwd", cmd_user_passwd, "change a user's password (ends their sessions)"),
    ):
        p = user_sub.add_parser(name, help=helptext)
        p.add_argument("username")
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from standard input")
        p.set_defaults(func=func)
    rm = user_sub.add_parser("remove", help="remove a user and their API tokens")
    rm.add_argument("username")
    rm.set_defaults(func=cmd_user_remove)
    user_sub.add_parser("list", help="list users").set_defaults(func=cmd_user_list)

    token = sub.add_parser("token", help="manage API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create an API token for a user")
    create.add_argument("username")
    create.add_argument("--name", default="api", help="a label, e.g. the script using it")
    create.add_argument("--expires-days", type=int, help="expire after this many days")
    create.set_defaults(func=cmd_token_create)
    revoke = token_sub.add_parser("revoke", help="revoke a token (by id or shown prefix)")
    revoke.add_argument("token")
    revoke.set_defaults(func=cmd_token_revoke)
    lst = token_sub.add_parser("list", help="list tokens")
    lst.add_argument("username", nargs="?")
    lst.set_defaults(func=cmd_token_list)
