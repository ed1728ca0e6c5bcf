"""Administration commands: `pulse db grant-reader|refresh`, `pulse user ...`, `pulse token ...`.

The warehouse work itself (the reader role, the rebuild) is ``loaders.warehouse``;
users and tokens are ``dashapp.web.auth``.

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

from sqlalchemy import Engine

from loaders.warehouse import WarehouseError, grant_reader, refresh, refresh_needed

from ..config import ConfigError

# --- command handlers ------------------------------------------------------------------------


def _loader() -> Engine:
    from ..db import get_engine

    return get_engine("loader")


def upgraded_loader() -> Engine:
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
    try:
        notes = grant_reader(upgraded_loader(), args.role, password, args.connection_limit)
    except WarehouseError as exc:
        raise ConfigError(str(exc)) from None
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
    try:
        version = refresh(engine)
    except WarehouseError as exc:
        raise ConfigError(str(exc)) from None
    print(f"derived tables rebuilt in {time.monotonic() - started:.1f} s"
          f"{f' ({reason})' if reason else ''}; data version {version}")
    return 0


def _auth_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from ..web.auth import AuthError

    try:
        return fn(*args, **kwargs)
    except AuthError as exc:
        raise ConfigError(str(exc)) from None


def cmd_user_add(args: argparse.Namespace) -> int:
    from ..web.auth import add_user, check_password_strength, normalise_username

    _auth_call(normalise_username, args.username)
    password = _read_password(args)
    _auth_call(check_password_strength, password)
    engine = upgraded_loader()
    name = _auth_call(add_user, engine, args.username, password)
    if getattr(args, "email", None):
        from loaders.userdata import set_email

        set_email(engine, name, args.email.strip())
    if getattr(args, "admin", False):
        from loaders.userdata import set_admin

        set_admin(engine, name, True)
    print(f"user {name} added" + (" (admin)" if getattr(args, "admin", False) else ""))
    return 0


def cmd_user_admin(args: argparse.Namespace) -> int:
    """An admin may add other recipients to digests and alerts (issue #16)."""
    from loaders.userdata import set_admin

    from ..web.auth import normalise_username

    name = _auth_call(normalise_username, args.username)
    if not set_admin(upgraded_loader(), name, not args.revoke):
        raise ConfigError(f"no user {name!r}")
    print(f"{name} is {'no longer ' if args.revoke else ''}an admin")
    return 0


def cmd_user_passwd(args: argparse.Namespace) -> int:
    from ..web.auth import add_user, list_users, normalise_username

    engine = upgraded_loader()
    name = _auth_call(normalise_username, args.username)
    if name not in {u["username"] for u in list_users(engine)}:
        raise ConfigError(f"no user {name!r}")
    _auth_call(add_user, engine, name, _read_password(args, "New password"), replace=True)
    print(f"password of {name} changed; their open sessions end")
    return 0


def cmd_user_remove(args: argparse.Namespace) -> int:
    from ..web.auth import remove_user

    _auth_call(remove_user, upgraded_loader(), args.username)
    print(f"user {args.username.strip().lower()} removed, with their API tokens")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    from ..web.auth import list_users

    users = list_users(upgraded_loader())
    for u in users:
        print(f"{u['username']:<32} created {u['created_at']:%Y-%m-%d}  "
              f"{u['tokens']} active token(s)")
    if not users:
        print("no users (add one with `pulse user add NAME`)")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from ..web.auth import create_token

    token_id, token = _auth_call(create_token, upgraded_loader(), args.username, args.name,
                                 args.expires_days)
    print(f"token {token_id} for {args.username.strip().lower()} (shown once; "
          "send it as `Authorization: Bearer <token>`):", file=sys.stderr)
    print(token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from ..web.auth import revoke_token

    n = revoke_token(upgraded_loader(), args.token)
    if not n:
        raise ConfigError(f"no active token {args.token!r} (see `pulse token list`)")
    print(f"revoked {n} token(s)")
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    from ..web.auth import list_tokens

    for t in _auth_call(list_tokens, upgraded_loader(), args.username):
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
        if name == "add":
            p.add_argument("--email", help="where the user's digests go")
            p.add_argument("--admin", action="store_true",
                           help="may add other recipients to digests and alerts")
        p.set_defaults(func=func)
    admin = user_sub.add_parser("admin", help="let a user add other recipients to digests "
                                              "and alerts")
    admin.add_argument("username")
    admin.add_argument("--revoke", action="store_true", help="take the right away")
    admin.set_defaults(func=cmd_user_admin)
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
