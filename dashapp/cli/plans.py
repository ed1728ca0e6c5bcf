"""`pulse target ...` and `pulse event ...`: the shop's targets and events from a shell
(a script at the start of the month, a back-fill from a spreadsheet). Thin: the checks
are `dashapp/userdata.py`'s, the same the API applies, and a wrong value stops with the
field's name (exit 2)."""

from __future__ import annotations

import argparse
from typing import Any

from ..config import ConfigError
from ..filters import FilterError
from ..userdata import UserData


def _store() -> UserData:
    from .admin import upgraded_loader

    return UserData(upgraded_loader())


def _checked(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except FilterError as exc:
        raise ConfigError(f"{exc.parameter}: {exc.message}") from None


def _scope(row: dict[str, Any]) -> str:
    return f"{row['dimension']}={row['value']}" if row["dimension"] else "whole shop"


def cmd_target_set(args: argparse.Namespace) -> int:
    body = {"month": args.month, "amount": args.amount, "state": args.state,
            "category": args.category}
    row = _checked(_store().set_target, body)
    print(f"target {row['id']}: {row['month']:%Y-%m} {_scope(row)} {row['amount']}")
    return 0


def cmd_target_list(args: argparse.Namespace) -> int:
    rows = _store().targets()
    for row in rows:
        print(f"{row['id']:>5}  {row['month']:%Y-%m}  {_scope(row):<28} {row['amount']:>16}")
    if not rows:
        print("no targets (set one with `pulse target set YYYY-MM AMOUNT`)")
    return 0


def cmd_target_remove(args: argparse.Namespace) -> int:
    if not _store().delete_target(args.id):
        raise ConfigError(f"no target {args.id} (see `pulse target list`)")
    print(f"removed target {args.id}")
    return 0


def cmd_event_add(args: argparse.Namespace) -> int:
    body = {"start": args.start, "end": args.end, "label": args.label, "note": args.note}
    row = _checked(_store().add_event, body)
    print(f"event {row['id']}: {row['start_day']}..{row['end_day']} {row['label']}")
    return 0


def cmd_event_list(args: argparse.Namespace) -> int:
    rows = _store().events()
    for row in rows:
        print(f"{row['id']:>5}  {row['start_day']}  {row['end_day']}  {row['label']}")
    if not rows:
        print("no events (add one with `pulse event add START LABEL`)")
    return 0


def cmd_event_remove(args: argparse.Namespace) -> int:
    if not _store().delete_event(args.id):
        raise ConfigError(f"no event {args.id} (see `pulse event list`)")
    print(f"removed event {args.id}")
    return 0


def register(sub: Any) -> None:
    target = sub.add_parser("target", help="monthly sales targets")
    target_sub = target.add_subparsers(dest="target_command", required=True)
    tset = target_sub.add_parser("set", help="set a month's sales target (replaces it)")
    tset.add_argument("month", help="YYYY-MM")
    tset.add_argument("amount", help="in the data's currency, e.g. 150000 or 1500.50")
    scope = tset.add_mutually_exclusive_group()
    scope.add_argument("--state", help="for one state only")
    scope.add_argument("--category", help="for one category only")
    tset.set_defaults(func=cmd_target_set)
    target_sub.add_parser("list", help="list targets").set_defaults(func=cmd_target_list)
    trm = target_sub.add_parser("remove", help="remove a target by id")
    trm.add_argument("id", type=int)
    trm.set_defaults(func=cmd_target_remove)

    event = sub.add_parser("event", help="events drawn on the charts")
    event_sub = event.add_subparsers(dest="event_command", required=True)
    add = event_sub.add_parser("add", help="add an event (a day, or a range with --end)")
    add.add_argument("start", help="YYYY-MM-DD")
    add.add_argument("label")
    add.add_argument("--end", help="last day, YYYY-MM-DD (default: start)")
    add.add_argument("--note")
    add.set_defaults(func=cmd_event_add)
    event_sub.add_parser("list", help="list events").set_defaults(func=cmd_event_list)
    erm = event_sub.add_parser("remove", help="remove an event by id")
    erm.add_argument("id", type=int)
    erm.set_defaults(func=cmd_event_remove)
